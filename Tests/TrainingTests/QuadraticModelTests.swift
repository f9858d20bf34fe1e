import Foundation
import Testing
@testable import Linalg
@testable import Training

@Suite struct QuadraticModelTests {
    let x = try! Matrix([[0.3, -1.0], [1.2, 0.4], [-0.7, 0.9], [0.1, 0.1], [-1.3, -0.2], [0.8, -0.6]])
    let y = try! Matrix([[0.5], [-1.0], [0.3], [0.8], [-0.2], [0.1]])
    let test = try! Matrix([[0.2, 0.2], [-0.5, 1.1], [1.0, -1.0]])

    /// ε = 0 is the linear model; the nearly-kernel solution misses the trained quadratic model by
    /// O(ε²): the log–log slope of the error over ε = 0.025 … 0.2 is 2 (within 0.1); the effective
    /// features move by O(ε).
    @Test func nearlyKernelErrorScalesAsEpsilonSquared() throws {
        let features = LinearModel.Features.random(count: 30, seed: 4)
        let linear = try LinearModel(features: features).gradientDescentIterated(train: x, targets: y, test: test, steps: 200, learningRate: 2).predictions
        let flat = try QuadraticModel(features: features, epsilon: 0).train(train: x, targets: y, test: test, steps: 200, learningRate: 2)
        #expect((flat.predictions - linear).maxAbs < 1e-13 && flat.featureChange == 0)
        var errors: [Double] = [], changes: [Double] = []
        let eps = [0.025, 0.05, 0.1, 0.2]
        for e in eps {
            let model = QuadraticModel(features: features, epsilon: e)
            let trained = try model.train(train: x, targets: y, test: test, steps: 200, learningRate: 2)
            let approx = try model.nearlyKernelPrediction(train: x, targets: y, test: test, steps: 200, learningRate: 2)
            errors.append((trained.predictions - approx).maxAbs)
            changes.append(trained.featureChange)
            #expect(trained.trainLoss.last! < trained.trainLoss.first!)
        }
        func slope(_ v: [Double]) -> Double {
            let lx = eps.map { log($0) }, ly = v.map { log($0) }
            let mx = lx.reduce(0, +) / 4, my = ly.reduce(0, +) / 4
            return zip(lx, ly).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / lx.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        }
        #expect(abs(slope(errors) - 2) < 0.1, "error slope \(slope(errors)): \(errors)")
        #expect(abs(slope(changes) - 1) < 0.1, "feature-change slope \(slope(changes)): \(changes)")
    }
}
