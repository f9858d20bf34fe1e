import Foundation
import Linalg

/// Gradient descent on the logistic loss of the lecture on implicit bias (Soudry, Hoffer, Nacson,
/// Gunasekar & Srebro 2018): F(θ) = (1/n) Σᵢ log(1 + exp(−yᵢxᵢᵀθ)), no intercept, from θ = 0,
/// θ ← θ − η∇F with ∇F = −(1/n) Σᵢ yᵢxᵢ σ(−yᵢxᵢᵀθ). On data separable through the origin ‖θ_t‖ grows like
/// log t and θ_t/‖θ_t‖ converges to the hard-margin SVM direction (`MaxMargin`), with an angle that
/// falls like 1/log t.
public struct LogisticGradientDescent: Sendable {
    /// Snapshots at the recorded steps (t = 0 excluded).
    public struct Snapshot: Sendable {
        public var step: Int
        public var theta: [Double]
        public var loss: Double
        /// ‖θ_t‖.
        public var norm: Double { theta.reduce(0) { $0 + $1 * $1 }.squareRoot() }
    }
    public var theta: [Double]
    public var snapshots: [Snapshot]

    /// Run `steps` steps at learning rate η; record about `records` log-spaced snapshots. With `sampleWeights`
    /// cᵢ (importance weighting, Byrd & Lipton 2019) the loss is (1/n) Σ cᵢ log(1 + exp(−yᵢxᵢᵀθ)) + (`l2`/2)‖θ‖²: without the
    /// ridge the weights only change the transient (the direction still tends to the unweighted SVM's, since every
    /// cᵢ > 0 leaves the separable problem's max-margin limit unchanged); with it they change the answer.
    public init(x: Matrix, labels y: [Double], steps: Int, learningRate eta: Double, records: Int = 60,
                sampleWeights: [Double]? = nil, l2: Double = 0) throws {
        try ImplicitBiasError.checkLabels(x: x, labels: y)
        if let c = sampleWeights {
            guard c.count == x.rows, c.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw ImplicitBiasError.invalid("sample weights must be positive, one per row")
            }
        }
        guard l2 >= 0, l2.isFinite else { throw ImplicitBiasError.invalid("the L2 coefficient must be ≥ 0, got \(l2)") }
        let c = sampleWeights ?? [Double](repeating: 1, count: x.rows)
        guard steps >= 1 else { throw ImplicitBiasError.invalid("--steps must be ≥ 1, got \(steps)") }
        guard eta > 0, eta.isFinite else { throw ImplicitBiasError.invalid("--learning-rate must be > 0, got \(eta)") }
        let n = x.rows, d = x.cols
        var v = x
        for i in 0..<n { for j in 0..<d { v[i, j] *= y[i] } }
        var recordAt = Set<Int>([steps])
        if records > 1 {
            for k in 0..<records { recordAt.insert(max(1, Int((pow(Double(steps), Double(k) / Double(records - 1))).rounded()))) }
        }
        var theta = [Double](repeating: 0, count: d)
        var snaps: [Snapshot] = []
        for t in 1...steps {
            let margins = try v.apply(theta)
            let weights = margins.enumerated().map { i, m in c[i] * Logistic.slope(m) }
            var grad = [Double](repeating: 0, count: d)
            for i in 0..<n where weights[i] != 0 { for j in 0..<d { grad[j] -= weights[i] * v[i, j] } }
            for j in 0..<d { theta[j] -= eta * (grad[j] / Double(n) + l2 * theta[j]) }
            guard theta.allSatisfy(\.isFinite) else { throw ImplicitBiasError.nonFinite("gradient descent diverged at step \(t): lower the learning rate") }
            if recordAt.contains(t) {
                let m = try v.apply(theta)
                let loss = m.enumerated().reduce(0) { acc, e in
                    acc + c[e.offset] * Logistic.loss(e.element)
                } / Double(n) + 0.5 * l2 * theta.reduce(0) { $0 + $1 * $1 }
                snaps.append(Snapshot(step: t, theta: theta, loss: loss))
            }
        }
        self.theta = theta
        snapshots = snaps
    }

    /// The angle of every snapshot to the unit direction `u`, in degrees.
    public func anglesDegrees(to u: [Double]) -> [Double] { snapshots.map { LogisticGradientDescent.angleDegrees($0.theta, u) } }

    /// The angle between θ and a unit direction, in degrees.
    public static func angleDegrees(_ theta: [Double], _ unit: [Double]) -> Double {
        let norm = theta.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 0 else { return 90 }
        let c = zip(theta, unit).reduce(0) { $0 + $1.0 * $1.1 } / norm
        return Foundation.acos(max(-1, min(1, c))) * 180 / Double.pi
    }
}

