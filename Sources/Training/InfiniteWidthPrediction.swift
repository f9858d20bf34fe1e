import Foundation
import Architecture
import InfiniteWidth
import Linalg

/// The distribution of trained infinite-width networks (PDLT §10.2–10.4): the gradient-descent
/// ensemble of networks trained on MSE from their Gaussian initialization — mean and covariance of
/// the test outputs at any time t and at t = ∞ — with the NTK or the NNGP driving the dynamics, and
/// the exact Bayesian NNGP posterior. Conventions are neural-tangents' `predict.gradient_descent_mse_ensemble`
/// and `predict.gp_inference` (checked against it to 1e-8 in the tests):
/// - the loss is averaged over all N·k training targets with a ½, so under gradient flow with
///   learning rate η the train residuals decay as exp(−ηtΘ̃/(N·k));
/// - `diagReg` ε adds ε·trace(K̃)/N to the diagonal of the kernel that drives the dynamics (relative
///   regularization, each kernel its own trace); K_dd in the middle of the NTK covariance and all test
///   kernels stay unregularized;
/// - every output column is regressed with the same kernel: mean is N_test × k, the covariance
///   N_test × N_test is shared by the columns.
public enum InfiniteWidthPrediction {
    public enum Kernel: String, Sendable, CaseIterable { case ntk, nngp }

    /// The kernels a prediction needs (train d, test t).
    public struct Kernels: Sendable {
        public var nngpTrain: Matrix, nngpTestTrain: Matrix, nngpTest: Matrix
        public var ntkTrain: Matrix, ntkTestTrain: Matrix

        public init(nngpTrain: Matrix, nngpTestTrain: Matrix, nngpTest: Matrix, ntkTrain: Matrix, ntkTestTrain: Matrix) {
            self.nngpTrain = nngpTrain; self.nngpTestTrain = nngpTestTrain; self.nngpTest = nngpTest
            self.ntkTrain = ntkTrain; self.ntkTestTrain = ntkTestTrain
        }

        /// The infinite-width kernels of `spec` (PDLT ch. 4, 9) on the training and test inputs.
        public init(spec: NetworkSpec, train: Matrix, test: Matrix) throws {
            let dd = try InfiniteWidth.kernels(spec: spec, x1: train).output
            let td = try InfiniteWidth.kernels(spec: spec, x1: test, x2: train).output
            let tt = try InfiniteWidth.kernels(spec: spec, x1: test).output
            self.init(nngpTrain: dd.nngp, nngpTestTrain: td.nngp, nngpTest: tt.nngp, ntkTrain: dd.ntk, ntkTestTrain: td.ntk)
        }
    }

    public struct Result: Sendable {
        /// E[f(x_test)] at time t, N_test × k.
        public var mean: Matrix
        /// Cov[f(x_test), f(x_test)] at time t, N_test × N_test (the same for every output column).
        public var covariance: Matrix
    }

    /// The gradient-descent ensemble at time `time` (nil: t = ∞) with learning rate `learningRate`,
    /// driven by `kernel`, for targets `y` (N_train × k).
    ///   finite t (K̃ = U diag(λ) Uᵀ the regularized driving kernel, a = ηt/(N k), φ(λ, s) = (1 − e^{−max(λ,0)s})/|λ|):
    ///     mean = K_td U φ(λ, a) Uᵀ y;
    ///     NNGP: cov = K_tt − K_td U φ(λ, 2a) Uᵀ K_dt;
    ///     NTK:  T = U φ(λ, a) Uᵀ Θ_dt, cov = K_tt + Tᵀ K_dd T − (Θ_td U φ(λ, a) Uᵀ K_dt + transpose)
    ///   t = ∞ (Cholesky of K̃): NNGP: mean = K_td K̃⁻¹ y, cov = K_tt − K_td K̃⁻¹ K_dt (the NNGP posterior,
    ///     PDLT §6.3 / §10.4); NTK: mean = Θ_td Θ̃⁻¹ y, cov = K_tt + Θ_td Θ̃⁻¹ K_dd Θ̃⁻¹ Θ_dt − (Θ_td Θ̃⁻¹ K_dt + transpose)
    ///     (PDLT eq. 10.39–10.40 in §10.2).
    /// A singular training kernel at t = ∞ without regularization is an error that names `--diag-reg`.
    public static func gradientDescentEnsemble(_ k: Kernels, targets y: Matrix, time: Double?, learningRate: Double = 1,
                                               diagReg: Double = 0, kernel: Kernel) throws -> Result {
        try ensemble(k, targets: y, time: time, steps: nil, learningRate: learningRate, diagReg: diagReg, kernel: kernel)
    }

    /// The same ensemble after `steps` steps of discrete gradient descent at learning rate η (what
    /// `dlt train` does): the residual factor e^{−aλ} of gradient flow becomes (1 − aλ)^T, a = η/(N k), so
    /// φ(λ) = (1 − (1 − aλ)^T)/λ; NNGP covariance K_tt − 2K_td M K_dt + K_td M K_dd M K_dt with M = U φ Uᵀ.
    /// Stable only for aλ_max < 2 (`stabilityBound`).
    public static func discreteGradientDescentEnsemble(_ k: Kernels, targets y: Matrix, steps: Int, learningRate: Double,
                                                       diagReg: Double = 0, kernel: Kernel) throws -> Result {
        try ensemble(k, targets: y, time: Double(steps), steps: steps, learningRate: learningRate, diagReg: diagReg, kernel: kernel)
    }

