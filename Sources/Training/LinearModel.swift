import Foundation
import Linalg
import Sampling

/// Linear models z = W φ(x) and their kernel methods (PDLT §7.1–7.2, §10.4; the lecture on linear and
/// quadratic models), trained on L = (1/(2Nk)) Σ_{δ,i} (z_{i;δ} − y_{δi})² as everywhere in DeepTheory.
/// With the feature matrix Φ (N × P), the kernel k = ΦΦᵀ and a = η/(N k):
/// - the direct solution: W = Yᵀ Φ (ΦᵀΦ + εI)⁻¹ (normal equations; the primal P × P "M" of PDLT §10.4);
/// - the dual kernel form: z(x) = k(x, X)(k + εI)⁻¹ y (PDLT eq. 10.4x: k_{βα} k̃^{αα′} y), equal to it by
///   the push-through identity (for ε = 0 and P > N the dual gives the minimum-norm interpolant);
/// - gradient descent in closed form from W(0): the training residual after t steps is
///   (1 − a k)^t (y − z₀(X)), so z_t(x) = z₀(x) + k(x, X) k⁻¹ [1 − (1 − a k)^t] (y − z₀(X)); at t = ∞ the
///   answer is z₀(x) + k(x, X) k⁻¹ (y − z₀(X)): the part of W(0) orthogonal to the span of the data
///   features survives (algorithm dependence);
/// - the same by iterating W ← W − η ∂L/∂W.
public struct LinearModel: Sendable {
    /// Feature maps φ: inputs (N × n₀) → features (N × P).
    public enum Features: Sendable {
        /// φ(x) = (x, 1).
        case identity
        /// φ_j(x) = max(0, w_j·x + b_j)/√P with w_j ~ N(0, I/n₀), b_j ~ N(0, 1) (random ReLU features).
        case random(count: Int, seed: UInt64)
        /// Every monomial of each coordinate up to `degree`, and 1: (1, x, x², …, x^degree) per coordinate.
        case polynomial(degree: Int)
        /// Any other feature map, e.g. a network's own gradient features λ^{1/2}∂z/∂θ at θ₀
        /// (`SampledNetwork.gradientFeatures`), with which the linear model is the linearized network.
        case custom(name: String, map: @Sendable (Matrix) throws -> Matrix)

        public func map(_ x: Matrix) throws -> Matrix {
            switch self {
            case .identity:
                return try Matrix(x.rowArrays.map { $0 + [1] })
            case let .random(count, seed):
                var w = Matrix(rows: count, cols: x.cols)
                w.storage.withUnsafeMutableBufferPointer { Philox4x32(seed: seed, stream: 0xFEA7).fillNormals($0) }
                var b = [Double](repeating: 0, count: count)
                b.withUnsafeMutableBufferPointer { Philox4x32(seed: seed, stream: 0xB1A5).fillNormals($0) }
                var f = try Matrix.product(x, (1 / Double(x.cols).squareRoot()) * w, transposeB: true)
                let s = 1 / Double(count).squareRoot()
                for i in 0..<f.rows { for j in 0..<count { f[i, j] = max(0, f[i, j] + b[j]) * s } }
                return f
            case let .polynomial(degree):
                return try Matrix(x.rowArrays.map { row in [1] + row.flatMap { v in (1...max(degree, 1)).map { Foundation.pow(v, Double($0)) } } })
            case let .custom(name, map):
                let phi = try map(x)
                guard phi.rows == x.rows else {
                    throw TrainingError.shape("the feature map '\(name)' returned \(phi.rows) rows for \(x.rows) inputs")
                }
                return phi
            }
        }
    }

    public var features: Features
    public init(features: Features) { self.features = features }

