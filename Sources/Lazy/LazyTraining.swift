import Foundation
import Linalg

/// Lazy training (Chizat, Oyallon & Bach 2019, "On lazy training in differentiable programming", NeurIPS; arXiv 1812.07956)
/// of a two-layer ReLU network without biases,
///   h(w)(x) = (1/√m) Σ_j b_j relu(a_jᵀx),   w = (a_1 … a_m, b_1 … b_m), a_j ∈ ℝ^d,
/// trained by full-batch gradient descent on the square loss of the scaled, centred model
///   F(w) = α (h(w) − h(w₀)),   L(w) = (1/(2N)) Σ_i (F(w)(x_i) − y_i)²,
/// from w₀ = τ·w̄₀ with the step size min(η/(α²τ²), s_max).
///
/// Scalings. h is positively 2-homogeneous, h(τu) = τ²h(u), so in u = w/τ the model is A(h(u) − h(ū₀)) with A = ατ², and
/// the step on u is η/A²: with s_max = ∞ a run depends on (α, τ) only through A (the trajectories of w/τ coincide). As
/// A → ∞ at fixed time ηk the centred model follows its linearization — kernel gradient descent
/// F ← F − (η/N)·Dh(ū₀)Dh(ū₀)ᵀ(F − y) — with ‖w_t − w₀‖/‖w₀‖ = O(1/A) (the paper's finite-horizon bound of §2, with its step η/α²).
/// The paper's two-layer experiments keep α = 1 and vary τ, with the step size min(10, 0.1/τ²): η = 0.1, s_max = 10
/// (the cap keeps the small-τ runs, which are not lazy, stable).
///
/// What the lazy limit predicts here, for finite data and A → ∞ (checked in the tests):
/// - ‖Dh(w_t) − Dh(w₀)‖_F/‖Dh(w₀)‖_F ∝ 1/A once no activation pattern 1{a_jᵀx_i > 0} flips. At moderate A the flips
///   dominate: a fraction ∝ 1/A of the pairs (i, j) flips, each an O(1) jump of one entry, so the change is ∝ A^{−1/2};
///   ReLU's kinks put the measured exponent between the two.
/// - ‖F(w_t) − F_lin(t)‖ = O(1/A) in general; with the paper's symmetric start (neurons in pairs (a, b) and (a, −b), so
///   h(w̄₀) = 0) the second-order term cancels within each pair and the distance is O(1/A²).
///
/// Deviation from the paper: its code uses h = Σ_j b_j relu(a_jᵀx) (no 1/√m) with m = 16 neurons for the picture; with
/// 1/√m and m ≈ 100 the same τ = 0.1 and τ = 2 are the non-lazy and the lazy case (κ of `LazyCriterion` scales as
/// 1/(√m τ²) here, as 1/(mτ²) there). ReLU′(0) is taken as 0.
public struct LazyTraining: Sendable {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case invalid(String)
        case diverged(step: Int)
        public var description: String {
            switch self {
            case .invalid(let what): return "lazy training: \(what)"
            case .diverged(let step): return "lazy training diverged at step \(step): lower the learning rate or the maximal step size"
            }
        }
    }

    /// The parameters w = (a_j, b_j) of h(w)(x) = (1/√m) Σ_j b_j relu(a_jᵀx).
    public struct Parameters: Sendable, Equatable {
        /// a_j as rows, m × d.
        public var a: Matrix
        /// b_j, m of them.
        public var b: [Double]

        public init(a: Matrix, b: [Double]) throws {
            guard a.rows > 0, a.cols > 0 else {
                throw Failure.invalid("the network needs at least one neuron and one input coordinate (a is \(a.rows)×\(a.cols))")
            }
            guard b.count == a.rows else { throw Failure.invalid("\(a.rows) input weight vectors a_j but \(b.count) output weights b_j") }
            guard a.isFinite, b.allSatisfy(\.isFinite) else { throw Failure.invalid("non-finite parameters") }
            self.a = a
            self.b = b
        }

        /// m, the number of neurons.
        public var width: Int { a.rows }
        /// d, the input dimension.
        public var inputDimension: Int { a.cols }
        /// The output normalization 1/√m.
        public var normalization: Double { 1 / Double(width).squareRoot() }
        /// ‖w‖, Euclidean over every a_j and b_j.
        public var norm: Double { (a.storage.reduce(0) { $0 + $1 * $1 } + b.reduce(0) { $0 + $1 * $1 }).squareRoot() }

        /// s·w (h(s·w) = s²·h(w)).
        public func scaled(by s: Double) -> Parameters {
            var out = self
            out.a = s * a
            out.b = b.map { s * $0 }
            return out
        }

        /// ‖w − w′‖.
        public func distance(to other: Parameters) -> Double {
            precondition(a.rows == other.a.rows && a.cols == other.a.cols, "parameters of different shapes")
            let da = zip(a.storage, other.a.storage).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            return (da + zip(b, other.b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }).squareRoot()
        }

        /// |b_j|·a_j as rows (m × d): where the paper draws neuron j (its sign is that of b_j).
        public var positions: Matrix {
            var p = a
            for j in 0..<width { for k in 0..<inputDimension { p[j, k] *= Swift.abs(b[j]) } }
            return p
        }

        /// h(w)(x) for the rows of x.
        public func outputs(_ x: Matrix) throws -> [Double] { try LazyTraining.forward(self, x).h }

        /// Dh(w) on the rows of x, N × (md + m): column jd + k is ∂h/∂a_{jk} = b_j 1{a_jᵀx > 0} x_k/√m, column md + j is
        /// ∂h/∂b_j = relu(a_jᵀx)/√m (the order of `a.storage` followed by `b`).
        public func jacobian(_ x: Matrix) throws -> Matrix {
            let pre = try LazyTraining.forward(self, x).pre
            let m = width, d = inputDimension, c = normalization
            var jac = Matrix(rows: x.rows, cols: m * d + m)
            for i in 0..<x.rows {
                for n in 0..<m {
                    let z = pre[i, n]
                    jac[i, m * d + n] = c * Swift.max(z, 0)
                    if z > 0 { for k in 0..<d { jac[i, n * d + k] = c * b[n] * x[i, k] } }
                }
            }
            return jac
        }
    }

    public struct Configuration: Sendable {
        /// α, the output scale of the centred model.
        public var alpha: Double
        /// τ, the initialization scale: w₀ = τ·w̄₀.
        public var tau: Double
        /// η: the step size is min(η/(α²τ²), s_max).
        public var learningRate: Double
        /// s_max (∞: no cap; the paper's two-layer runs: 10).
        public var maxStepSize: Double
        public var steps: Int
        /// How many log-spaced checkpoints (step 0 and the last step are always recorded).
        public var checkpoints: Int

        public init(alpha: Double = 1, tau: Double = 1, learningRate: Double, maxStepSize: Double = .infinity, steps: Int,
                    checkpoints: Int = 60) {
            self.alpha = alpha
            self.tau = tau
            self.learningRate = learningRate
            self.maxStepSize = maxStepSize
            self.steps = steps
            self.checkpoints = checkpoints
        }

        /// min(η/(α²τ²), s_max).
        public var stepSize: Double { Swift.min(learningRate / (alpha * alpha * tau * tau), maxStepSize) }
    }

    /// The state of training at one step.
    public struct Checkpoint: Sendable {
        public var step: Int
        /// L(w_t) on the training inputs and the same loss on the test inputs (NaN without test inputs).
        public var loss: Double, testLoss: Double
        /// The relative change of the objective, (L(w₀) − L(w_t))/L(w₀).
        public var objectiveChange: Double
        /// The relative change of the linearization, ‖Dh(w_t) − Dh(w₀)‖_F/‖Dh(w₀)‖_F on the training inputs.
        public var jacobianChange: Double
        /// ‖w_t − w₀‖/‖w₀‖.
        public var parameterChange: Double
        /// The fraction of pairs (i, j) whose activation 1{a_jᵀx_i > 0} differs from w₀'s.
        public var activationFlips: Double
        /// |b_j|·a_j, m × d.
        public var positions: Matrix
    }

    public var configuration: Configuration
    /// w₀ = τ·w̄₀ and the parameters after the last step.
    public var initial: Parameters, trained: Parameters
    /// Step 0, the log-spaced steps and the last step, in order.
    public var checkpoints: [Checkpoint]
    /// The last checkpoint.
    public var last: Checkpoint { checkpoints[checkpoints.count - 1] }

    /// Train from w₀ = τ·`start` on inputs x (N × d, rows) with targets y; the test inputs (may have no rows) only measure.
    public init(x: Matrix, y: [Double], testX: Matrix, testY: [Double], start: Parameters, configuration cfg: Configuration) throws {
        for (name, v) in [("α", cfg.alpha), ("τ", cfg.tau), ("the learning rate η", cfg.learningRate)] where !(v > 0 && v.isFinite) {
            throw Failure.invalid("\(name) must be positive and finite, got \(v)")
        }
        guard cfg.maxStepSize > 0 else { throw Failure.invalid("the maximal step size must be positive, got \(cfg.maxStepSize)") }
        guard cfg.steps >= 0, cfg.checkpoints >= 0 else { throw Failure.invalid("negative number of steps or checkpoints") }
        let d = start.inputDimension
        guard x.rows > 0, x.cols == d, y.count == x.rows else {
            throw Failure.invalid("training inputs \(x.rows)×\(x.cols) and \(y.count) targets for a network on ℝ^\(d) (need N > 0 rows of \(d))")
        }
        guard testY.count == testX.rows, testX.rows == 0 || testX.cols == d else {
            throw Failure.invalid("test inputs \(testX.rows)×\(testX.cols) with \(testY.count) targets for a network on ℝ^\(d)")
        }
        guard x.isFinite, testX.isFinite, y.allSatisfy(\.isFinite), testY.allSatisfy(\.isFinite) else {
            throw Failure.invalid("non-finite inputs or targets")
        }
        let w0 = start.scaled(by: cfg.tau)
        let (pre0, _, h0) = try Self.forward(w0, x)
        let testH0 = try testX.rows > 0 ? Self.forward(w0, testX).h : []
        let rowNorms2 = (0..<x.rows).map { i in (0..<d).reduce(0.0) { $0 + x[i, $1] * x[i, $1] } }
        let marks = Set(Self.checkpointSteps(cfg.steps, count: cfg.checkpoints))
        let s = cfg.stepSize, w0Norm = w0.norm
        var w = w0, loss0 = 0.0, recorded: [Checkpoint] = []
        for k in 0...cfg.steps {
            let e = try Self.evaluate(w, x: x, y: y, reference: h0, alpha: cfg.alpha)
            guard e.loss.isFinite else { throw Failure.diverged(step: k) }
            if k == 0 { loss0 = e.loss }
            if marks.contains(k) {
                let jd = Self.jacobianDifference(pre: e.pre, b: w.b, pre0: pre0, b0: w0.b, rowNorms2: rowNorms2)
                var testLoss = Double.nan
                if testX.rows > 0 {
                    let ht = try Self.forward(w, testX).h
                    var sum = 0.0
                    for i in 0..<testX.rows { let r = cfg.alpha * (ht[i] - testH0[i]) - testY[i]; sum += r * r }
                    testLoss = sum / (2 * Double(testX.rows))
                }
                recorded.append(Checkpoint(step: k, loss: e.loss, testLoss: testLoss,
                                           objectiveChange: loss0 > 0 ? (loss0 - e.loss) / loss0 : 0,
                                           jacobianChange: jd.reference > 0 ? jd.difference / jd.reference : 0,
                                           parameterChange: w0Norm > 0 ? w.distance(to: w0) / w0Norm : 0,
                                           activationFlips: Double(jd.flips) / Double(pre0.storage.count), positions: w.positions))
            }
            if k == cfg.steps { break }
            w.a = w.a - s * e.gradA
            for j in w.b.indices { w.b[j] -= s * e.gradB[j] }
        }
        configuration = cfg
        initial = w0
        trained = w
        checkpoints = recorded
    }

    /// The trained centred model α(h(w_T)(x) − h(w₀)(x)) on the rows of x.
    public func predictions(_ x: Matrix) throws -> [Double] {
        let h = try trained.outputs(x), h0 = try initial.outputs(x)
        return zip(h, h0).map { configuration.alpha * ($0 - $1) }
    }

    /// L(w) = (1/(2N)) Σ_i (α(h(w)(x_i) − h0_i) − y_i)² and its gradient: ∂L/∂a (m × d) and ∂L/∂b (m).
    public static func lossAndGradient(_ w: Parameters, x: Matrix, y: [Double], reference h0: [Double], alpha: Double) throws
        -> (loss: Double, gradA: Matrix, gradB: [Double])
    {
        let e = try evaluate(w, x: x, y: y, reference: h0, alpha: alpha)
        return (e.loss, e.gradA, e.gradB)
    }

    /// ‖Dh(w) − Dh(w₀)‖_F/‖Dh(w₀)‖_F on the rows of x, in closed form per neuron.
    public static func relativeJacobianChange(_ w: Parameters, from w0: Parameters, x: Matrix) throws -> Double {
        guard w.width == w0.width, w.inputDimension == w0.inputDimension else { throw Failure.invalid("parameters of different shapes") }
        let rowNorms2 = (0..<x.rows).map { i in (0..<x.cols).reduce(0.0) { $0 + x[i, $1] * x[i, $1] } }
        let pre = try forward(w, x).pre, pre0 = try forward(w0, x).pre
        let jd = jacobianDifference(pre: pre, b: w.b, pre0: pre0, b0: w0.b, rowNorms2: rowNorms2)
        return jd.reference > 0 ? jd.difference / jd.reference : 0
    }

    /// Step 0, round(steps^(k/(count−1))) for k < count, and `steps`, sorted without repeats.
    public static func checkpointSteps(_ steps: Int, count: Int) -> [Int] {
        var s: Set<Int> = [0, Swift.max(steps, 0)]
        if steps > 1, count > 1 {
            for k in 0..<count { s.insert(Int(Foundation.pow(Double(steps), Double(k) / Double(count - 1)).rounded())) }
        }
        return s.sorted()
    }

    /// Preactivations a_jᵀx_i (N × m, one DGEMM), activations and h(w)(x_i).
    static func forward(_ w: Parameters, _ x: Matrix) throws -> (pre: Matrix, act: Matrix, h: [Double]) {
        guard x.cols == w.inputDimension else { throw Failure.invalid("inputs have \(x.cols) coordinates, the network \(w.inputDimension)") }
        let pre = try Matrix.product(x, w.a, transposeB: true)
        let act = pre.hadamard(pre) { v, _ in Swift.max(v, 0) }
        let c = w.normalization
        let h = try Matrix.product(act, Matrix(rows: w.width, cols: 1, storage: w.b)).storage.map { c * $0 }
        return (pre, act, h)
    }

    /// Loss and gradient by DGEMMs: with r = α(h − h0) − y and k = α/(√m N), ∂L/∂b = k·actᵀr and
    /// ∂L/∂a = k·[(r bᵀ) ⊙ 1{pre > 0}]ᵀ x.
    static func evaluate(_ w: Parameters, x: Matrix, y: [Double], reference h0: [Double], alpha: Double) throws
        -> (loss: Double, gradA: Matrix, gradB: [Double], pre: Matrix)
    {
        guard x.rows > 0, y.count == x.rows, h0.count == x.rows else {
            throw Failure.invalid("\(x.rows) inputs, \(y.count) targets and \(h0.count) reference outputs")
        }
        let (pre, act, h) = try forward(w, x)
        let n = x.rows, m = w.width
        let k = alpha * w.normalization / Double(n)
        var scaled = Matrix(rows: n, cols: 1), sum = 0.0
        for i in 0..<n {
            let r = alpha * (h[i] - h0[i]) - y[i]
            sum += r * r
            scaled.storage[i] = k * r
        }
        let gradB = try Matrix.product(act, scaled, transposeA: true).storage
        var back = Matrix(rows: n, cols: m)
        for i in 0..<n {
            let ri = scaled.storage[i]
            for j in 0..<m where pre[i, j] > 0 { back[i, j] = ri * w.b[j] }
        }
        let gradA = try Matrix.product(back, x, transposeA: true)
        return (sum / (2 * Double(n)), gradA, gradB, pre)
    }

    /// ‖Dh(w) − Dh(w₀)‖_F and ‖Dh(w₀)‖_F (both without the common factor 1/√m) from the preactivations, and the number of
    /// flipped activations: entry (i, a_j) of Dh is b_j 1{a_jᵀx_i > 0} x_i, entry (i, b_j) is relu(a_jᵀx_i).
    static func jacobianDifference(pre: Matrix, b: [Double], pre0: Matrix, b0: [Double], rowNorms2: [Double])
        -> (difference: Double, reference: Double, flips: Int)
    {
        var diff = 0.0, ref = 0.0, flips = 0
        for i in 0..<pre.rows {
            let x2 = rowNorms2[i]
            for j in 0..<pre.cols {
                let z = pre[i, j], z0 = pre0[i, j]
                let on = z > 0, on0 = z0 > 0
                let v = Swift.max(z, 0), v0 = Swift.max(z0, 0)
                let g = on ? b[j] : 0, g0 = on0 ? b0[j] : 0
                diff += (v - v0) * (v - v0) + x2 * (g - g0) * (g - g0)
                ref += v0 * v0 + x2 * g0 * g0
                if on != on0 { flips += 1 }
            }
        }
        return (diff.squareRoot(), ref.squareRoot(), flips)
    }
}
