import Architecture
import FiniteWidth
import Foundation
import Gaussian
import Linalg
import SampledNetworks
import Statistics

/// The report's depth profiles at finite width: NTK fluctuations and the dNTK/ddNTK statistics of
/// PDLT ch. 8 and 11 against sampled networks, layer by layer, for ReLU and tanh at criticality.
///
/// Normalizations (dimensionless, each O(1/n)·f(L)): Var(Ĥ)/Θ²; P/Θ², Q/Θ² for the dNTK–preactivation
/// cross-correlations E[dĤ z] = (…)/n; R K/Θ³ … U K/Θ³ for the ddNTK means (dĤ ~ Θ²/z, ddĤ ~ Θ³/z²).
public struct DepthProfileStudy: Sendable {
    public struct Point: Sendable {
        public var depth: Int
        public var aspectRatio: Double
        /// Θ^(L) and K^(L) at infinite width (the normalizations).
        public var ntk: Double
        public var kernel: Double
        /// Var(Ĥ)/Θ²: order-1/n theory and Monte Carlo.
        public var ntkVarianceTheory: Double
        public var ntkVariance: MomentAccumulator.Estimate
        /// P/Θ², Q/Θ², R K/Θ³, S K/Θ³, T K/Θ³, U K/Θ³ measured (times n_{L−1}) and from `DiagonalDifferentialNTK`.
        public var differential: [MomentAccumulator.Estimate]
        public var differentialTheory: [Double]?
    }

    public static let differentialNames = ["P", "Q", "R", "S", "T", "U"]

    public var profiles: [(label: String, activation: Activation, points: [Point])]
    public var width: Int
    public var networks: Int
    public var seconds: Double

    public static func run(width n: Int = 32, depths: [Int] = [2, 3, 4, 6, 8], networks: Int = 3000) throws -> DepthProfileStudy {
        let start = Date()
        let x = try Matrix([[0.6, -1.2, 0.9, 0.3]])
        let q0 = x.row(0).reduce(0) { $0 + $1 * $1 } / 4
        var profiles: [(String, Activation, [Point])] = []
        for (label, act, cw) in [("ReLU, critical", Activation.relu, 2.0), ("tanh, critical", Activation.tanh, 1.0)] {
            var points: [Point] = []
            for depth in depths {
                let spec = try NetworkSpec(inputDimension: 4, depth: depth, width: n, outputWidth: 2, activation: act, cb: 0, cw: cw)
                let metric = DiagonalFiniteWidth.compute(spec: spec, q0: q0)
                let ntkTheory = DiagonalNTKFiniteWidth.compute(spec: spec, q0: q0)
                let theta = ntkTheory.ntk.last!, k = metric.kernel.last!
                let differentialTheory = DiagonalDifferentialNTK.compute(spec: spec, q0: q0).statistics(layer: depth)
                let rows = try Ensemble.map(spec: spec, seed: UInt64(300 + depth), indices: Array(0..<networks)) { net -> [Double] in
                    let s = try net.differentialNTK(x, input: 0)
                    return [try net.empiricalNTK(x)[0, 0], s.p, s.q, s.r, s.s, s.t, s.u]
                }
                var acc = MomentAccumulator(channels: 7, order: 2)
                for (i, r) in rows.enumerated() { acc.add(index: i, values: r) }
                let nPrev = Double(spec.width(ofLayer: depth - 1))
                let scales = [nPrev / (theta * theta), nPrev / (theta * theta)] + [Double](repeating: nPrev * k / (theta * theta * theta), count: 4)
                let differential = (0..<6).map { acc.mean($0 + 1).scaled(by: scales[$0]) }
                points.append(Point(depth: depth, aspectRatio: spec.aspectRatio, ntk: theta, kernel: k,
                                    ntkVarianceTheory: ntkTheory.ntkVariance.last! / (theta * theta),
                                    ntkVariance: acc.cumulant(0, 2).scaled(by: 1 / (theta * theta)),
                                    differential: differential,
                                    differentialTheory: (0..<6).map { differentialTheory[$0] * scales[$0] / nPrev }))
            }
            profiles.append((label, act, points))
        }
        return DepthProfileStudy(profiles: profiles, width: n, networks: networks, seconds: Date().timeIntervalSince(start))
    }
}
