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

extension QuadraticModelTests {
    /// The matrix-free meta-feature path: ψ = φφᵀ written as a custom map gives the built-in products to
    /// rounding; a ψ that is not a product, ψ(x) = s(x)S with a fixed symmetric S, keeps the ε² law.
    @Test func customMetaFeatures() throws {
        let features = LinearModel.Features.random(count: 20, seed: 6)
        let byHand: @Sendable (Matrix, Matrix) throws -> [Matrix] = { inputs, w in
            let phi = try features.map(inputs)
            let u = try Matrix.product(phi, w, transposeB: true)
            return (0..<w.rows).map { i in
                var g = phi
                for a in 0..<g.rows { for j in 0..<g.cols { g[a, j] *= u[a, i] } }
                return g
            }
        }
        let built = try QuadraticModel(features: features, epsilon: 0.3).train(train: x, targets: y, test: test, steps: 100, learningRate: 1)
        let custom = try QuadraticModel(features: features, metaFeatures: .custom(name: "products", apply: byHand), epsilon: 0.3)
            .train(train: x, targets: y, test: test, steps: 100, learningRate: 1)
        #expect((built.predictions - custom.predictions).maxAbs < 1e-13)
        #expect(zip(built.featureChangeCurve, custom.featureChangeCurve).allSatisfy { abs($0 - $1) < 1e-13 })

        var s = Matrix(rows: 20, cols: 20)
        for i in 0..<20 { for j in 0...i { let v = sin(Double(7 * i + 3 * j)); s[i, j] = v; s[j, i] = v } }
        let sFixed = s
        let scalarTimesS: @Sendable (Matrix, Matrix) throws -> [Matrix] = { inputs, w in
            let sw = try Matrix.product(w, sFixed)  // rows W_i S (S symmetric)
            return (0..<w.rows).map { i in try! Matrix((0..<inputs.rows).map { a in
                let scale = 0.2 * cos(inputs[a, 0] + 2 * inputs[a, 1])
                return sw.row(i).map { scale * $0 }
            }) }
        }
        var errors: [Double] = []
        let eps = [0.025, 0.05, 0.1, 0.2]
        for e in eps {
            let model = QuadraticModel(features: features, metaFeatures: .custom(name: "sS", apply: scalarTimesS), epsilon: e)
            let trained = try model.train(train: x, targets: y, test: test, steps: 100, learningRate: 1)
            errors.append((trained.predictions - (try model.nearlyKernelPrediction(train: x, targets: y, test: test, steps: 100, learningRate: 1))).maxAbs)
        }
        let lx = eps.map { log($0) }, ly = errors.map { log($0) }
        let mx = lx.reduce(0, +) / 4, my = ly.reduce(0, +) / 4
        let slope = zip(lx, ly).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / lx.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        #expect(abs(slope - 2) < 0.1, "error slope \(slope): \(errors)")
    }
}
