import Architecture
import DataIO
import Foundation
import Linalg
import SampledNetworks
import Statistics

/// Monte-Carlo measurement of the finite-width quantities of `dlt ensemble` on M sampled networks
/// (PDLT ch. 4, 8 observables), as mergeable accumulators.
///
/// Per network k (all in group k mod 32 for the jackknife):
/// - A_p = (1/n_L) Σ_i z_{i;δ₁} z_{i;δ₂} for each input pair p = (δ₁ ≤ δ₂): the kernel E[z z];
/// - B_{pq} = Σ_{i≠j} z_{i}(p) z_{j}(q)/(n_L(n_L − 1)): the vertex V_{(p)(q)} = n_{L−1}(E[B_{pq}] − E[A_p]E[A_q]);
/// - Ĥ_p, the empirical NTK of output component 0: its mean and variance;
/// - ‖∂z₀/∂x_δ‖², the squared input-gradient norm of component 0;
/// - on each of the first `differentialMaxInputs` inputs (with ≥ 2 outputs): the samples whose means
///   times n_{L−1} estimate the dNTK–preactivation cross-correlations P, Q and the ddNTK means R, S, T, U
///   (`SampledNetwork.differentialNTK`), and the λ-metric Hessian norm of z₀ (power iteration);
/// - for 2 ≤ N ≤ 4 inputs (with ≥ 2 outputs), the same statistics with a sample index on every z, every
///   tuple (`SampledNetwork.differentialNTKTensors`): the Monte-Carlo twin of `dntk_tensors`.
/// Per output component (samples z_{i;δ}, several per network): cumulants up to order 8, whose
/// normalized fourth is the excess kurtosis.
public struct EnsembleMeasurement: Sendable {
    public static let vertexMaxInputs = 4
    /// dNTK/ddNTK and Hessian statistics are measured on at most this many inputs (each costs ~10
    /// single-input passes plus a power iteration per network).
    public static let differentialMaxInputs = 4

    public let spec: NetworkSpec
    public let inputs: Int
    public var perNetwork: MomentAccumulator
    public var perComponent: MomentAccumulator
    public var networks: Int

    var pairs: [(Int, Int)] { EnsembleMeasurement.pairs(inputs) }
    static func pairs(_ n: Int) -> [(Int, Int)] { (0..<n).flatMap { a in (a..<n).map { (a, $0) } } }
    var withVertex: Bool { inputs <= EnsembleMeasurement.vertexMaxInputs && spec.outputWidth >= 2 }
    var vertexChannels: Int { withVertex ? pairs.count * pairs.count : 0 }
    static func differentialInputs(_ spec: NetworkSpec, _ n: Int, _ enabled: Bool) -> Int {
        enabled && spec.outputWidth >= 2 ? min(n, differentialMaxInputs) : 0
    }
    /// Whether the dNTK/ddNTK statistics and the Hessian norm are measured (they cost more than the rest).
    public let measuresDerivatives: Bool
    var differentialInputs: Int { EnsembleMeasurement.differentialInputs(spec, inputs, measuresDerivatives) }
    static let differentialChannels = 7
    /// Inputs of the sample-indexed dNTK/ddNTK tensors (0: not measured).
    static func tensorInputs(_ spec: NetworkSpec, _ n: Int, _ enabled: Bool) -> Int {
        enabled && spec.outputWidth >= 2 && n >= 2 && n <= vertexMaxInputs ? n : 0
    }
    var tensorInputs: Int { EnsembleMeasurement.tensorInputs(spec, inputs, measuresDerivatives) }

    public init(spec: NetworkSpec, inputs n: Int, derivatives: Bool = true) {
        self.spec = spec
        inputs = n
        measuresDerivatives = derivatives
        let p = EnsembleMeasurement.pairs(n).count
        let vertex = (n <= EnsembleMeasurement.vertexMaxInputs && spec.outputWidth >= 2) ? p * p : 0
        let differential = EnsembleMeasurement.differentialInputs(spec, n, derivatives) * EnsembleMeasurement.differentialChannels
        let covariance = n <= EnsembleMeasurement.vertexMaxInputs ? p * (p + 1) / 2 : 0
        let tensors = 6 * Int(pow(Double(EnsembleMeasurement.tensorInputs(spec, n, derivatives)), 4))
        perNetwork = MomentAccumulator(channels: p + vertex + p + n + differential + covariance + tensors, order: 2)
        perComponent = MomentAccumulator(channels: n, order: 8)
        networks = 0
    }

