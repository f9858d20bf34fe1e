import Foundation
import Linalg
import WidthScaling

/// Influence functions for small neural networks against leave-one-out retraining: the non-convex part of Basu,
/// Pope & Feizi, "Influence functions in deep learning are fragile" (arXiv 2006.14651), with the estimate of Koh &
/// Liang (2017). A tanh MLP (`ScaledMLP`, standard parameterization, one output) is trained by full-batch gradient
/// descent on R(θ) = (1/N) Σᵢ ℓᵢ(θ) + (λ/2)‖θ‖², ℓᵢ = log(1 + exp(−yᵢ f(xᵢ; θ))) (with λ > 0 then polished to
/// ‖∇R‖ ≤ 10⁻¹¹ by damped Newton steps), giving θ̂. Then, with L_test = Σ_test ℓ:
/// - H = ∇²R(θ̂) by central differences of the exact gradient (`Objective.hessian`), symmetrized;
/// - the estimate Iᵢ = (1/N) ∇L_test(θ̂)ᵀ (H + δ′I)⁻¹ ∇ℓᵢ(θ̂): the predicted change of the test loss when example i
///   is removed, the sign convention of `InfluenceFunctions` (removing i is Koh & Liang's up-weighting by ε = −1/N, so
///   θ̂₋ᵢ − θ̂ ≈ (1/N) H⁻¹∇ℓᵢ). Removing i keeps the normalization 1/N (R₋ᵢ = R − ℓᵢ/N), so the first-order
///   prediction carries no offset; `InfluenceFunctions` averages over the n − 1 others, which shifts every actual
///   change by about the same O(λ/n) amount and leaves the ranks alone.
/// - (H + δ′I)⁻¹ on the eigenbasis of H, which need not be positive definite (the count of negative eigenvalues is
///   reported): δ′ = max(δ, ε − λ_min), ε = max(δ, 10⁻⁴ λ_max), so H + δ′I ≽ εI; δ′ = δ whenever λ_min + δ ≥ ε.
/// - the ground truth, the actual change L_test(θ₋ᵢ) − L_test(θ_control), retraining warm-started at θ̂:
///   - λ > 0 (`Retraining.newton`): θ̂ is a strict local minimum and R₋ᵢ has a minimizer O(1/N) away. Newton's
///     method from θ̂ with R₋ᵢ's exact Hessian at θ̂, H − ∇²ℓᵢ(θ̂)/N (one Cholesky per example, reused), runs to
///     ‖∇R₋ᵢ‖ ≤ 10⁻¹⁰: the exact leave-one-out minimizer (parameter error ≲ 10⁻¹⁰/λ_min). With H itself for every
///     example the iteration would contract only like the example's leverage, close to 1 when P ≫ N. The control,
///     the same on the full set, stays at θ̂ (already stationary).
///   - λ = 0 (`Retraining.gradientDescent`): there is no minimizer (on separable training data the loss falls for
///     ever) and no unique answer, so the retraining is defined as T = ⌈1/(ηδ)⌉ more steps of the same gradient
///     descent from θ̂ on the reduced set, the control the same T steps on the full set, and the control's test loss
///     is subtracted. Along an eigendirection of curvature κ, T steps respond to a gradient change by
///     (1 − (1 − ηκ)^T)/κ ≈ min(ηT, 1/κ), the damped inverse by 1/(κ + δ): with ηT = 1/δ the budget damps curvature
///     like the estimate does (Basu et al. likewise retrain from θ̂ for a fixed number of steps).
public enum NetworkInfluence {
    public struct Configuration: Sendable {
        public var depth: Int, width: Int
        /// Weight decay λ and damping δ (δ > 0 is required when λ = 0).
        public var l2: Double, damping: Double
        /// Gradient descent that trains θ̂ (and continues it for the λ = 0 retraining).
        public var learningRate: Double, trainingSteps: Int
        public var seed: UInt64

        public init(depth: Int, width: Int, l2: Double, damping: Double, learningRate: Double = 0.2, trainingSteps: Int = 2000, seed: UInt64 = 1) {
            (self.depth, self.width, self.l2, self.damping) = (depth, width, l2, damping)
            (self.learningRate, self.trainingSteps, self.seed) = (learningRate, trainingSteps, seed)
        }

