import Foundation
import Testing
@testable import Linalg
@testable import Sampling
@testable import Training

@Suite struct LinearModelTests {
    let x = try! Matrix([[0.3, -1.0], [1.2, 0.4], [-0.7, 0.9], [0.1, 0.1], [-1.3, -0.2], [0.8, -0.6]])
    let y = try! Matrix([[0.5, 1], [-1.0, 0], [0.3, 1], [0.8, 0], [-0.2, 1], [0.1, 0]])
    let test = try! Matrix([[0.2, 0.2], [-0.5, 1.1], [1.0, -1.0]])

    func close(_ a: Matrix, _ b: Matrix, _ tol: Double) -> Bool {
        zip(a.storage, b.storage).allSatisfy { abs($0 - $1) <= tol * max(1, b.maxAbs) }
    }

    /// Direct (primal) = dual kernel form, with ridge, for each feature map; P > N without ridge:
    /// the dual gives the minimum-norm interpolant, which GD from zero reaches at t = ∞.
    @Test(arguments: ["identity", "random", "polynomial"])
    func directEqualsKernelForm(_ name: String) throws {
        let features: LinearModel.Features = name == "identity" ? .identity : name == "random" ? .random(count: 40, seed: 3) : .polynomial(degree: 3)
        let model = LinearModel(features: features)
        let w = try model.directWeights(train: x, targets: y, ridge: 1e-3)
        #expect(close(try model.predict(weights: w, test), try model.kernelPrediction(train: x, targets: y, test: test, ridge: 1e-3), 1e-9))
    }

    /// GD in closed form equals GD by iteration at every step count; t = ∞ with P > N is the kernel
    /// interpolant; a non-zero W(0) changes the t = ∞ answer by exactly its part outside the data span.
    @Test func gradientDescentClosedFormAndIteration() throws {
        let model = LinearModel(features: .random(count: 40, seed: 7))
        let eta = 2.0
        for steps in [1, 7, 60] {
            let closed = try model.gradientDescentClosedForm(train: x, targets: y, test: test, steps: steps, learningRate: eta)
            let iterated = try model.gradientDescentIterated(train: x, targets: y, test: test, steps: steps, learningRate: eta).predictions
            #expect(close(closed, iterated, 1e-10), "steps \(steps)")
        }
        let inf = try model.gradientDescentClosedForm(train: x, targets: y, test: test, steps: nil, learningRate: eta)
        #expect(close(inf, try model.kernelPrediction(train: x, targets: y, test: test), 1e-8))
        // Algorithm dependence: W(0) ≠ 0 moves the t = ∞ prediction by W₀φ(x) − k(x,X)k⁻¹W₀φ(X).
        var w0 = Matrix(rows: 2, cols: 40)
        w0.storage.withUnsafeMutableBufferPointer { Philox4x32(seed: 1, stream: 2).fillNormals($0) }
        let moved = try model.gradientDescentClosedForm(train: x, targets: y, test: test, steps: nil, learningRate: eta, initial: w0)
        let z0Train = try model.predict(weights: w0, x), z0Test = try model.predict(weights: w0, test)
        let projected = try model.kernelPrediction(train: x, targets: z0Train, test: test)
        #expect(close(moved - inf, z0Test - projected, 1e-8))
        #expect((moved - inf).maxAbs > 1e-3)  // the initialization matters
        // The closed form from W(0) at finite t equals iteration from W(0).
        let iterated = try model.gradientDescentIterated(train: x, targets: y, test: test, steps: 300, learningRate: eta, initial: w0).predictions
        #expect(close(iterated, try model.gradientDescentClosedForm(train: x, targets: y, test: test, steps: 300, learningRate: eta, initial: w0), 1e-10))
    }
}
