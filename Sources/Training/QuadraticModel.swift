import Foundation
import Linalg

/// A quadratic model and its nearly-kernel (order-ε) solution (PDLT §11.4, §∞.2.2; the lecture on
/// quadratic models): z_i(x) = Σ_j W_ij φ_j(x) + (ε/2) Σ_{j₁j₂} W_ij₁ W_ij₂ ψ_j₁j₂(x), here with the
/// meta-feature functions ψ_j₁j₂(x) = φ_j₁(x) φ_j₂(x), so that z_i = u_i + (ε/2) u_i² with u = Wφ. Its
/// effective features φ^E_ij(x) = ∂z_i/∂W_ij = φ_j(x) + ε Σ_k W_ik ψ_kj(x) = φ_j(x)(1 + ε u_i(x)) move
/// during training, unlike a linear model's.
///
/// Trained by gradient descent on L = (1/(2Nk)) Σ (z − y)² from W(0): W ← W − (η/(Nk)) (R ⊙ (1 + εU))ᵀ Φ
/// with the residuals R = z − y and U = ΦWᵀ on the training inputs.
///
/// The nearly-kernel solution expands the trajectory to first order, W(t) = A(t) + ε B(t) + O(ε²):
///   A ← A − (η/(Nk)) R₀ᵀ Φ,  R₀ = ΦAᵀ − Y (the linear model's gradient descent),
///   B ← B − (η/(Nk)) [R₁ᵀ Φ + (R₀ ⊙ U₀)ᵀ Φ],  R₁ = ΦBᵀ + ½ U₀ ⊙ U₀,  U₀ = ΦAᵀ,
/// and predicts z = u₀ + ε (ΦBᵀ + ½ u₀²) on any inputs; its distance from the trained model is O(ε²).
public struct QuadraticModel: Sendable {
    public var features: LinearModel.Features
    public var epsilon: Double

    public init(features: LinearModel.Features, epsilon: Double) {
        self.features = features
        self.epsilon = epsilon
    }

    public struct Run: Sendable {
        /// Test predictions after training, N_test × k.
        public var predictions: Matrix
        /// Train loss before every step and after the last.
        public var trainLoss: [Double]
        /// ‖φ^E(T) − φ^E(0)‖_F/‖φ^E(0)‖_F on the training inputs (all outputs).
        public var featureChange: Double
    }

    /// z = u + (ε/2)u² with u = ΦWᵀ.
    func outputs(_ phi: Matrix, _ w: Matrix) throws -> Matrix {
        let u = try Matrix.product(phi, w, transposeB: true)
        return u.hadamard(u) { a, _ in a + 0.5 * epsilon * a * a }
    }

    /// The effective features φ^E_ij(x_α) = φ_j(x_α)(1 + ε u_i(x_α)), stacked over outputs (k·N × P).
    func effectiveFeatures(_ phi: Matrix, _ w: Matrix) throws -> Matrix {
        let u = try Matrix.product(phi, w, transposeB: true)
        var out = Matrix(rows: u.cols * phi.rows, cols: phi.cols)
        for i in 0..<u.cols { for a in 0..<phi.rows { for j in 0..<phi.cols {
            out[i * phi.rows + a, j] = phi[a, j] * (1 + epsilon * u[a, i])
        } } }
        return out
    }

    /// Gradient descent for `steps` steps at learning rate η from W(0) = `initial` (k × P; nil: 0).
    public func train(train x: Matrix, targets y: Matrix, test: Matrix, steps: Int, learningRate eta: Double,
                      initial: Matrix? = nil) throws -> Run {
        let phi = try features.map(x), phiT = try features.map(test)
        var w = initial ?? Matrix(rows: y.cols, cols: phi.cols)
        let a = eta / Double(x.rows * y.cols)
        let featuresAtStart = try effectiveFeatures(phi, w)
        var losses: [Double] = []
        for step in 0...steps {
            let u = try Matrix.product(phi, w, transposeB: true)
            let r = u.hadamard(u) { v, _ in v + 0.5 * epsilon * v * v } - y
            losses.append(0.5 * a / eta * r.storage.reduce(0) { $0 + $1 * $1 })
            guard step < steps else { break }
            let weighted = r.hadamard(u) { res, v in res * (1 + epsilon * v) }
            try w.addProduct(weighted, phi, transposeA: true, alpha: -a)
        }
        let change = try effectiveFeatures(phi, w) - featuresAtStart
        let norm0 = featuresAtStart.storage.reduce(0) { $0 + $1 * $1 }
        return Run(predictions: try outputs(phiT, w), trainLoss: losses,
                   featureChange: (change.storage.reduce(0) { $0 + $1 * $1 } / max(norm0, .leastNormalMagnitude)).squareRoot())
    }

    /// The nearly-kernel (first order in ε) prediction after `steps` steps from W(0) = 0.
    public func nearlyKernelPrediction(train x: Matrix, targets y: Matrix, test: Matrix, steps: Int, learningRate eta: Double) throws -> Matrix {
        let phi = try features.map(x), phiT = try features.map(test)
        var aW = Matrix(rows: y.cols, cols: phi.cols), bW = Matrix(rows: y.cols, cols: phi.cols)
        let a = eta / Double(x.rows * y.cols)
        for _ in 0..<steps {
            let u0 = try Matrix.product(phi, aW, transposeB: true)
            let r0 = u0 - y
            let r1 = try Matrix.product(phi, bW, transposeB: true) + u0.hadamard(u0) { v, _ in 0.5 * v * v }
            let source = r1 + r0.hadamard(u0, *)
            try aW.addProduct(r0, phi, transposeA: true, alpha: -a)
            try bW.addProduct(source, phi, transposeA: true, alpha: -a)
        }
        let u0 = try Matrix.product(phiT, aW, transposeB: true)
        let first = try Matrix.product(phiT, bW, transposeB: true) + u0.hadamard(u0) { v, _ in 0.5 * v * v }
        return u0 + epsilon * first
    }
}