        /// T = ⌈1/(ηδ)⌉, the step budget of the λ = 0 retraining.
        public var retrainingBudget: Int { damping > 0 ? Int((1 / (learningRate * damping)).rounded(.up)) : 0 }
    }

    public enum Retraining: String, Sendable { case newton, gradientDescent = "gradient-descent" }

    public struct Result: Sendable {
        public var configuration: Configuration
        public var parameterCount: Int
        /// The training examples left out, and for each the estimate and the actual change of the total test loss.
        public var examples: [Int], predicted: [Double], actual: [Double]
        public var spearman: Double
        /// δ′, the number of eigenvalues of H below −10⁻⁸ λ_max, and H's extreme eigenvalues.
        public var dampingUsed: Double, negativeEigenvalues: Int, smallestEigenvalue: Double, largestEigenvalue: Double
        /// max|H − Hᵀ| / max|H| of the finite-difference Hessian before symmetrizing.
        public var hessianAsymmetry: Double
        /// At θ̂: ‖∇R‖, the mean training loss (data term), the total test loss and the test accuracy.
        public var gradientNorm: Double, trainLoss: Double, testLoss: Double, testAccuracy: Double
        /// How the ground truth was retrained, its iterations (Newton) or steps (gradient descent), and the largest
        /// final ‖∇R₋ᵢ‖ over the runs (for gradient descent a diagnostic, not a tolerance).
        public var retraining: Retraining, retrainingSteps: Int, retrainingGradientNorm: Double
        /// With weight decay, whether θ̂ and every leave-one-out model reached a stationary point (‖∇R‖ ≤ 10⁻⁸); a
        /// Spearman correlation against unconverged retraining measures the optimizer, not the influence estimate.
        public var converged: Bool { retraining == .gradientDescent || (gradientNorm <= 1e-8 && retrainingGradientNorm <= 1e-8) }
    }

    /// The networks compared here: standard parameterization, tanh (smooth, so H exists), C_W = 1, C_b = 0, one output.
    public static func network(inputs: Int, depth: Int, width: Int, seed: UInt64) throws -> ScaledMLP {
        try ScaledMLP(scheme: .standard, depth: depth, inputDimension: inputs, width: width, outputWidth: 1, baseWidth: width,
                      activation: .tanh, cw: [1], cb: [0], optimizer: .sgd, seed: seed)
    }

    /// Σ or mean (`count` = 1 or N) of the weighted logistic losses of `net` on (x, y) and its gradient in `flat` order.
    static func logistic(_ net: ScaledMLP, _ x: Matrix, _ y: Matrix, weights: [Double]?, count: Int) throws -> (Double, [Double]) {
        let zs = try net.forward(x)
        let (value, cotangent) = WidthLoss.logistic.valueAndCotangent(zs.last!, y, weights: weights, count: count)
        let g = try net.gradients(x, preactivations: zs, outputCotangent: cotangent)
        return (value, (0..<net.depth).flatMap { g.weights[$0].storage + g.biases[$0] })
    }

    static func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    static func checkLabels(_ y: [Double]) throws {
        guard y.allSatisfy({ $0 == 1 || $0 == -1 }) else { throw InfluenceError("labels must be +1 or -1") }
    }

    /// The training objective R of a network architecture on (x, y) as a function of the flat parameter vector.
    public struct Objective: Sendable {
        public let network: ScaledMLP
        public let inputs: Matrix, labels: Matrix
        public let l2: Double

        public init(network: ScaledMLP, inputs: Matrix, labels: [Double], l2: Double) throws {
            guard labels.count == inputs.rows, inputs.rows > 0, inputs.cols == network.widths[0], network.widths.last == 1 else {
                throw InfluenceError("shape mismatch between inputs, labels and the network")
            }
            try NetworkInfluence.checkLabels(labels)
            guard l2 >= 0 && l2.isFinite else { throw InfluenceError("weight decay must be ≥ 0") }
            self.network = network; self.inputs = inputs; self.l2 = l2
            self.labels = try Matrix(rows: labels.count, cols: 1, storage: labels)
        }

