import Architecture
import Foundation
import Gaussian
import Linalg
import SampledNetworks
import Statistics

/// Hanin's scaling laws for random ReLU networks (the lecture on random networks): the normalized
/// cumulants κ_{2k}/K^k of one output component grow as (L/n)^{k−1}, and the relative variance of
/// the squared input-gradient norm, Var(‖∂z/∂x‖²)/E[‖∂z/∂x‖²]², as L/n — measured on sampled
/// networks over a grid of depths at fixed width, with power-law fits.
public struct HaninScalingStudy: Sendable {
    public struct Point: Sendable {
        public var depth: Int
        public var aspectRatio: Double
        /// Normalized cumulants κ₄, κ₆, κ₈ with standard errors.
        public var cumulants: [MomentAccumulator.Estimate]
        public var gradientRelativeVariance: MomentAccumulator.Estimate
    }

    public struct Fit: Sendable {
        public var quantity: String
        public var expected: Double
        public var slope: Double
        public var slopeError: Double
        public var intercept: Double
        public var pointsUsed: Int
    }

    public var width: Int
    public var networks: Int
    public var points: [Point]
    public var fits: [Fit]

    public static func run(width n: Int = 32, depths: [Int] = [3, 5, 9, 17], networks: Int = 3000) throws -> HaninScalingStudy {
        let x = try Matrix([[0.7, -1.1, 0.4, 0.9]])
        var points: [Point] = []
        for depth in depths {
            let spec = try NetworkSpec(inputDimension: 4, depth: depth, width: n, outputWidth: n, activation: .relu, cb: 0, cw: 2)
            let rows = try Ensemble.map(spec: spec, seed: UInt64(1000 + depth), indices: Array(0..<networks)) { net -> ([Double], Double) in
                let (zs, errors) = try net.backward(x, component: 0)
                let g = try Matrix.product(errors[0], net.layers[0].weights)
                return (zs.last!.row(0), g.row(0).reduce(0) { $0 + $1 * $1 })
            }
            var comp = MomentAccumulator(channels: 1, order: 8)
            var grad = MomentAccumulator(channels: 1, order: 2)
            for (k, r) in rows.enumerated() {
                for v in r.0 { comp.add(index: k, values: [v]) }
                grad.add(index: k, values: [r.1])
            }
            points.append(Point(depth: depth, aspectRatio: spec.aspectRatio,
                                cumulants: [4, 6, 8].map { comp.normalizedCumulant(0, $0) },
                                gradientRelativeVariance: grad.estimate(0) { m in (m[2] - m[1] * m[1]) / (m[1] * m[1]) }))
        }
        var fits: [Fit] = []
        for (i, name) in ["κ₄/K²", "κ₆/K³", "κ₈/K⁴"].enumerated() {
            fits.append(fit(name, expected: Double(i + 1), points.map { ($0.aspectRatio, $0.cumulants[i]) }))
        }
        fits.append(fit("Var‖∂z/∂x‖²/E²", expected: 1, points.map { ($0.aspectRatio, $0.gradientRelativeVariance) }))
        return HaninScalingStudy(width: n, networks: networks, points: points, fits: fits)
    }

    /// Weighted least squares of log y on log r, weights from the standard errors (delta method),
    /// using the points measured as positive at more than 2 SE.
    static func fit(_ name: String, expected: Double, _ data: [(Double, MomentAccumulator.Estimate)]) -> Fit {
        var sw = 0.0, sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0, used = 0
        for (r, e) in data where e.value > 2 * e.standardError && e.standardError > 0 {
            let x = Foundation.log(r), y = Foundation.log(e.value), w = Foundation.pow(e.value / e.standardError, 2)
            sw += w; sx += w * x; sy += w * y; sxx += w * x * x; sxy += w * x * y
            used += 1
        }
        guard used >= 2 else { return Fit(quantity: name, expected: expected, slope: .nan, slopeError: .nan, intercept: .nan, pointsUsed: used) }
        let det = sw * sxx - sx * sx
        let slope = (sw * sxy - sx * sy) / det
        return Fit(quantity: name, expected: expected, slope: slope, slopeError: (sw / det).squareRoot(),
                   intercept: (sy - slope * sx) / sw, pointsUsed: used)
    }
}