    /// W from the normal equations, k × P: Yᵀ Φ (ΦᵀΦ + εI)⁻¹ (ε = `ridge`, absolute).
    public func directWeights(train x: Matrix, targets y: Matrix, ridge: Double = 0) throws -> Matrix {
        let phi = try features.map(x)
        var m = try Matrix.product(phi, phi, transposeA: true)  // M = ΦᵀΦ, P × P
        for i in 0..<m.rows { m[i, i] += ridge }
        let chol: Cholesky
        do { chol = try Cholesky(m) } catch {
            throw TrainingError.singular("the normal equations ΦᵀΦ (\(phi.cols) features, \(x.rows) inputs) are singular: add --ridge ε"
                                         + (phi.cols > x.rows ? " (with more features than inputs the kernel form and gradient descent give the minimum-norm solution)" : ""))
        }
        let rhs = try Matrix.product(phi, y, transposeA: true)  // Φᵀ Y, P × k
        return try chol.solve(rhs).transposed
    }

    /// Predictions W φ(x).
    public func predict(weights w: Matrix, _ x: Matrix) throws -> Matrix {
        try Matrix.product(try features.map(x), w, transposeB: true)
    }

    /// The dual (kernel) form k(x, X)(k + εI)⁻¹ y.
    public func kernelPrediction(train x: Matrix, targets y: Matrix, test: Matrix, ridge: Double = 0) throws -> Matrix {
        let phi = try features.map(x), phiT = try features.map(test)
        var k = try Matrix.product(phi, phi, transposeB: true)
        for i in 0..<k.rows { k[i, i] += ridge }
        let chol: Cholesky
        do { chol = try Cholesky(k) } catch {
            throw TrainingError.singular("the kernel ΦΦᵀ of the \(x.rows) training inputs is singular (repeated inputs, or fewer features than inputs): add --ridge ε")
        }
        return try Matrix.product(try Matrix.product(phiT, phi, transposeB: true), try chol.solve(y))
    }

    /// Gradient descent from W(0) = `initial` (k × P; nil: 0) for `steps` steps at learning rate η, in
    /// closed form (t = nil: t = ∞, which needs k non-singular).
    public func gradientDescentClosedForm(train x: Matrix, targets y: Matrix, test: Matrix, steps: Int?, learningRate eta: Double,
                                          initial: Matrix? = nil) throws -> Matrix {
        let phi = try features.map(x), phiT = try features.map(test)
        let w0 = initial ?? Matrix(rows: y.cols, cols: phi.cols)
        let z0 = try Matrix.product(phi, w0, transposeB: true), z0Test = try Matrix.product(phiT, w0, transposeB: true)
        let k = try Matrix.product(phi, phi, transposeB: true)
        let eig = try SymmetricEigen(k)
        let a = eta / Double(x.rows * y.cols)
        // k⁻¹[1 − (1 − a k)^t] = U diag(g(λ)) Uᵀ with g(λ) = (1 − (1 − aλ)^t)/λ (→ a t as λ → 0; 1/λ at t = ∞).
        let scale = eig.values.max() ?? 0
        let g = eig.values.map { l -> Double in
            let small = l <= 1e-13 * scale
            guard let steps else { return small ? 0 : 1 / l }
            return small ? a * Double(steps) : (1 - Foundation.pow(1 - a * l, Double(steps))) / l
        }
        var ug = eig.vectors
        for i in 0..<ug.rows { for j in 0..<ug.cols { ug[i, j] *= g[j] } }
        let m = try Matrix.product(ug, eig.vectors, transposeB: true)
        return z0Test + (try Matrix.product(try Matrix.product(phiT, phi, transposeB: true), try Matrix.product(m, y - z0)))
    }

    /// The same by iterating W ← W − η ∂L/∂W = W + (η/(N k)) (Y − WΦᵀ)ᵀ... for `steps` steps; returns
    /// the test predictions and the final weights.
    public func gradientDescentIterated(train x: Matrix, targets y: Matrix, test: Matrix, steps: Int, learningRate eta: Double,
                                        initial: Matrix? = nil) throws -> (predictions: Matrix, weights: Matrix) {
        let phi = try features.map(x)
        var w = initial ?? Matrix(rows: y.cols, cols: phi.cols)
        let a = eta / Double(x.rows * y.cols)
        for _ in 0..<steps {
            let residual = try Matrix.product(phi, w, transposeB: true) - y          // N × k
            try w.addProduct(residual, phi, transposeA: true, alpha: -a)             // W −= a rᵀ Φ
        }
        return (try predict(weights: w, test), w)
    }
}
