import Architecture
import FiniteWidth
import Foundation
import Gaussian
import Linalg
import SampledNetworks
import Statistics

/// Hanin's scaling laws for random ReLU networks (the lecture on random networks): the normalized
/// cumulants κ_{2k}/K^k of one output component grow as (L/n)^{k−1}, and the relative variance of
/// the squared input-gradient norm, Var(‖∂z/∂x‖²)/E[‖∂z/∂x‖²]², as L/n — measured on sampled
/// networks over a grid of depths at fixed width, with power-law fits; the Hessian of an output with
/// respect to the parameters over a grid of (L, n); and the ABReLU family σ(t) = (a₋1_{t<0} + a₊1_{t>0})t
/// at C_W = 2/(a₊² + a₋²), whose kurtosis coefficient depends on a₋/a₊ (theory: PDLT §4.3 vertex).
public struct HaninScalingStudy: Sendable {
    public struct Point: Sendable {
        public var depth: Int
        public var aspectRatio: Double
        /// Normalized cumulants κ₄, κ₆, κ₈ with standard errors.
        public var cumulants: [MomentAccumulator.Estimate]
        /// The exact κ₄/K², κ₆/K³, κ₈/K⁴ of the same network (`ScaleInvariantExact.normalizedCumulants`).
        public var exact: [Double]
        /// Networks needed to estimate E[z⁴], E[z⁶], E[z⁸] to 10% (relative standard error
        /// √((R_{2k}/R_k² − 1)/M) = 0.1, `ScaleInvariantExact.varianceMomentRatios`).
        public var networksFor10Percent: [Double]
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

    /// ‖λ^{1/2} ∇²_θ z λ^{1/2}‖ of output 0 (Lanczos on exact Hessian–vector products), divided by the
    /// infinite-width NTK Θ^(L) so that it measures the relative size of the quadratic term of the
    /// network's Taylor expansion in the gradient-descent metric.
    public struct HessianPoint: Sendable {
        public var width: Int
        public var depth: Int
        public var aspectRatio: Double
        /// E[(‖H‖/Θ)²] with its standard error.
        public var normalizedSquare: MomentAccumulator.Estimate
    }

    /// One member of the ABReLU family at fixed (L, n).
    public struct ABReLUPoint: Sendable {
        public var negativeSlope: Double
        public var positiveSlope: Double
        /// Excess kurtosis κ₄/K² of one output: order-1/n theory (3(L − 1)c/n with
        /// c = 6(a₊⁴ + a₋⁴)/(a₊² + a₋²)² − 1), the exact value 3((1 + c/n)^{L−1} − 1) (`ScaleInvariantExact`), and Monte Carlo.
        public var theory: Double
        public var exact: Double
        public var measured: MomentAccumulator.Estimate
        public var gradientRelativeVariance: MomentAccumulator.Estimate
    }

    public var width: Int
    public var networks: Int
    public var points: [Point]
    public var fits: [Fit]
    /// Log–log slopes of the exact κ_{2k} at small aspect ratio and large depth (n = 10⁵,
    /// L = 101 … 801: r = 0.001 … 0.008), where Hanin's leading exponents k − 1 should appear
    /// (at small L the subleading L/n² terms still matter).
    public var exactSmallRatioSlopes: [Double]
    public var hessian: [HessianPoint]
    public var hessianNetworks: Int
    public var hessianFit: Fit
    public var abrelu: [ABReLUPoint]
    public var abreluDepth: Int

