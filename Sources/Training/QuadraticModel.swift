import Foundation
import Linalg

/// A quadratic model and its nearly-kernel (order-ε) solution (PDLT §11.4, §∞.2.2; the lecture on
/// quadratic models): z_i(x) = Σ_j W_ij φ_j(x) + (ε/2) Σ_{j₁j₂} W_ij₁ W_ij₂ ψ_j₁j₂(x) with feature functions φ
/// and symmetric meta-feature functions ψ. Its effective features φ^E_ij(x) = ∂z_i/∂W_ij = φ_j(x) + ε Σ_k W_ik ψ_kj(x)
/// move during training, unlike a linear model's. ψ enters only through its action on the weights,
/// G_i(x) = ψ(x) W_iᵀ, so meta-features may be given matrix-free (a network's Hessian, for instance).
///
/// Trained by gradient descent on L = (1/(2Nk)) Σ (z − y)² from W(0): W_i ← W_i − (η/(Nk)) r_iᵀ(Φ + εG_i)
/// with the residuals r = z − y on the training inputs.
///
/// The nearly-kernel solution expands the trajectory to first order, W(t) = A(t) + ε B(t) + O(ε²):
///   A_i ← A_i − (η/(Nk)) r₀_iᵀ Φ,  r₀ = ΦAᵀ − Y (the linear model's gradient descent),
///   B_i ← B_i − (η/(Nk)) [r₁_iᵀ Φ + r₀_iᵀ G_i(A)],  r₁_i = ΦB_iᵀ + ½ A_i ψ A_iᵀ,
/// and predicts z = ΦAᵀ + ε (ΦBᵀ + ½ AψAᵀ) on any inputs; its distance from the trained model is O(ε²).
public struct QuadraticModel: Sendable {
    /// The meta-feature functions ψ_j₁j₂(x).
    public enum MetaFeatures: Sendable {
        /// ψ_j₁j₂(x) = φ_j₁(x) φ_j₂(x): z_i = u_i + (ε/2) u_i² with u = Wφ, and φ^E_i = φ(1 + ε u_i).
        case products
        /// Matrix-free: given the inputs X (N × n₀) and the weights W (k × P), the k matrices G_i (N × P) with
        /// rows ψ(x_α) W_iᵀ. ψ must be symmetric.
        case custom(name: String, apply: @Sendable (_ inputs: Matrix, _ weights: Matrix) throws -> [Matrix])
    }

    public var features: LinearModel.Features
    public var metaFeatures: MetaFeatures
    public var epsilon: Double

    public init(features: LinearModel.Features, metaFeatures: MetaFeatures = .products, epsilon: Double) {
        self.features = features
        self.metaFeatures = metaFeatures
        self.epsilon = epsilon
    }

    public struct Run: Sendable {
        /// Test predictions after training, N_test × k.
        public var predictions: Matrix
        /// Train loss before every step and after the last.
        public var trainLoss: [Double]
        /// ‖φ^E(T) − φ^E(0)‖_F/‖φ^E(0)‖_F on the training inputs (all outputs).
        public var featureChange: Double
        /// The same after every step t = 0 … T (starts at 0): how the effective features move during training.
        public var featureChangeCurve: [Double]
        /// The trained weights W(T), k × P.
        public var weights: Matrix
    }

    /// G_i = ψ W_iᵀ on the inputs whose features are `phi`.
    func metaTimes(_ x: Matrix, _ phi: Matrix, _ w: Matrix) throws -> [Matrix] {
        switch metaFeatures {
        case .products:
            let u = try Matrix.product(phi, w, transposeB: true)
            return (0..<w.rows).map { i in
                var g = phi
                for a in 0..<phi.rows { for j in 0..<phi.cols { g[a, j] *= u[a, i] } }
                return g
            }
        case let .custom(name, apply):
            let g = try apply(x, w)
            guard g.count == w.rows, g.allSatisfy({ $0.rows == x.rows && $0.cols == phi.cols }) else {
                throw TrainingError.shape("the meta-feature map '\(name)' must return \(w.rows) matrices of \(x.rows) × \(phi.cols)")
            }
            return g
        }
    }

    /// z = ΦWᵀ + (ε/2) (W_i ψ W_iᵀ)_i, given G = ψWᵀ.
    func outputs(_ phi: Matrix, _ w: Matrix, _ g: [Matrix], scale: Double) throws -> Matrix {
        var z = try Matrix.product(phi, w, transposeB: true)
        for i in 0..<w.rows { for a in 0..<phi.rows {
            var s = 0.0
            for j in 0..<phi.cols { s += w[i, j] * g[i][a, j] }
            z[a, i] += 0.5 * scale * s
        } }
        return z
    }

