import DataIO
import Foundation
import Influence
import Linalg
import Studies

/// JSON and CSV record of the network influence study.
extension StudyRunner {
    /// JSON: the split, the left-out examples, the linear model and one object per network (configuration, Hessian
    /// diagnostics, estimates and actual changes). CSV, one row per (model, left-out example): model 0 is logistic
    /// regression (depth 1, width 0), then the networks in the order of `networks`.
    static func record(_ s: NetworkInfluenceStudy) -> (JSONValue, String) {
        let networks = JSONValue.array(s.networks.map { r -> JSONValue in
            let c = r.configuration
            return .object([
                ("depth", .int(c.depth)), ("width", .int(c.width)), ("parameters", .int(r.parameterCount)),
                ("l2", .number(c.l2)), ("damping", .number(c.damping)), ("damping_used", .number(r.dampingUsed)),
                ("learning_rate", .number(c.learningRate)), ("training_steps", .int(c.trainingSteps)), ("seed", .int(Int(truncatingIfNeeded: c.seed))),
                ("negative_eigenvalues", .int(r.negativeEigenvalues)), ("smallest_eigenvalue", .number(r.smallestEigenvalue)),
                ("largest_eigenvalue", .number(r.largestEigenvalue)), ("hessian_asymmetry", .number(r.hessianAsymmetry)),
                ("gradient_norm", .number(r.gradientNorm)), ("train_loss", .number(r.trainLoss)), ("test_loss", .number(r.testLoss)),
                ("test_accuracy", .number(r.testAccuracy)), ("retraining", .string(r.retraining.rawValue)),
                ("retraining_steps", .int(r.retrainingSteps)), ("retraining_gradient_norm", .number(r.retrainingGradientNorm)),
                ("spearman", .number(r.spearman)), ("predicted", .vector(r.predicted)), ("actual", .vector(r.actual)),
            ])
        })
        let json = JSONValue.object([
            ("train_size", .int(s.trainSize)), ("test_size", .int(s.testSize)), ("quick", .bool(s.quick)),
            ("l2", .number(s.l2)), ("damping", .number(s.damping)), ("examples", .array(s.examples.map { .int($0) })),
            ("linear", .object([("parameters", .int(s.linear.result.theta.count)), ("spearman", .number(s.linearSpearman)),
                                ("spearman_all_examples", .number(s.linear.result.spearman)),
                                ("predicted", .vector(s.linearPredicted)), ("actual", .vector(s.linearActual))])),
            ("networks", networks),
        ])
        var rows: [[Double]] = []
        for (k, e) in s.examples.enumerated() {
            rows.append([0, 1, 0, s.l2, Double(e), s.linearPredicted[k], s.linearActual[k]])
        }
        for (m, r) in s.networks.enumerated() {
            for (k, e) in r.examples.enumerated() {
                rows.append([Double(m + 1), Double(r.configuration.depth), Double(r.configuration.width), r.configuration.l2, Double(e),
                             r.predicted[k], r.actual[k]])
            }
        }
        let table = (try? Matrix(rows)) ?? Matrix(rows: 0, cols: 7)
        return (json, CSV.format(table, header: ["model", "depth", "width", "l2", "example", "influence_estimate", "leave_one_out"]))
    }
}
