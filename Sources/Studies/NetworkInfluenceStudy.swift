import Foundation
import Influence
import Linalg

/// The report's influence-function study, non-convex part (Basu, Pope & Feizi, arXiv 2006.14651; Koh & Liang 2017):
/// on the split of `InfluenceStudy` (breast-cancer data, standardized columns, the first 100 examples for training,
/// the next 100 for testing), Spearman's rank correlation between influence estimates and leave-one-out retraining
/// for L2 logistic regression and for tanh MLPs of depth 2 and 3 (one and two hidden layers) and two widths, each
/// with weight decay λ (exact leave-one-out minimizers) and without (damping δ, a fixed retraining budget minus the
/// control; see `NetworkInfluence`). Every model leaves out the same evenly spaced training examples.
///
/// Sizes (one core): the cost is the Hessians (2P gradients of the 100-example loss each, a few per network with
/// λ > 0 for the Newton polish), one eigendecomposition per network, per left-out example a one-example Hessian and
/// one Cholesky factorization (λ > 0) or 1/(ηδ) = 500 gradient steps (λ = 0). Widths 8 and 24 keep P ≤ 1369 (depth 3,
/// width 24; width 32 would be P = 2081 and a Cholesky per example three times dearer): about half a minute in
/// full (40 examples), a few seconds quick (widths 4 and 12, 16 examples).
public struct NetworkInfluenceStudy: Sendable {
    /// The convex baseline on the same split and λ, over every training example.
    public var linear: InfluenceStudy
    /// The training examples left out by every model.
    public var examples: [Int]
    /// The linear model restricted to `examples`: estimates, actual changes and their Spearman correlation.
    public var linearPredicted: [Double], linearActual: [Double], linearSpearman: Double
    /// The networks, in the order depth, width, with weight decay then without.
    public var networks: [NetworkInfluence.Result]
    public var l2: Double, damping: Double
    public var quick: Bool

    public var trainSize: Int { linear.trainSize }
    public var testSize: Int { linear.testSize }

    public static func run(quick: Bool) throws -> NetworkInfluenceStudy {
        let l2 = 0.01, damping = 0.01
        let linear = try InfluenceStudy.run(trainSize: 100, testSize: 100, l2: l2)
        let n = linear.trainSize, m = linear.testSize
        // The same split as InfluenceStudy, without its constant column (the networks have biases; a constant input
        // would add an exactly flat direction to H without weight decay).
        let data = try Datasets.breastCancer()
        let x = Datasets.standardizeColumns(data.inputs)
        let rows = x.rowArrays
        let y = data.labels.map { $0 == 1 ? 1.0 : -1.0 }
        let train = try Matrix(Array(rows[0..<n])), test = try Matrix(Array(rows[n..<(n + m)]))
        let k = min(quick ? 16 : 40, n)
        let examples = (0..<k).map { $0 * n / k }
        let widths = quick ? [4, 12] : [8, 24]
        var networks: [NetworkInfluence.Result] = []
        for depth in [2, 3] {
            for width in widths {
                for decay in [l2, 0] {
                    let c = NetworkInfluence.Configuration(depth: depth, width: width, l2: decay, damping: decay > 0 ? 0 : damping,
                                                           learningRate: 0.2, trainingSteps: decay > 0 ? (quick ? 5000 : 20_000) : (quick ? 1000 : 2000), seed: 1)
                    networks.append(try NetworkInfluence.compare(train: train, labels: Array(y[0..<n]), test: test,
                                                                 testLabels: Array(y[n..<(n + m)]), configuration: c, examples: examples))
                }
            }
        }
        let predicted = examples.map { linear.result.predicted[$0] }, actual = examples.map { linear.result.actual[$0] }
        return NetworkInfluenceStudy(linear: linear, examples: examples, linearPredicted: predicted, linearActual: actual,
                                     linearSpearman: InfluenceFunctions.spearman(predicted, actual), networks: networks,
                                     l2: l2, damping: damping, quick: quick)
    }
}