        /// The objective of a freshly drawn `NetworkInfluence.network`.
        public init(inputs: Matrix, labels: [Double], l2: Double, depth: Int, width: Int, seed: UInt64) throws {
            try self.init(network: try NetworkInfluence.network(inputs: inputs.cols, depth: depth, width: width, seed: seed),
                          inputs: inputs, labels: labels, l2: l2)
        }

        /// The network's own parameters (its initialization, or θ̂ when it was trained).
        public var parameters: [Double] { network.flat }
        public var parameterCount: Int { network.parameterCount }

        /// R(θ) and ∇R(θ) (exact, by backpropagation); `weights` multiply the examples' losses (the mean stays over N).
        public func valueAndGradient(_ theta: [Double], weights: [Double]? = nil) throws -> (value: Double, gradient: [Double]) {
            guard theta.count == parameterCount else { throw InfluenceError("\(theta.count) parameters for a network with \(parameterCount)") }
            if let w = weights, w.count != inputs.rows { throw InfluenceError("one weight per training example") }
            var (value, gradient) = try NetworkInfluence.logistic(network.with(flat: theta), inputs, labels, weights: weights, count: inputs.rows)
            if l2 > 0 {
                for k in gradient.indices { gradient[k] += l2 * theta[k]; value += 0.5 * l2 * theta[k] * theta[k] }
            }
            return (value, gradient)
        }

        /// ∇²R(θ) by central differences of the exact gradient (`NetworkInfluence.hessian`); also max|H − Hᵀ|/max|H|.
        public func hessian(at theta: [Double]) throws -> (matrix: Matrix, asymmetry: Double) {
            try NetworkInfluence.hessian(at: theta) { try valueAndGradient($0).gradient }
        }

        /// Damped Newton (Levenberg–Marquardt) from `start` until ‖∇R‖ ≤ `tolerance`: H + μI with the smallest
        /// μ ∈ {0, 10⁻⁸s, 10⁻⁷s, …} (s = mean |H_kk|) that factors and decreases R; the factor is reused while each
        /// step at least halves ‖∇R‖, then H is recomputed (at most `maxHessians` times; not when stalled near `tolerance`).
        func minimize(from start: [Double], tolerance: Double, maxHessians: Int) throws -> [Double] {
            var theta = start
            var (value, grad) = try valueAndGradient(theta)
            let p = theta.count, norm = NetworkInfluence.norm
            func tryStep(_ c: Cholesky) throws -> (theta: [Double], value: Double, gradient: [Double]) {
                let step = try c.solve(try Matrix(rows: p, cols: 1, storage: grad)).storage
                let candidate = (0..<p).map { theta[$0] - step[$0] }
                let (v, g) = try valueAndGradient(candidate)
                return (candidate, v, g)
            }
            for _ in 0..<maxHessians {
                let before = norm(grad)
                if before <= tolerance { break }
                let h = try hessian(at: theta).matrix
                var mu = 0.0, factor: Cholesky? = nil
                while factor == nil, let found = NetworkInfluence.factor(h, from: mu) {
                    let (c, used) = found
                    let next = try tryStep(c)
                    if next.value < value || (next.value <= value + 1e-13 * Swift.abs(value) && norm(next.gradient) < before) {
                        (theta, value, grad) = next
                        factor = c
                    }
                    mu = used == 0 ? 1e-8 * NetworkInfluence.meanDiagonal(h) : 10 * used
                }
                guard let c = factor else { break }
                while norm(grad) > tolerance {
                    let next = try tryStep(c)
                    guard norm(next.gradient) <= 0.5 * norm(grad), next.value <= value + 1e-13 * Swift.abs(value) else { break }
                    (theta, value, grad) = next
                }
                if norm(grad) > 0.5 * before && norm(grad) < 1e3 * tolerance { break }   // at the rounding floor
            }
            return theta
        }

