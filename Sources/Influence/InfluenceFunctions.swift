import Foundation
import Linalg

/// Influence functions (Koh & Liang 2017) against leave-one-out retraining, for L2-regularized logistic
/// regression (the convex case of Basu, Pope & Feizi, arXiv 2006.14651): with θ* the minimizer of
///   R(θ) = (1/n) Σᵢ ℓᵢ(θ) + (λ/2)‖θ‖²,  ℓᵢ = log(1 + exp(−yᵢxᵢᵀθ)),
/// removing example i changes the test loss by ≈ (1/n) ∇ℓ_test(θ*)ᵀ H⁻¹ ∇ℓᵢ(θ*), H = ∇²R(θ*) (exact Hessian,
/// Cholesky), and the ground truth retrains without i (Newton's method to machine precision, warm-started at θ*).
public enum InfluenceFunctions {
    public struct Result: Sendable {
        /// Predicted and true changes of the total test loss when each training example is left out.
        public var predicted: [Double], actual: [Double]
        public var spearman: Double
        public var theta: [Double]
    }

    /// ∇R and ∇²R = (1/n) Xᵀ diag(p(1 − p)) X + λI on the rows `rows` (p = σ(−yᵢxᵢᵀθ)); the Hessian by one DGEMM.
    static func derivatives(x: Matrix, labels y: [Double], rows: [Int], l2: Double, theta: [Double]) throws -> (gradient: [Double], hessian: Matrix) {
        let d = x.cols, n = Double(rows.count)
        var grad = theta.map { l2 * $0 }
        var xs = Matrix(rows: rows.count, cols: d)
        for (k, i) in rows.enumerated() {
            let m = y[i] * (0..<d).reduce(0) { $0 + x[i, $1] * theta[$1] }
            let p = 1 / (1 + Foundation.exp(m))
            let w = (p * (1 - p) / n).squareRoot()
            for j in 0..<d {
                grad[j] -= y[i] * p * x[i, j] / n
                xs[k, j] = w * x[i, j]
            }
        }
        var hess = try Matrix.product(xs, xs, transposeA: true)
        for i in 0..<d { hess[i, i] += l2 }
        return (grad, hess)
    }

    /// Newton's method for R on the rows `rows` of x (labels ±1), from `start`.
    public static func fit(x: Matrix, labels y: [Double], rows: [Int], l2: Double, start: [Double]? = nil) throws -> [Double] {
        var theta = start ?? [Double](repeating: 0, count: x.cols)
        for _ in 0..<100 {
            let (grad, hess) = try derivatives(x: x, labels: y, rows: rows, l2: l2, theta: theta)
            let step = try Cholesky(hess).solve(try Matrix(rows: x.cols, cols: 1, storage: grad)).storage
            for j in theta.indices { theta[j] -= step[j] }
            if step.reduce(0, { $0 + $1 * $1 }) <= 1e-30 * max(theta.reduce(0) { $0 + $1 * $1 }, 1e-300) { break }
        }
        return theta
    }

    static func losses(_ x: Matrix, _ y: [Double], _ theta: [Double]) -> [Double] {
        (0..<x.rows).map { i in
            let m = y[i] * (0..<x.cols).reduce(0) { $0 + x[i, $1] * theta[$1] }
            return m > 0 ? Foundation.log1p(Foundation.exp(-m)) : -m + Foundation.log1p(Foundation.exp(m))
        }
    }

    public static func compare(train x: Matrix, labels y: [Double], test: Matrix, testLabels yt: [Double], l2: Double) throws -> Result {
        guard l2 > 0 else { throw InfluenceError("the influence comparison needs an L2 penalty > 0 (a unique minimizer)") }
        guard y.count == x.rows, yt.count == test.rows, test.cols == x.cols else { throw InfluenceError("shape mismatch between inputs and labels") }
        guard y.allSatisfy({ $0 == 1 || $0 == -1 }), yt.allSatisfy({ $0 == 1 || $0 == -1 }) else { throw InfluenceError("labels must be +1 or -1") }
        let n = x.rows, d = x.cols
        let all = Array(0..<n)
        let theta = try fit(x: x, labels: y, rows: all, l2: l2)
        // H = ∇²R(θ*), the per-example gradients ∇ℓᵢ = −yᵢσ(−mᵢ)xᵢ and the test-loss gradient.
        let h = try derivatives(x: x, labels: y, rows: all, l2: l2, theta: theta).hessian
        var gradients = Matrix(rows: n, cols: d)
        for i in 0..<n {
            let m = y[i] * (0..<d).reduce(0) { $0 + x[i, $1] * theta[$1] }
            let p = 1 / (1 + Foundation.exp(m))
            for a in 0..<d { gradients[i, a] = -y[i] * p * x[i, a] }
        }
        var gTest = [Double](repeating: 0, count: d)
        for i in 0..<test.rows {
            let m = yt[i] * (0..<d).reduce(0) { $0 + test[i, $1] * theta[$1] }
            let p = 1 / (1 + Foundation.exp(m))
            for a in 0..<d { gTest[a] -= yt[i] * p * test[i, a] }
        }
        let v = try Cholesky(h).solve(try Matrix(rows: d, cols: 1, storage: gTest)).storage    // H⁻¹∇ℓ_test
        let predicted = try gradients.apply(v).map { $0 / Double(n) }
        let base = losses(test, yt, theta).reduce(0, +)
        let actual = try all.map { i -> Double in
            let without = try fit(x: x, labels: y, rows: all.filter { $0 != i }, l2: l2, start: theta)
            return losses(test, yt, without).reduce(0, +) - base
        }
        return Result(predicted: predicted, actual: actual, spearman: spearman(predicted, actual), theta: theta)
    }

    /// Spearman's rank correlation (average ranks for ties).
    public static func spearman(_ a: [Double], _ b: [Double]) -> Double {
        func ranks(_ v: [Double]) -> [Double] {
            let order = v.indices.sorted { v[$0] < v[$1] }
            var r = [Double](repeating: 0, count: v.count)
            var i = 0
            while i < order.count {
                var j = i
                while j + 1 < order.count && v[order[j + 1]] == v[order[i]] { j += 1 }
                for k in i...j { r[order[k]] = Double(i + j) / 2 }
                i = j + 1
            }
            return r
        }
        let ra = ranks(a), rb = ranks(b), n = Double(a.count)
        let ma = ra.reduce(0, +) / n, mb = rb.reduce(0, +) / n
        let cov = zip(ra, rb).reduce(0) { $0 + ($1.0 - ma) * ($1.1 - mb) }
        let va = ra.reduce(0) { $0 + ($1 - ma) * ($1 - ma) }, vb = rb.reduce(0) { $0 + ($1 - mb) * ($1 - mb) }
        return cov / (va * vb).squareRoot()
    }
}

public struct InfluenceError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
