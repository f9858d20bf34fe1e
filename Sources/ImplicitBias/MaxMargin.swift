import Foundation
import Linalg

/// The hard-margin SVM through the origin (no intercept, as in the lecture on implicit bias; Soudry et
/// al. 2018): w* = argmin ‖w‖² subject to yᵢxᵢᵀw ≥ 1. By minimax duality its unit direction is the
/// minimum-norm point p of the convex hull of the signed points vᵢ = yᵢxᵢ,
///   max_{‖u‖=1} minᵢ vᵢᵀu = min_{p ∈ conv{vᵢ}} ‖p‖,
/// so u* = p/‖p‖, the margin γ = ‖p‖ = minᵢ vᵢᵀu*, w* = p/‖p‖² and the dual multipliers are αᵢ = λᵢ/‖p‖²
/// for the convex weights λ of p. The data is separable through the origin iff p ≠ 0 (Gordan's
/// alternative: otherwise 0 is a convex combination of the vᵢ).
///
/// p is found by Wolfe's algorithm (1976): an active set S of affinely independent points, the affine
/// minimizer of ‖Σ_{i∈S} βᵢvᵢ‖ with Σβᵢ = 1 by one small linear solve ([G 1; 1ᵀ 0], G = V_SV_Sᵀ), a line step
/// back into the simplex when some βᵢ ≤ 0, and a new point j = argminᵢ vᵢᵀp while vⱼᵀp < ‖p‖²: finite, and exact
/// to rounding at the end (the KKT conditions hold to ~1e-12 relative; `MaxMarginTests` checks them).
public struct MaxMargin: Sendable {
    /// u* = w*/‖w*‖.
    public var direction: [Double]
    /// γ = minᵢ yᵢxᵢᵀu*, the geometric margin of the unit direction.
    public var margin: Double
    /// Rows i with yᵢxᵢᵀu* = γ (to 1e-9 relative).
    public var supportVectors: [Int]
    /// The dual multipliers αᵢ ≥ 0 of the hard-margin problem (w* = Σ αᵢyᵢxᵢ).
    public var multipliers: [Double]
    /// w* = u*/γ, the minimum-norm weights with all margins ≥ 1.
    public var weights: [Double] { direction.map { $0 / margin } }

    /// The SVM of inputs `x` (rows) and labels `y` (±1). Throws `ImplicitBiasError` for labels other than
    /// ±1, a shape mismatch, non-finite input, or data that is not separable through the origin.
    public init(x: Matrix, labels y: [Double]) throws {
        try ImplicitBiasError.checkLabels(x: x, labels: y)
        let n = x.rows, d = x.cols
        var v = x
        for i in 0..<n { for j in 0..<d { v[i, j] *= y[i] } }
        let norms = (0..<n).map { i in (0..<d).reduce(0) { $0 + v[i, $1] * v[i, $1] } }
        let scale = norms.max() ?? 0
        guard scale > 0 else { throw ImplicitBiasError.notSeparable("every input is zero") }
        /// Σ_{i∈S} wᵢ vᵢ.
        func combine(_ s: [Int], _ w: [Double]) -> [Double] {
            var p = [Double](repeating: 0, count: d)
            for (i, wi) in zip(s, w) { for j in 0..<d { p[j] += wi * v[i, j] } }
            return p
        }
        func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        /// The affine minimizer of ‖Σβᵢvᵢ‖ over Σβᵢ = 1 on S.
        func affineMinimizer(_ s: [Int]) throws -> [Double] {
            let m = s.count
            var a = Matrix(rows: m + 1, cols: m + 1)
            for (r, i) in s.enumerated() {
                for (c, j) in s.enumerated() { a[r, c] = (0..<d).reduce(0) { $0 + v[i, $1] * v[j, $1] } }
                a[r, m] = 1
                a[m, r] = 1
            }
            var rhs = Matrix(rows: m + 1, cols: 1)
            rhs[m, 0] = 1
            do { return Array(try a.solve(rhs).storage.prefix(m)) } catch {
                // Affinely dependent to rounding: a tiny ridge picks the minimum-norm weights.
                for r in 0..<m { a[r, r] += 1e-13 * scale }
                return Array(try a.solve(rhs).storage.prefix(m))
            }
        }
        let first = norms.indices.min { norms[$0] < norms[$1] }!
        var s = [first], lambda = [1.0]
        var p = combine(s, lambda)
        for _ in 0..<(20 * n + 100) {
            let pp = dot(p, p)
            if pp <= 1e-24 * scale { break }
            let g = (0..<n).map { i in (0..<d).reduce(0) { $0 + v[i, $1] * p[$1] } }
            let j = g.indices.min { g[$0] < g[$1] }!
            if pp - g[j] <= 1e-13 * scale || s.contains(j) { break }
            s.append(j)
            lambda.append(0)
            for _ in 0...s.count {
                let beta = try affineMinimizer(s)
                if beta.allSatisfy({ $0 > 1e-15 }) {
                    lambda = beta
                    break
                }
                // Step from λ toward β until the first weight hits zero, and drop it.
                var theta = 1.0
                for (l, b) in zip(lambda, beta) where b <= 1e-15 && l - b > 0 { theta = min(theta, l / (l - b)) }
                lambda = zip(lambda, beta).map { theta * $1 + (1 - theta) * $0 }
                let keep = lambda.indices.filter { lambda[$0] > 1e-15 }
                s = keep.map { s[$0] }
                let total = keep.reduce(0) { $0 + lambda[$1] }
                lambda = keep.map { lambda[$0] / total }
            }
            p = combine(s, lambda)
        }
        let norm = dot(p, p).squareRoot()
        guard norm > 1e-10 * scale.squareRoot() else {
            throw ImplicitBiasError.notSeparable("the data is not linearly separable through the origin: 0 lies in the convex hull of the points yᵢxᵢ (add a constant column for an intercept, or use real targets)")
        }
        direction = p.map { $0 / norm }
        margin = norm
        let margins = (0..<n).map { i in (0..<d).reduce(0) { $0 + v[i, $1] * p[$1] } / norm }
        supportVectors = margins.indices.filter { margins[$0] <= norm * (1 + 1e-9) }
        var alpha = [Double](repeating: 0, count: n)
        for (i, l) in zip(s, lambda) { alpha[i] = l / (norm * norm) }
        multipliers = alpha
    }
}

public enum ImplicitBiasError: Error, Equatable, CustomStringConvertible {
    case shape(String), nonFinite(String), labels(String), notSeparable(String), invalid(String)
    public var description: String {
        switch self {
        case let .shape(s), let .nonFinite(s), let .labels(s), let .notSeparable(s), let .invalid(s): return s
        }
    }

    static func checkLabels(x: Matrix, labels y: [Double]) throws {
        guard x.rows > 0, x.cols > 0 else { throw ImplicitBiasError.shape("need at least one input with at least one column") }
        guard y.count == x.rows else { throw ImplicitBiasError.shape("the labels have \(y.count) rows but there are \(x.rows) inputs") }
        guard x.isFinite else { throw ImplicitBiasError.nonFinite("the inputs contain NaN or infinite values") }
        if let bad = y.firstIndex(where: { $0 != 1 && $0 != -1 }) {
            throw ImplicitBiasError.labels("labels must be +1 or -1; row \(bad) has \(y[bad])")
        }
    }
}