        /// Retrain without example `removed` (nil: the control) from θ̂ with Hessian H: Newton's method for R₋ᵢ with
        /// the Hessian H − ∇²ℓᵢ(θ̂)/N (∇²ℓᵢ by `NetworkInfluence.hessian` on example i alone) factored once; α halved when
        /// a step decreases neither R₋ᵢ nor ‖∇R₋ᵢ‖. Returns the parameters, the steps and the final ‖∇R₋ᵢ‖.
        func retrain(without removed: Int?, from theta: [Double], hessian h: Matrix, tolerance: Double,
                     maxIterations: Int) throws -> (theta: [Double], iterations: Int, gradientNorm: Double) {
            let p = theta.count, n = inputs.rows, norm = NetworkInfluence.norm
            let weights = removed.map { i in (0..<n).map { $0 == i ? 0.0 : 1.0 } }
            var t = theta, alpha = 1.0, iterations = 0
            var (value, grad) = try valueAndGradient(t, weights: weights)
            if norm(grad) <= tolerance { return (t, 0, norm(grad)) }
            var hm = h
            if let i = removed {
                let xi = try Matrix(rows: 1, cols: inputs.cols, storage: inputs.row(i)), yi = try Matrix(rows: 1, cols: 1, storage: [labels[i, 0]])
                let hi = try NetworkInfluence.hessian(at: theta) { try NetworkInfluence.logistic(network.with(flat: $0), xi, yi, weights: nil, count: 1).1 }.matrix
                for k in hm.storage.indices { hm.storage[k] -= hi.storage[k] / Double(n) }
            }
            guard var c = NetworkInfluence.factor(hm, from: 0)?.0 else { throw InfluenceError("the leave-one-out Hessian could not be factored") }
            var step = try c.solve(try Matrix(rows: p, cols: 1, storage: grad)).storage
            var refreshed = false
            while norm(grad) > tolerance && iterations < maxIterations {
                iterations += 1
                let candidate = (0..<p).map { t[$0] - alpha * step[$0] }
                let (v, g) = try valueAndGradient(candidate, weights: weights)
                if v < value || (v <= value + 1e-13 * Swift.abs(value) && norm(g) < norm(grad)) {
                    let halved = norm(g) <= 0.5 * norm(grad)
                    (t, value, grad, alpha) = (candidate, v, g, min(1, 2 * alpha))
                    // The chord (H at θ̂) converges only linearly; when a step no longer halves ‖∇R₋ᵢ‖, take the exact
                    // Hessian of R₋ᵢ at the current point (Newton proper), once per stall.
                    if !halved && !refreshed && norm(grad) > tolerance {
                        let hNow = try NetworkInfluence.hessian(at: t) { try valueAndGradient($0, weights: weights).gradient }.matrix
                        if let f = NetworkInfluence.factor(hNow, from: 0)?.0 { c = f; refreshed = true }
                    } else if halved {
                        refreshed = false
                    }
                    step = try c.solve(try Matrix(rows: p, cols: 1, storage: grad)).storage
                } else {
                    alpha /= 2
                }
            }
            return (t, iterations, norm(grad))
        }
    }

    /// ∇²F(θ) by central differences of an exact gradient ∇F, row k = (∇F(θ + h_k e_k) − ∇F(θ − h_k e_k))/(2h_k) with
    /// h_k = ε^{1/3}·max(|θ_k|, rms θ), symmetrized; also max|H − Hᵀ|/max|H| before symmetrizing. The truncation error
    /// h²/6·∂³∇F and the rounding error ~ε·(gradient scale)/h are both O(ε^{2/3}) ≈ 4·10⁻¹¹ relative to the curvature
    /// scale (differencing the loss twice would give only ε^{1/2}), far below the damping and the weight decay.
    static func hessian(at theta: [Double], gradient: ([Double]) throws -> [Double]) throws -> (matrix: Matrix, asymmetry: Double) {
        let p = theta.count
        let typical = max((theta.reduce(0) { $0 + $1 * $1 } / Double(max(p, 1))).squareRoot(), 1e-3)
        let base = Foundation.cbrt(Double.ulpOfOne)
        var h = Matrix(rows: p, cols: p), t = theta
        for k in 0..<p {
            let step = base * max(Swift.abs(theta[k]), typical)
            let up = theta[k] + step, down = theta[k] - step
            t[k] = up
            let gUp = try gradient(t)
            t[k] = down
            let gDown = try gradient(t)
            t[k] = theta[k]
            let inv = 1 / (up - down)                                       // the representable 2h
            for j in 0..<p { h.storage[k * p + j] = (gUp[j] - gDown[j]) * inv }
        }
        var asym = 0.0
        for i in 0..<p { for j in (i + 1)..<p {
            let a = h.storage[i * p + j], b = h.storage[j * p + i]
            asym = max(asym, Swift.abs(a - b))
            h.storage[i * p + j] = 0.5 * (a + b); h.storage[j * p + i] = 0.5 * (a + b)
        } }
        return (h, asym / max(h.maxAbs, .leastNormalMagnitude))
    }