/// Underdetermined least squares (the lecture's first implicit-bias example): gradient descent on
/// F(w) = (1/(2n)) ‖Xw − y‖² from w₀ stays in w₀ + row space of X, so it converges to
///   w∞ = w₀ + X⁺(y − Xw₀) = (I − P)w₀ + X⁺y,  X⁺ = Xᵀ(XXᵀ)⁻¹ (P the projector on the row space),
/// the minimum-norm interpolant X⁺y from w₀ = 0.
public struct LeastSquaresImplicitBias: Sendable {
    public var gradientDescent: [Double]
    public var minimumNorm: [Double]
    /// w∞ from the given start (= `minimumNorm` from 0).
    public var limit: [Double]
    public var learningRate: Double
    public var steps: Int
    /// ‖Xw − y‖/‖y‖ of the gradient-descent solution.
    public var relativeResidual: Double

    /// `learningRate` nil: η = n/λ_max(XXᵀ) (1/L for the smoothness constant L of F). Stops early when the
    /// update is below 1e-16 of ‖w‖.
    public init(x: Matrix, targets y: [Double], steps: Int, learningRate: Double?, initial w0: [Double]? = nil) throws {
        let n = x.rows, d = x.cols
        guard n > 0, d > 0 else { throw ImplicitBiasError.shape("need at least one input with at least one column") }
        guard y.count == n else { throw ImplicitBiasError.shape("the targets have \(y.count) rows but there are \(n) inputs") }
        guard n < d else { throw ImplicitBiasError.shape("the least-squares example needs fewer rows than columns (an underdetermined system); got \(n) × \(d)") }
        guard x.isFinite, y.allSatisfy(\.isFinite) else { throw ImplicitBiasError.nonFinite("the inputs or targets contain NaN or infinite values") }
        guard steps >= 1 else { throw ImplicitBiasError.invalid("--steps must be ≥ 1, got \(steps)") }
        if let w0, w0.count != d { throw ImplicitBiasError.shape("the initial weights have \(w0.count) entries, the inputs \(d) columns") }
        let gram = x.gram()  // XXᵀ
        let chol: Cholesky
        do { chol = try Cholesky(gram) } catch {
            throw ImplicitBiasError.invalid("the rows of X are linearly dependent (XXᵀ is singular): the minimum-norm interpolant is not unique to compute this way")
        }
        /// X⁺r = Xᵀ(XXᵀ)⁻¹r.
        func pinv(_ r: [Double]) throws -> [Double] {
            let c = try chol.solve(try Matrix(rows: n, cols: 1, storage: r))
            return try x.transposed.apply(c.storage)
        }
        let start = w0 ?? [Double](repeating: 0, count: d)
        minimumNorm = try pinv(y)
        let xw0 = try x.apply(start)
        let correction = try pinv(zip(y, xw0).map { $0 - $1 })
        limit = zip(start, correction).map(+)
        let lmax = try SymmetricEigen(gram).values.max() ?? 1
        let eta = learningRate ?? Double(n) / lmax
        guard eta > 0, eta.isFinite else { throw ImplicitBiasError.invalid("--learning-rate must be > 0, got \(eta)") }
        guard eta < 2 * Double(n) / lmax else {
            throw ImplicitBiasError.invalid("--learning-rate \(eta) is unstable for these inputs: gradient descent needs η < 2n/λ_max(XXᵀ) = \(2 * Double(n) / lmax)")
        }
        var w = start, taken = 0
        let xt = x.transposed
        for t in 1...steps {
            let r = zip(try x.apply(w), y).map { $0 - $1 }
            let g = try xt.apply(r)
            var change = 0.0, size = 0.0
            for j in 0..<d {
                let u = eta * g[j] / Double(n)
                w[j] -= u
                change += u * u
                size += w[j] * w[j]
            }
            taken = t
            if change <= 1e-32 * max(size, .leastNormalMagnitude) { break }
        }
        gradientDescent = w
        self.learningRate = eta
        self.steps = taken
        let r = zip(try x.apply(w), y).map { $0 - $1 }
        relativeResidual = (r.reduce(0) { $0 + $1 * $1 } / max(y.reduce(0) { $0 + $1 * $1 }, .leastNormalMagnitude)).squareRoot()
    }
}

/// The logistic loss of a margin m = y f(x) and its slope, evaluated without overflow for any m.
enum Logistic {
    /// log(1 + e^{−m}).
    static func loss(_ m: Double) -> Double { m > 0 ? Foundation.log1p(Foundation.exp(-m)) : -m + Foundation.log1p(Foundation.exp(m)) }
    /// σ(−m) = 1/(1 + e^{m}) = −d loss/dm.
    static func slope(_ m: Double) -> Double { m > 0 ? Foundation.exp(-m) / (1 + Foundation.exp(-m)) : 1 / (1 + Foundation.exp(m)) }
}
