import Architecture
import FiniteWidth
import Foundation
import Gaussian
import Linalg
import SampledNetworks
import Statistics

/// The report's finite-width study: theory at order 1/n against sampled networks.
public struct FiniteWidthStudy: Sendable {
    public struct KurtosisPoint: Sendable {
        public var depth: Int
        public var aspectRatio: Double
        public var theory: Double
        public var measured: Double
        public var standardError: Double
    }

    public struct RemainderPoint: Sendable {
        public var width: Int
        public var theory: Double
        public var measured: Double
        public var standardError: Double
    }

    /// Excess kurtosis of one output component vs (L − 1)/n, per activation label.
    public var kurtosis: [(label: String, activation: Activation, width: Int, points: [KurtosisPoint])]
    /// NTK variance of ReLU (depth 4) at several widths: order-1/n theory vs Monte Carlo.
    public var ntkVariance: [RemainderPoint]
    public var networks: Int
    public var seconds: Double

    public static func run(quick: Bool = false) throws -> FiniteWidthStudy {
        let start = Date()
        let networks = quick ? 600 : 3000
        let x = try Matrix([[1.1, -0.4, 0.8, 0.3]])
        let q0 = x.row(0).reduce(0) { $0 + $1 * $1 } / 4
        let n = 32
        let depths = quick ? [2, 4, 8] : [2, 3, 4, 6, 8, 12]
        var kurtosis: [(String, Activation, Int, [KurtosisPoint])] = []
        for (label, act, cw) in [("ReLU, critical", Activation.relu, 2.0), ("tanh, critical", Activation.tanh, 1.0)] {
            var points: [KurtosisPoint] = []
            for depth in depths {
                let spec = try NetworkSpec(inputDimension: 4, depth: depth, width: n, outputWidth: n, activation: act, cb: 0, cw: cw)
                let theory = DiagonalFiniteWidth.compute(spec: spec, q0: q0).excessKurtosis.last!
                let outs = try Ensemble.map(spec: spec, seed: UInt64(depth), indices: Array(0..<networks)) { try $0.forward(x).last!.row(0) }
                var acc = MomentAccumulator(channels: 1, order: 4)
                for (k, z) in outs.enumerated() { for v in z { acc.add(index: k, values: [v]) } }
                let e = acc.normalizedCumulant(0, 4)
                points.append(KurtosisPoint(depth: depth, aspectRatio: spec.aspectRatio, theory: theory, measured: e.value,
                                            standardError: e.standardError))
            }
            kurtosis.append((label, act, n, points))
        }
        var remainder: [RemainderPoint] = []
        for width in quick ? [32, 64] : [32, 64, 128] {
            let spec = try NetworkSpec(inputDimension: 4, depth: 4, width: width, outputWidth: 1, activation: .relu, cb: 0, cw: 2)
            let theory = DiagonalNTKFiniteWidth.compute(spec: spec, q0: q0).ntkVariance.last!
            let hs = try Ensemble.map(spec: spec, seed: 77, indices: Array(0..<(quick ? 2000 : 12000))) { try $0.empiricalNTK(x)[0, 0] }
            var acc = MomentAccumulator(channels: 1, order: 2)
            for (k, h) in hs.enumerated() { acc.add(index: k, values: [h]) }
            let e = acc.cumulant(0, 2)
            remainder.append(RemainderPoint(width: width, theory: theory, measured: e.value, standardError: e.standardError))
        }
        return FiniteWidthStudy(kurtosis: kurtosis, ntkVariance: remainder, networks: networks,
                                seconds: Date().timeIntervalSince(start))
    }
}