    public static func run(width n: Int = 32, depths: [Int] = [3, 5, 9, 17], networks: Int = 3000,
                           hessianWidths: [Int] = [16, 32, 64], hessianDepths: [Int] = [3, 5, 9], hessianNetworks: Int = 300,
                           abreluSlopes: [Double] = [-1, -0.5, 0, 0.5, 1]) throws -> HaninScalingStudy {
        let x = try Matrix([[0.7, -1.1, 0.4, 0.9]])
        var points: [Point] = []
        for depth in depths {
            let spec = try NetworkSpec(inputDimension: 4, depth: depth, width: n, outputWidth: n, activation: .relu, cb: 0, cw: 2)
            let (comp, grad) = try measure(spec: spec, x: x, seed: UInt64(1000 + depth), networks: networks)
            points.append(Point(depth: depth, aspectRatio: spec.aspectRatio,
                                cumulants: [4, 6, 8].map { comp.normalizedCumulant(0, $0) },
                                exact: ScaleInvariantExact.normalizedCumulants(spec: spec)!,
                                networksFor10Percent: networksFor10Percent(spec),
                                gradientRelativeVariance: grad.estimate(0) { m in (m[2] - m[1] * m[1]) / (m[1] * m[1]) }))
        }
        var fits: [Fit] = []
        for (i, name) in ["κ₄/K²", "κ₆/K³", "κ₈/K⁴"].enumerated() {
            fits.append(fit(name, expected: Double(i + 1), points.map { ($0.aspectRatio, $0.cumulants[i]) }))
        }
        fits.append(fit("Var‖∂z/∂x‖²/E²", expected: 1, points.map { ($0.aspectRatio, $0.gradientRelativeVariance) }))
        let q0 = x.row(0).reduce(0) { $0 + $1 * $1 } / 4
        var small: [(Double, [Double])] = []
        for depth in [101, 201, 401, 801] {
            let spec = try NetworkSpec(inputDimension: 4, depth: depth, width: 100_000, activation: .relu, cb: 0, cw: 2)
            small.append((spec.aspectRatio, ScaleInvariantExact.normalizedCumulants(spec: spec)!))
        }
        let exactSmallRatioSlopes = (0..<3).map { i in
            PowerLaw.slope(small.map(\.0), small.map { $0.1[i] })
        }
        var hessian: [HessianPoint] = []
        for width in hessianWidths {
            for depth in hessianDepths {
                let spec = try NetworkSpec(inputDimension: 4, depth: depth, width: width, outputWidth: 1, activation: .relu, cb: 0, cw: 2)
                let theta = DiagonalNTKFiniteWidth.compute(spec: spec, q0: q0).ntk.last!
                let seed = UInt64(5000 + 100 * width + depth)
                let norms = try Ensemble.map(spec: spec, seed: seed, indices: Array(0..<hessianNetworks)) {
                    try $0.hessianNorm(x, input: 0, seed: seed, tolerance: 1e-8).norm
                }
                var acc = MomentAccumulator(channels: 1, order: 2)
                for (k, h) in norms.enumerated() { acc.add(index: k, values: [h / theta]) }
                hessian.append(HessianPoint(width: width, depth: depth, aspectRatio: spec.aspectRatio,
                                            normalizedSquare: acc.estimate(0) { m in m[2] }))
            }
        }
        let hessianFit = fit("E[(‖∇²z‖/Θ)²]", expected: 1, hessian.map { ($0.aspectRatio, $0.normalizedSquare) })
        let abreluDepth = 9
        var abrelu: [ABReLUPoint] = []
        for (i, aMinus) in abreluSlopes.enumerated() {
            let act = Activation.abrelu(negative: aMinus, positive: 1)
            let spec = try NetworkSpec(inputDimension: 4, depth: abreluDepth, width: n, outputWidth: n, activation: act, cb: 0,
                                       cw: 2 / (1 + aMinus * aMinus))
            let theory = DiagonalFiniteWidth.compute(spec: spec, q0: q0).excessKurtosis.last!
            let exact = ScaleInvariantExact.excessKurtosis(spec: spec)!
            let (comp, grad) = try measure(spec: spec, x: x, seed: UInt64(9000 + i), networks: networks)
            abrelu.append(ABReLUPoint(negativeSlope: aMinus, positiveSlope: 1, theory: theory, exact: exact,
                                      measured: comp.normalizedCumulant(0, 4),
                                      gradientRelativeVariance: grad.estimate(0) { m in (m[2] - m[1] * m[1]) / (m[1] * m[1]) }))
        }
        return HaninScalingStudy(width: n, networks: networks, points: points, fits: fits,
                                 exactSmallRatioSlopes: exactSmallRatioSlopes, hessian: hessian,
                                 hessianNetworks: hessianNetworks, hessianFit: hessianFit, abrelu: abrelu, abreluDepth: abreluDepth)
    }

    /// Cumulants of one output component (every component of every network) and the squared
    /// input-gradient norm of component 0, over `networks` sampled networks.
    static func measure(spec: NetworkSpec, x: Matrix, seed: UInt64, networks: Int) throws -> (MomentAccumulator, MomentAccumulator) {
        let rows = try Ensemble.map(spec: spec, seed: seed, indices: Array(0..<networks)) { net -> ([Double], Double) in
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
        return (comp, grad)
    }

    /// See `Point.networksFor10Percent`.
    static func networksFor10Percent(_ spec: NetworkSpec) -> [Double] {
        let r = ScaleInvariantExact.varianceMomentRatios(spec: spec, upTo: 8)
        return [2, 3, 4].map { (k: Int) -> Double in (r[2 * k] / (r[k] * r[k]) - 1) / 0.01 }
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