    static func meanDiagonal(_ h: Matrix) -> Double { max(h.diagonal.reduce(0) { $0 + Swift.abs($1) } / Double(max(h.rows, 1)), 1e-300) }

    /// The Cholesky factor of H + μI for the smallest μ in {`from`, 10·`from`, …} (from 0: then 10⁻⁸s, 10⁻⁷s, …, s the
    /// mean |H_kk|) up to 10³s that is positive definite, and that μ; nil beyond.
    static func factor(_ h: Matrix, from start: Double) -> (Cholesky, Double)? {
        let s = meanDiagonal(h), p = h.rows
        var mu = start
        while mu <= 1e3 * s {
            var a = h
            if mu > 0 { for k in 0..<p { a.storage[k * p + k] += mu } }
            if let c = try? Cholesky(a) { return (c, mu) }
            mu = mu == 0 ? 1e-8 * s : 10 * mu
        }
        return nil
    }

    /// (H + δ′I)⁻¹ from the eigendecomposition of a symmetric H, with δ′ = max(δ, ε − λ_min), ε = max(δ, 10⁻⁴ λ_max).
    public struct DampedInverse: Sendable {
        public let eigenvalues: [Double], eigenvectors: Matrix
        public let damping: Double, dampingUsed: Double
        /// Eigenvalues below −10⁻⁸ max|λ| (finite-difference noise is ~10⁻¹⁰ of it).
        public let negativeCount: Int

        public init(hessian: Matrix, damping: Double) throws {
            guard damping >= 0 && damping.isFinite else { throw InfluenceError("damping must be ≥ 0") }
            let e = try SymmetricEigen(hessian)
            let top = e.values.reduce(0) { max($0, Swift.abs($1)) }
            let floor = max(damping, 1e-4 * top)
            guard floor > 0 else { throw InfluenceError("the Hessian is zero and no damping was given") }
            eigenvalues = e.values; eigenvectors = e.vectors; self.damping = damping
            negativeCount = e.values.filter { $0 < -1e-8 * top }.count
            dampingUsed = max(damping, floor - (e.values.first ?? 0))
        }

        /// (H + δ′I)⁻¹ B for B with P rows: V diag(1/(λ + δ′)) Vᵀ B by two DGEMMs.
        public func solve(_ b: Matrix) throws -> Matrix {
            var c = try Matrix.product(eigenvectors, b, transposeA: true)
            for r in 0..<c.rows {
                let s = 1 / (eigenvalues[r] + dampingUsed)
                for j in 0..<c.cols { c.storage[r * c.cols + j] *= s }
            }
            return try Matrix.product(eigenvectors, c)
        }
    }

