import Foundation
import Testing
@testable import Architecture
@testable import Gaussian
@testable import Linalg
@testable import Studies
@testable import Training

/// The order-1/n trained mean through the whole theory path (MultiInputStatistics → FiniteWidthTrainedMean)
/// for one training and one test input, against bench/nt/check_trained_mean.py, which evaluates the same
/// formula on the two-input numpy theory (independent quadratures: agreement ≈ 1e-7 expected); that
/// script checks the formula against trained JAX ensembles (tanh, |z| ≤ 1.2 at n = 256).
@Suite struct TrainedMeanTheoryTests {
    @Test func tanhOneTrainOneTest() throws {
        let spec = try NetworkSpec(inputDimension: 4, depth: 3, width: 64, outputWidth: 1, activation: .tanh, cb: 0, cw: 1,
                                   lambdaB: 1, lambdaW: 1)
        let x = try Matrix([[1.2, 0.3, -0.8, 0.9]]), test = try Matrix([[0.4, 1.1, 0.2, -1.0]]), y = try Matrix([[1.0]])
        for steps in [60, nil] as [Int?] {
            let theory = try TrainedMeanStudy.theory(spec: spec, train: x, targets: y, test: test, width: 64,
                                                     schedules: [(learningRate: 0.1479603652, steps: steps)])[0]
            let want: [(String, Double)] = [("ntk mean Θ¹", 0.0181693276), ("ntk fluctuation", 0.1426459511), ("dNTK", -0.2159633038),
                                            ("ddNTK", 0.1945682245)]
            for (part, (name, value)) in zip(theory.parts, want) {
                #expect(part.name == name && abs(part.value[0] - value) < 2e-6, "\(part.name): \(part.value[0]) vs \(value)")
            }
            #expect(abs(theory.total[0] - 0.1394201995) < 2e-6)
        }
    }
}