    /// Measure networks `indices` (e.g. a shard k, k + K, …) on `x` and add them.
    public mutating func run(x: Matrix, seed: UInt64, indices: [Int], workers: Int? = nil,
                             progress: (@Sendable (Int) -> Void)? = nil) throws {
        let spec = self.spec, pairs = self.pairs, withVertex = self.withVertex, n = inputs, nd = differentialInputs, withTensors = tensorInputs > 0
        let withCovariance = n <= EnsembleMeasurement.vertexMaxInputs
        let counter = ProgressCounter(progress)
        let rows = try Ensemble.map(spec: spec, seed: seed, indices: indices, workers: workers) { net -> ([Double], [[Double]]) in
            let pass = try net.backward(x, component: 0)
            let (zs, errors) = pass
            try net.checkFinite(zs)
            for (l, e) in errors.enumerated() where !e.isFinite {
                throw NonFiniteValue(quantity: "the backpropagated errors ∂z^(L)/∂z", layer: l + 1, network: net.index)
            }
            let z = zs.last!
            let width = Double(z.cols)
            var values: [Double] = []
            var products: [[Double]] = []
            for (a, b) in pairs { products.append((0..<z.cols).map { z[a, $0] * z[b, $0] }) }
            for p in products { values.append(p.reduce(0, +) / width) }
            if withVertex {
                for p in products { for q in products {
                    let sp = p.reduce(0, +), sq = q.reduce(0, +)
                    let diag = zip(p, q).reduce(0) { $0 + $1.0 * $1.1 }
                    values.append((sp * sq - diag) / (width * (width - 1)))
                } }
            }
            let h = try net.empiricalNTK(x, backward: pass)
            guard h.isFinite else { throw NonFiniteValue(quantity: "the empirical NTK", layer: nil, network: net.index) }
            for (a, b) in pairs { values.append(h[a, b]) }
            let g = try Matrix.product(errors[0], net.layers[0].weights)
            for d in 0..<n { values.append(g.row(d).reduce(0) { $0 + $1 * $1 }) }
            for d in 0..<nd {
                let s = try net.differentialNTK(x, input: d)
                let hessian = try net.hessianNorm(x, input: d, seed: seed, tolerance: 1e-7)
                values += [s.p, s.q, s.r, s.s, s.t, s.u, hessian.norm]
            }
            if withCovariance {
                let hp = pairs.map { h[$0.0, $0.1] }
                for i in hp.indices { for j in i..<hp.count { values.append(hp[i] * hp[j]) } }
            }
            if withTensors {
                let t = try net.differentialNTKTensors(x)
                values += t.p + t.q + t.r + t.s + t.t + t.u
            }
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw NonFiniteValue(quantity: "measured statistic #\(bad) (products of the outputs, NTK or derivatives)", layer: nil, network: net.index)
            }
            counter.tick()
            return (values, (0..<z.cols).map { i in (0..<n).map { z[$0, i] } })
        }
        for (k, r) in zip(indices, rows) {
            perNetwork.add(index: k, values: r.0)
            for comp in r.1 { perComponent.add(index: k, values: comp) }
        }
        networks += indices.count
    }

    /// The measured quantities with standard errors under the keys of `dlt finite-width` plus `_se`.
    public func json() -> [(String, JSONValue)] {
        let n = inputs, p = pairs.count
        func pairIndex(_ a: Int, _ b: Int) -> Int { pairs.firstIndex { $0 == (min(a, b), max(a, b)) }! }
        func matrix(_ offset: Int, _ f: (MomentAccumulator.Estimate) -> Double, stat: (Int) -> MomentAccumulator.Estimate) -> JSONValue {
            .array((0..<n).map { a in .array((0..<n).map { b in .number(f(stat(offset + pairIndex(a, b)))) }) })
        }
        var out: [(String, JSONValue)] = []
        out.append(("nngp", matrix(0, \.value) { perNetwork.mean($0) }))
        out.append(("nngp_se", matrix(0, \.standardError) { perNetwork.mean($0) }))
        let kurt = (0..<n).map { perComponent.normalizedCumulant($0, 4) }
        out.append(("excess_kurtosis", .vector(kurt.map(\.value))))
        out.append(("excess_kurtosis_se", .vector(kurt.map(\.standardError))))
        if withVertex {
            let nPrev = Double(spec.width(ofLayer: spec.depth - 1))
            func vertex(_ a: Int, _ b: Int, _ c: Int, _ d: Int) -> MomentAccumulator.Estimate {
                let pi = pairIndex(a, b), qi = pairIndex(c, d)
                return perNetwork.estimate(channels: [p + pi * p + qi, pi, qi]) { m in nPrev * (m[0][1] - m[1][1] * m[2][1]) }
            }
            func tensor(_ f: (MomentAccumulator.Estimate) -> Double) -> JSONValue {
                .array((0..<n).map { a in .array((0..<n).map { b in .array((0..<n).map { c in .array((0..<n).map { d in
                    .number(f(vertex(a, b, c, d))) }) }) }) })
            }
            out.append(("vertex", tensor(\.value)))
            out.append(("vertex_se", tensor(\.standardError)))
        }
        let ntkOffset = p + vertexChannels
        out.append(("ntk_mean", matrix(ntkOffset, \.value) { perNetwork.mean($0) }))
        out.append(("ntk_mean_se", matrix(ntkOffset, \.standardError) { perNetwork.mean($0) }))
        let ntkVar = (0..<n).map { perNetwork.cumulant(ntkOffset + pairIndex($0, $0), 2) }
        out.append(("ntk_variance", .vector(ntkVar.map(\.value))))
        out.append(("ntk_variance_se", .vector(ntkVar.map(\.standardError))))
        let gradOffset = ntkOffset + p
        let grad = (0..<n).map { perNetwork.mean(gradOffset + $0) }
        out.append(("input_gradient_norm2", .vector(grad.map(\.value))))
        out.append(("input_gradient_norm2_se", .vector(grad.map(\.standardError))))
        let differentialOffset = gradOffset + n
        let nPrev = Double(spec.width(ofLayer: spec.depth - 1))
        for (c, key) in ["dntk_p", "dntk_q", "ddntk_r", "ddntk_s", "ddntk_t", "ddntk_u", "hessian_norm"].enumerated()
            where differentialInputs > 0 {
            let scale = key == "hessian_norm" ? 1 : nPrev
            let e = (0..<differentialInputs).map { perNetwork.mean(differentialOffset + $0 * EnsembleMeasurement.differentialChannels + c) }
            out.append((key, .vector(e.map { scale * $0.value })))
            out.append((key + "_se", .vector(e.map { scale * $0.standardError })))
        }
        for order in [6, 8] {
            let k = (0..<n).map { perComponent.normalizedCumulant($0, order) }
            out.append(("kappa\(order)_normalized", .vector(k.map(\.value))))
            out.append(("kappa\(order)_normalized_se", .vector(k.map(\.standardError))))
        }
        if n <= EnsembleMeasurement.vertexMaxInputs {
            // Cov(Ĥ_{δ₁δ₂}, Ĥ_{δ₃δ₄}) of output component 0 from the product channels Ĥ_p Ĥ_q (p ≤ q).
            let base = differentialOffset + differentialInputs * EnsembleMeasurement.differentialChannels
            func productIndex(_ i: Int, _ j: Int) -> Int { let (a, b) = (min(i, j), max(i, j)); return base + a * p - a * (a - 1) / 2 + (b - a) }
            func covariance(_ a: Int, _ b: Int, _ c: Int, _ d: Int) -> MomentAccumulator.Estimate {
                let pi = pairIndex(a, b), qi = pairIndex(c, d)
                return perNetwork.estimate(channels: [productIndex(pi, qi), ntkOffset + pi, ntkOffset + qi]) { m in m[0][1] - m[1][1] * m[2][1] }
            }
            func tensor(_ f: (MomentAccumulator.Estimate) -> Double) -> JSONValue {
                .array((0..<n).map { a in .array((0..<n).map { b in .array((0..<n).map { c in .array((0..<n).map { d in
                    .number(f(covariance(a, b, c, d))) }) }) }) })
            }
            out.append(("ntk_covariance", tensor(\.value)))
            out.append(("ntk_covariance_se", tensor(\.standardError)))
        }
        if tensorInputs > 0 {
            // n_{L−1}·E[sample] for P … U with sample indices [δ₀][δ₁][δ₂][δ₃] (units of 1/n_{L−1}, as in `dlt finite-width`).
            let base = differentialOffset + differentialInputs * EnsembleMeasurement.differentialChannels + p * (p + 1) / 2
            let size = n * n * n * n
            func tensors(_ f: @escaping (MomentAccumulator.Estimate) -> Double) -> JSONValue {
                .object(["p", "q", "r", "s", "t", "u"].enumerated().map { c, key in
                    (key, .array((0..<n).map { a in .array((0..<n).map { b in .array((0..<n).map { cc in .array((0..<n).map { d in
                        .number(f(perNetwork.mean(base + c * size + ((a * n + b) * n + cc) * n + d).scaled(by: nPrev))) }) }) }) }))
                })
            }
            out.append(("dntk_tensors", tensors(\.value)))
            out.append(("dntk_tensors_se", tensors(\.standardError)))
        }
        out.append(("networks", .int(networks)))
        return out
    }
}

/// Counts finished networks for a progress callback.
final class ProgressCounter: @unchecked Sendable {
    private var done = 0
    private let lock = NSLock()
    private let report: (@Sendable (Int) -> Void)?
    init(_ report: (@Sendable (Int) -> Void)?) { self.report = report }
    func tick() {
        guard let report else { return }
        lock.lock(); done += 1; let d = done; lock.unlock()
        report(d)
    }
}
