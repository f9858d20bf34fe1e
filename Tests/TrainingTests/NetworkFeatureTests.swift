import Foundation
import Testing
@testable import Architecture
@testable import Linalg
@testable import SampledNetworks
@testable import Training

/// A network's own gradient features and Hessian meta-features turn the generic linear and quadratic
/// models into the network's Taylor truncations (PDLT §7.2, §10.4, §11.4, §∞.2): trained from W = 0 on
/// the residual targets y − z₀, they reproduce `SampledNetwork.train(model: .linearized / .quadratic)`.
@Suite struct NetworkFeatureTests {
    let x = try! Matrix([[1.0, -0.5], [0.2, 0.9], [-0.7, 0.4], [0.5, 0.5], [-1.0, 0.1]])
    let y = try! Matrix([[0.5], [-1.0], [0.3], [0.8], [-0.2]])
    let test = try! Matrix([[0.3, -0.3], [-0.6, 1.0]])
    let spec = try! NetworkSpec(inputDimension: 2, depth: 3, width: 8, outputWidth: 1, activation: .tanh, cb: 0.1, cw: 1.5,
                                lambdaB: 0.5, lambdaW: 1.2)

    @Test func gradientFeaturesGramIsTheEmpiricalNTK() throws {
        let net = SampledNetwork(spec: spec, seed: 2, index: 0)
        let phi = try net.gradientFeatures(x)
        let h = try net.empiricalNTK(x)
        #expect(phi.cols == 2 * 8 + 8 + 8 * 8 + 8 + 8 + 1)
        let v = ParameterVector(normalLike: net, seed: 1, stream: 2)
        #expect(ParameterVector(flat: v.flat, like: net) == v)
        #expect((phi.gram() - h).maxAbs < 1e-13 * h.maxAbs)
    }

    @Test func linearModelOnGradientFeaturesIsTheLinearizedNetwork() throws {
        let net = SampledNetwork(spec: spec, seed: 2, index: 1)
        let z0 = try net.forward(x).last!, z0Test = try net.forward(test).last!
        let model = LinearModel(features: .custom(name: "gradient") { try net.gradientFeatures($0) })
        let fitted = try model.gradientDescentIterated(train: x, targets: y - z0, test: test, steps: 40, learningRate: 0.8).predictions + z0Test
        let closed = try model.gradientDescentClosedForm(train: x, targets: y - z0, test: test, steps: 40, learningRate: 0.8) + z0Test
        let run = try net.train(x: x, y: y, test: test, steps: 40, learningRate: 0.8, model: .linearized, measureNTK: false)
        #expect((fitted - run.testOutputs).maxAbs < 1e-11)
        #expect((closed - run.testOutputs).maxAbs < 1e-11)
    }

    @Test func quadraticModelWithHessianMetaFeaturesIsTheQuadraticTruncation() throws {
        let net = SampledNetwork(spec: spec, seed: 2, index: 2)
        let z0 = try net.forward(x).last!, z0Test = try net.forward(test).last!
        let psi: @Sendable (Matrix, Matrix) throws -> [Matrix] = { try net.hessianMetaFeatures($0, weights: $1) }
        let model = QuadraticModel(features: .custom(name: "gradient") { try net.gradientFeatures($0) },
                                   metaFeatures: .custom(name: "hessian", apply: psi), epsilon: 1)
        let trained = try model.train(train: x, targets: y - z0, test: test, steps: 30, learningRate: 0.8)
        let run = try net.train(x: x, y: y, test: test, steps: 30, learningRate: 0.8, model: .quadratic, measureNTK: false)
        #expect((trained.predictions + z0Test - run.testOutputs).maxAbs < 1e-10)
        #expect(trained.featureChangeCurve.count == 31 && trained.featureChangeCurve[0] == 0 && trained.featureChange > 0)
    }
}