    /// Train the network of `configuration` on (x, y) (labels ±1), estimate the influence of each of `examples` on the
    /// total test loss and retrain without it (see the type's documentation); Spearman's rank correlation of the two.
    public static func compare(train x: Matrix, labels y: [Double], test: Matrix, testLabels yt: [Double],
                               configuration c: Configuration, examples: [Int]) throws -> Result {
        guard y.count == x.rows, yt.count == test.rows, test.cols == x.cols, x.rows >= 2, test.rows >= 1 else { throw InfluenceError("shape mismatch between inputs and labels") }
        try checkLabels(y); try checkLabels(yt)
        guard c.l2 >= 0, c.l2.isFinite, c.damping >= 0, c.damping.isFinite else { throw InfluenceError("weight decay and damping must be ≥ 0") }
        guard c.l2 > 0 || c.damping > 0 else { throw InfluenceError("without weight decay H is singular or indefinite: give a damping > 0") }
        guard c.learningRate > 0, c.trainingSteps >= 0, c.depth >= 2, c.width >= 1 else { throw InfluenceError("bad network or training configuration") }
        guard examples.count >= 2, Set(examples).count == examples.count, examples.allSatisfy({ $0 >= 0 && $0 < x.rows }) else {
            throw InfluenceError("give at least two distinct training examples to leave out")
        }
        let n = x.rows
        var net = try network(inputs: x.cols, depth: c.depth, width: c.width, seed: c.seed)
        let ym = try Matrix(rows: n, cols: 1, storage: y), ytm = try Matrix(rows: test.rows, cols: 1, storage: yt)
        if c.trainingSteps > 0 {
            try net.train(x: x, y: ym, loss: .logistic, options: WidthTrainingOptions(optimizer: .sgd, learningRate: c.learningRate,
                                                                                      steps: c.trainingSteps, l2: c.l2, recordEvery: c.trainingSteps))
        }
        let objective = try Objective(network: net, inputs: x, labels: y, l2: c.l2)
        let theta = try c.l2 > 0 ? objective.minimize(from: net.flat, tolerance: 1e-11, maxHessians: 30) : net.flat
        let (hessian, asymmetry) = try objective.hessian(at: theta)
        let inverse = try DampedInverse(hessian: hessian, damping: c.damping)
        let model = net.with(flat: theta)
        let (testLoss, testGradient) = try logistic(model, test, ytm, weights: nil, count: 1)
        let v = try inverse.solve(try Matrix(rows: theta.count, cols: 1, storage: testGradient)).storage   // (H + δ′I)⁻¹∇L_test
        let predicted = try examples.map { i -> Double in
            let gi = try logistic(model, try Matrix(rows: 1, cols: x.cols, storage: x.row(i)), try Matrix(rows: 1, cols: 1, storage: [y[i]]),
                                  weights: nil, count: 1).1
            return zip(v, gi).reduce(0) { $0 + $1.0 * $1.1 } / Double(n)
        }
        // The leave-one-out runs, then the control on the full set.
        let retrained: (thetas: [[Double]], iterations: Int, gradientNorm: Double)
        if c.l2 > 0 {
            let runs = try (examples.map { Optional($0) } + [nil]).map {
                try objective.retrain(without: $0, from: theta, hessian: hessian, tolerance: 1e-10, maxIterations: 100)
            }
            retrained = (runs.map { $0.theta }, runs.map { $0.iterations }.max() ?? 0, runs.map { $0.gradientNorm }.max() ?? 0)
        } else {
            let weights: [[Double]?] = examples.map { i -> [Double]? in (0..<n).map { $0 == i ? 0.0 : 1.0 } } + [nil]
            let budget = c.retrainingBudget
            let thetas = try weights.map { w -> [Double] in
                var m = model
                try m.train(x: x, y: ym, loss: .logistic, sampleWeights: w,
                            options: WidthTrainingOptions(optimizer: .sgd, learningRate: c.learningRate, steps: budget, recordEvery: budget))
                return m.flat
            }
            let norms = try zip(thetas, weights).map { run -> [Double] in try objective.valueAndGradient(run.0, weights: run.1).gradient }.map(norm)
            retrained = (thetas, budget, norms.max() ?? 0)
        }
        let losses = try retrained.thetas.map { t -> Double in try logistic(net.with(flat: t), test, ytm, weights: nil, count: 1).0 }
        let actual = losses.dropLast().map { $0 - losses[losses.count - 1] }
        let f = try model.outputs(test).storage
        let accuracy = Double(zip(f, yt).filter { $0.0 * $0.1 > 0 }.count) / Double(yt.count)
        let gradientNorm = try norm(objective.valueAndGradient(theta).gradient)
        let trainLoss = try logistic(model, x, ym, weights: nil, count: n).0
        return Result(configuration: c, parameterCount: theta.count, examples: examples, predicted: predicted, actual: actual,
                      spearman: InfluenceFunctions.spearman(predicted, actual), dampingUsed: inverse.dampingUsed,
                      negativeEigenvalues: inverse.negativeCount, smallestEigenvalue: inverse.eigenvalues.first ?? .nan,
                      largestEigenvalue: inverse.eigenvalues.last ?? .nan, hessianAsymmetry: asymmetry,
                      gradientNorm: gradientNorm, trainLoss: trainLoss, testLoss: testLoss, testAccuracy: accuracy,
                      retraining: c.l2 > 0 ? .newton : .gradientDescent, retrainingSteps: retrained.iterations,
                      retrainingGradientNorm: retrained.gradientNorm)
    }
}
