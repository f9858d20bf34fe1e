import DataIO
import Foundation
import Lazy
import Linalg
import Studies

extension StudyRunner {
    /// One training run: its configuration, every checkpoint's numbers and the neuron positions |b_j|·a_j per checkpoint.
    static func runRecord(_ run: LazyTraining) -> JSONValue {
        let c = run.configuration, cps = run.checkpoints
        return .object([
            ("tau", .number(c.tau)), ("alpha", .number(c.alpha)), ("learning_rate", .number(c.learningRate)),
            ("max_step_size", .number(c.maxStepSize)), ("step_size", .number(c.stepSize)), ("steps", .int(c.steps)),
            ("step", .vector(cps.map { Double($0.step) })), ("loss", .vector(cps.map(\.loss))), ("test_loss", .vector(cps.map(\.testLoss))),
            ("objective_change", .vector(cps.map(\.objectiveChange))), ("jacobian_change", .vector(cps.map(\.jacobianChange))),
            ("parameter_change", .vector(cps.map(\.parameterChange))), ("activation_flips", .vector(cps.map(\.activationFlips))),
            ("final_signs", .vector(run.trained.b.map { $0 > 0 ? 1 : -1 })),
            ("positions", .array(cps.map { .matrix($0.positions) })),
        ])
    }

    static func record(_ s: LazyTrainingStudy) -> (JSONValue, String) {
        let sw = s.sweep
        let json = JSONValue.object([
            ("seed", .int(Int(LazyTrainingStudy.seed))), ("width", .int(s.width)), ("train_size", .int(s.trainSize)),
            ("test_size", .int(s.testSize)), ("steps", .int(s.steps)), ("learning_rate", .number(s.learningRate)),
            ("max_step_size", .number(s.maxStepSize)), ("initial_test_loss", .number(s.initialTestLoss)),
            ("teacher_directions", .matrix(s.teacherDirections)), ("teacher_signs", .vector(s.teacherSigns)),
            ("rich", runRecord(s.rich)), ("lazy", runRecord(s.lazy)),
            ("sweep", .object([
                ("tau", .vector(sw.map(\.tau))), ("train_loss", .vector(sw.map(\.trainLoss))), ("test_loss", .vector(sw.map(\.testLoss))),
                ("best_test_loss", .vector(sw.map(\.bestTestLoss))), ("jacobian_change", .vector(sw.map(\.jacobianChange))),
                ("parameter_change", .vector(sw.map(\.parameterChange))), ("activation_flips", .vector(sw.map(\.activationFlips))),
            ])),
            ("parameter_slope", .number(s.parameterSlope)), ("jacobian_slope", .number(s.jacobianSlope)),
        ])
        var table = Matrix(rows: sw.count, cols: 7)
        for (i, p) in sw.enumerated() {
            for (k, v) in [p.tau, p.trainLoss, p.testLoss, p.bestTestLoss, p.jacobianChange, p.parameterChange, p.activationFlips].enumerated() {
                table[i, k] = v
            }
        }
        return (json, CSV.format(table, header: ["tau", "train_loss", "test_loss", "best_test_loss", "jacobian_change",
                                                 "parameter_change", "activation_flips"]))
    }
}