    /// The largest learning rate for which discrete gradient descent on the infinite-width model is
    /// stable: 2 N k/λ_max of the (regularized) driving kernel.
    public static func stabilityBound(_ k: Kernels, outputs: Int, diagReg: Double = 0, kernel: Kernel) throws -> Double {
        let drive = regularize(kernel == .ntk ? k.ntkTrain : k.nngpTrain, diagReg)
        return 2 * Double(drive.rows * outputs) / (try SymmetricEigen(drive).values.max() ?? 0)
    }

    static func ensemble(_ k: Kernels, targets y: Matrix, time: Double?, steps: Int?, learningRate: Double,
                         diagReg: Double, kernel: Kernel) throws -> Result {
        let n = k.nngpTrain.rows
        guard y.rows == n else {
            throw TrainingError.shape("the targets have \(y.rows) rows but there are \(n) training inputs")
        }
        guard y.isFinite else { throw TrainingError.nonFinite("the targets contain NaN or infinite values") }
        if let time { guard time >= 0, time.isFinite else { throw TrainingError.invalid("the time must be ≥ 0 (or inf), got \(time)") } }
        guard diagReg >= 0, diagReg.isFinite else { throw TrainingError.invalid("--diag-reg must be ≥ 0, got \(diagReg)") }
        guard learningRate > 0, learningRate.isFinite else { throw TrainingError.invalid("the learning rate must be > 0, got \(learningRate)") }
        let (drive, driveTestTrain) = kernel == .ntk ? (k.ntkTrain, k.ntkTestTrain) : (k.nngpTrain, k.nngpTestTrain)
        let regularized = regularize(drive, diagReg)
        let kdt = k.nngpTestTrain.transposed  // K_dt, N_train × N_test
        guard let time else {
            let chol = try factor(regularized, name: kernel.rawValue)
            let mean = try Matrix.product(driveTestTrain, try chol.solve(y))
            let solvedKdt = try chol.solve(kdt)                     // K̃⁻¹ K_dt
            var cov = k.nngpTest
            if kernel == .nngp {
                try cov.addProduct(k.nngpTestTrain, solvedKdt, alpha: -1)
            } else {
                let t = try chol.solve(driveTestTrain.transposed)  // Θ̃⁻¹ Θ_dt
                try cov.addProduct(t, try Matrix.product(k.nngpTrain, t), transposeA: true)
                let cross = try Matrix.product(driveTestTrain, solvedKdt)
                cov = cov - cross - cross.transposed
            }
            return Result(mean: mean, covariance: cov.symmetrized())
        }
        let eig = try SymmetricEigen(regularized)
        let a = learningRate * time / Double(n * y.cols)
        func phi(_ s: Double) throws -> Matrix {
            // U diag(φ(λ, s)) Uᵀ, φ(λ, s) = −expm1(−max(λ, 0)s)/|λ| (→ s as λ → 0); discrete steps:
            // (1 − (1 − (s/T)λ)^T)/λ (→ s as λ → 0).
            let d = eig.values.map { l -> Double in
                let lp = max(l, 0)
                if let steps, steps > 0 {
                    let step = s / Double(steps)
                    return lp * s < 1e-300 ? (l >= 0 ? s : 0) : (1 - Foundation.pow(1 - step * lp, Double(steps))) / abs(l)
                }
                return lp * s < 1e-300 ? (l >= 0 ? s : 0) : -expm1(-lp * s) / abs(l)
            }
            var scaled = eig.vectors
            for i in 0..<n { for j in 0..<n { scaled[i, j] *= d[j] } }
            return try Matrix.product(scaled, eig.vectors, transposeB: true)
        }
        let pa = try phi(a)
        let mean = try Matrix.product(driveTestTrain, try Matrix.product(pa, y))
        var cov = k.nngpTest
        if kernel == .nngp && steps == nil {
            try cov.addProduct(k.nngpTestTrain, try Matrix.product(try phi(2 * a), kdt), alpha: -1)
        } else {
            let t = try Matrix.product(pa, driveTestTrain.transposed)
            try cov.addProduct(t, try Matrix.product(k.nngpTrain, t), transposeA: true)
            let cross = try Matrix.product(driveTestTrain, try Matrix.product(pa, kdt))
            cov = cov - cross - cross.transposed
        }
        return Result(mean: mean, covariance: cov.symmetrized())
    }

    /// Cholesky of the regularized training kernel; a failure or a pivot at rounding level (a
    /// numerically singular kernel, e.g. repeated inputs) is an error that names the fix.
    static func factor(_ a: Matrix, name: String) throws -> Cholesky {
        let fix = "add --diag-reg, e.g. --diag-reg 1e-6"
        let chol: Cholesky
        do {
            chol = try Cholesky(a)
        } catch {
            throw TrainingError.singular("the training \(name) kernel is not positive definite (\(error)); \(fix)")
        }
        let maxDiag = a.diagonal.max() ?? 0
        let smallest = chol.lower.diagonal.map { $0 * $0 }.min() ?? 0
        if smallest <= Double(a.rows) * 4 * Double.ulpOfOne * maxDiag {
            throw TrainingError.singular("the training \(name) kernel is singular to working precision (repeated or parallel inputs?); \(fix)")
        }
        return chol
    }

    /// A + ε·(trace A/N)·I.
    static func regularize(_ a: Matrix, _ eps: Double) -> Matrix {
        guard eps > 0 else { return a }
        var out = a
        let shift = eps * a.diagonal.reduce(0, +) / Double(a.rows)
        for i in 0..<a.rows { out[i, i] += shift }
        return out
    }
}

extension Matrix {
    /// (A + Aᵀ)/2.
    func symmetrized() -> Matrix { 0.5 * (self + transposed) }
}

/// Bad input to a training computation, with a message naming the problem.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case shape(String), nonFinite(String), invalid(String), singular(String)
    public var description: String {
        switch self {
        case let .shape(s), let .nonFinite(s), let .invalid(s), let .singular(s): return s
        }
    }
}