    /// The effective features φ^E_i(x) = φ(x) + ε ψ(x)W_iᵀ on `x` for the weights `w`, stacked over outputs (k·N × P).
    public func effectiveFeatures(_ x: Matrix, weights w: Matrix) throws -> Matrix {
        let phi = try features.map(x)
        return try stacked(phi, try metaTimes(x, phi, w))
    }

    func stacked(_ phi: Matrix, _ g: [Matrix]) throws -> Matrix {
        var out = Matrix(rows: g.count * phi.rows, cols: phi.cols)
        for (i, gi) in g.enumerated() { for a in 0..<phi.rows { for j in 0..<phi.cols {
            out[i * phi.rows + a, j] = phi[a, j] + epsilon * gi[a, j]
        } } }
        return out
    }

    /// Model outputs on `x` for the weights `w`.
    public func predict(weights w: Matrix, _ x: Matrix) throws -> Matrix {
        let phi = try features.map(x)
        return try outputs(phi, w, try metaTimes(x, phi, w), scale: epsilon)
    }

    /// Gradient descent for `steps` steps at learning rate η from W(0) = `initial` (k × P; nil: 0).
    public func train(train x: Matrix, targets y: Matrix, test: Matrix, steps: Int, learningRate eta: Double,
                      initial: Matrix? = nil) throws -> Run {
        let phi = try features.map(x)
        var w = initial ?? Matrix(rows: y.cols, cols: phi.cols)
        let a = eta / Double(x.rows * y.cols)
        var g = try metaTimes(x, phi, w)
        let featuresAtStart = try stacked(phi, g)
        let norm0 = max(featuresAtStart.storage.reduce(0) { $0 + $1 * $1 }, .leastNormalMagnitude)
        var losses: [Double] = [], curve: [Double] = []
        for step in 0...steps {
            let r = try outputs(phi, w, g, scale: epsilon) - y
            losses.append(0.5 * a / eta * r.storage.reduce(0) { $0 + $1 * $1 })
            let change = try stacked(phi, g) - featuresAtStart
            curve.append((change.storage.reduce(0) { $0 + $1 * $1 } / norm0).squareRoot())
            guard step < steps else { break }
            guard losses.last!.isFinite else { throw TrainingError.nonFinite("the quadratic model diverged at step \(step): lower the learning rate or ε") }
            try w.addProduct(r, phi, transposeA: true, alpha: -a)                       // W −= a rᵀΦ
            for i in 0..<w.rows { for a2 in 0..<phi.rows where r[a2, i] != 0 {        // W_i −= a ε r_iᵀ G_i
                let c = -a * epsilon * r[a2, i]
                for j in 0..<phi.cols { w[i, j] += c * g[i][a2, j] }
            } }
            g = try metaTimes(x, phi, w)
        }
        return Run(predictions: try predict(weights: w, test), trainLoss: losses, featureChange: curve.last ?? 0,
                   featureChangeCurve: curve, weights: w)
    }

    /// The nearly-kernel (first order in ε) prediction after `steps` steps from W(0) = 0.
    public func nearlyKernelPrediction(train x: Matrix, targets y: Matrix, test: Matrix, steps: Int, learningRate eta: Double) throws -> Matrix {
        let phi = try features.map(x), phiT = try features.map(test)
        var aW = Matrix(rows: y.cols, cols: phi.cols), bW = Matrix(rows: y.cols, cols: phi.cols)
        let a = eta / Double(x.rows * y.cols)
        for _ in 0..<steps {
            let gA = try metaTimes(x, phi, aW)
            let r0 = try Matrix.product(phi, aW, transposeB: true) - y
            // r₁ = ΦBᵀ + ½ AψAᵀ: `outputs` with B in the linear slot is ΦBᵀ + ½ B·G(A), so add the A part by hand.
            var r1 = try Matrix.product(phi, bW, transposeB: true)
            for i in 0..<aW.rows { for al in 0..<phi.rows {
                var s = 0.0
                for j in 0..<phi.cols { s += aW[i, j] * gA[i][al, j] }
                r1[al, i] += 0.5 * s
            } }
            try aW.addProduct(r0, phi, transposeA: true, alpha: -a)
            try bW.addProduct(r1, phi, transposeA: true, alpha: -a)
            for i in 0..<bW.rows { for al in 0..<phi.rows where r0[al, i] != 0 {
                let c = -a * r0[al, i]
                for j in 0..<phi.cols { bW[i, j] += c * gA[i][al, j] }
            } }
        }
        let gA = try metaTimes(test, phiT, aW)
        var z = try Matrix.product(phiT, aW, transposeB: true) + epsilon * (try Matrix.product(phiT, bW, transposeB: true))
        for i in 0..<aW.rows { for al in 0..<phiT.rows {
            var s = 0.0
            for j in 0..<phiT.cols { s += aW[i, j] * gA[i][al, j] }
            z[al, i] += 0.5 * epsilon * s
        } }
        return z
    }
}
