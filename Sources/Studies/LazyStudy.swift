import Architecture
import Foundation
import Lazy
import Linalg
import SampledNetworks
import Statistics

/// The report's lazy-training study (Chizat, Oyallon & Bach 2019): the criterion κ(sw₀) of bias-free ReLU MLPs
/// (λ_b = 0, homogeneous of degree q = L in their weights) against the initialization scale s, on four digit
/// images with targets ±1: κ ∝ s^{−q}, so a large initialization is lazy (kernel regime) and a small one is not.
public struct LazyStudy: Sendable {
    public struct Curve: Sendable {
        public var depth: Int
        public var scales: [Double], kappas: [Double]
        /// The fitted log–log slope (expected −depth).
        public var slope: Double
    }
    public var curves: [Curve]
    public var width: Int, inputs: Int

    public static func run(width: Int = 64, depths: [Int] = [2, 3, 4]) throws -> LazyStudy {
        let (x, y, _) = try TrainedMeanStudy.digitsTask()
        let scales = (0...8).map { Foundation.pow(2, Double($0) / 2 - 2) }
        let curves = try depths.map { depth -> Curve in
            let spec = try NetworkSpec(inputDimension: x.cols, depth: depth, width: width, outputWidth: 1, activation: .relu, cb: 0, cw: 2,
                                       lambdaB: 0, lambdaW: 1)
            let net = SampledNetwork(spec: spec, seed: 21, index: depth)
            let kappas = try scales.map { try LazyCriterion.kappa(LazyCriterion.scaled(net, by: $0), x: x, targets: y).kappa }
            return Curve(depth: depth, scales: scales, kappas: kappas, slope: PowerLaw.slope(scales, kappas))
        }
        return LazyStudy(curves: curves, width: width, inputs: x.rows)
    }
}
