import Foundation
import Testing
@testable import Architecture
@testable import Gaussian
@testable import Linalg
@testable import SampledNetworks
@testable import Studies
@testable import Training

@Suite struct TrainedEnsembleTests {
    /// Wide trained networks (width 256, 64 networks, 20 steps at half the stability bound) against the
    /// infinite-width ensemble after the same discrete steps: every test mean within 4 standard errors
    /// (estimator: sample mean over independent networks, SE = sd/√M); the covariance's diagonal within
    /// 4 standard errors of a variance (SE ≈ σ²√(2/(M − 1)) for near-Gaussian outputs).
    @Test func wideEnsembleAgreesWithInfiniteWidth() throws {
        let x = try Matrix([[1.0, -0.5, 0.3], [0.2, 0.9, -1.1], [-0.7, 0.4, 0.8], [0.5, 0.5, 0.5], [-1.0, 0.1, -0.2], [0.3, -1.2, 0.6]])
        let y = try Matrix([[0.5], [-1.0], [0.3], [0.8], [-0.2], [0.1]])
        let test = try Matrix([[0.3, -0.3, 0.1], [-0.6, 1.0, 0.4], [0.9, 0.2, -0.5]])
        let spec = try NetworkSpec(depth: 3, width: 256, activation: .relu, cb: 0.1, cw: 2)
        let k = try InfiniteWidthPrediction.Kernels(spec: spec.with(inputDimension: 3), train: x, test: test)
        let eta = 0.5 * (try InfiniteWidthPrediction.stabilityBound(k, outputs: 1, kernel: .ntk))
        let e = try TrainedEnsemble.run(spec: spec, train: x, targets: y, test: test, steps: 20, learningRate: eta, model: .network,
                                        seed: 5, networks: 64)
        for t in 0..<test.rows {
            let z = (e.testMean[t, 0] - e.theoryDiscrete.mean[t, 0]) / e.testMeanSE[t, 0]
            #expect(abs(z) < 4, "test \(t): \(e.testMean[t, 0]) ± \(e.testMeanSE[t, 0]) vs \(e.theoryDiscrete.mean[t, 0])")
            let v = e.theoryDiscrete.covariance[t, t]
            #expect(abs(e.testCovariance[t, t] - v) < 4 * v * (2.0 / 63).squareRoot(), "variance \(t): \(e.testCovariance[t, t]) vs \(v)")
        }
        #expect(e.trainLoss.last! < 0.5 * e.trainLoss.first!)
        #expect(e.ntkChange > 0 && e.ntkChange < 0.2)
    }
}
