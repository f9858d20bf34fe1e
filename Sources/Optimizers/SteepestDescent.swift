import Foundation
import Linalg

/// Optimizers as steepest descent (the last lecture; Bernstein & Newhouse 2024): one step
///   Δ = argmin_Δ ⟨g, Δ⟩ + ‖Δ‖²/(2η) = −η ‖g‖_† · s(g),
/// where ‖·‖_† is the dual norm and s(g) the unit vector with ⟨g, s⟩ = ‖g‖_†:
/// - ℓ₂ (gradient descent): ‖g‖_† = ‖g‖₂, s = g/‖g‖₂, so Δ = −ηg;
/// - ℓ∞ (sign descent; Adam without its running averages is this): ‖g‖_† = ‖g‖₁, s = sign(g);
/// - spectral norm of a weight matrix (Muon): ‖g‖_† = ‖g‖_* (nuclear norm, the sum of singular values),
///   s = UVᵀ, the polar factor of g = UΣVᵀ.
/// Muon itself drops the ‖g‖_† factor (a fixed-length step, Δ = −η UVᵀ), as sign descent and Adam do.
public enum SteepestDescent {
    public enum Norm: String, Sendable, CaseIterable { case euclidean, maxNorm = "max", spectral }

    /// The unit direction s(g) of `norm` and the dual norm ‖g‖_†.
    public static func sharp(_ g: Matrix, norm: Norm) throws -> (direction: Matrix, dualNorm: Double) {
        switch norm {
        case .euclidean:
            let n = g.storage.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return (n > 0 ? (1 / n) * g : g, n)
        case .maxNorm:
            return (g.hadamard(g) { v, _ in v > 0 ? 1 : (v < 0 ? -1 : 0) }, g.storage.reduce(0) { $0 + abs($1) })
        case .spectral:
            let (polar, singular) = try polarFactor(g)
            return (polar, singular.reduce(0, +))
        }
    }

    /// The steepest-descent step Δ = −η ‖g‖_† s(g).
    public static func step(_ g: Matrix, norm: Norm, learningRate eta: Double) throws -> Matrix {
        let (s, dual) = try sharp(g, norm: norm)
        return (-eta * dual) * s
    }

    /// The size of `d` in `norm`: ‖d‖₂, ‖d‖∞, or the largest singular value.
    public static func size(_ d: Matrix, norm: Norm) throws -> Double {
        switch norm {
        case .euclidean: return d.storage.reduce(0) { $0 + $1 * $1 }.squareRoot()
        case .maxNorm: return d.storage.map(abs).max() ?? 0
        case .spectral:
            let small = d.rows <= d.cols ? try Matrix.product(d, d, transposeB: true) : try Matrix.product(d, d, transposeA: true)
            return (try SymmetricEigen(small).values.max() ?? 0).squareRoot()
        }
    }

    /// The polar factor UVᵀ of g = UΣVᵀ and the singular values Σ, from the symmetric eigendecomposition of the
    /// smaller Gram matrix (gᵀg = VΣ²Vᵀ: UVᵀ = g V Σ⁻¹ Vᵀ, or the transpose construction for wide g). Singular values
    /// below 1e-13 of the largest count as zero (their directions are left out: the partial isometry of g's range).
    public static func polarFactor(_ g: Matrix) throws -> (polar: Matrix, singularValues: [Double]) {
        let tall = g.rows >= g.cols
        let gram = tall ? try Matrix.product(g, g, transposeA: true) : try Matrix.product(g, g, transposeB: true)
        let eig = try SymmetricEigen(gram)
        let top = max(eig.values.max() ?? 0, 0)
        let sigma = eig.values.map { max($0, 0).squareRoot() }
        var scaled = eig.vectors  // V Σ⁻¹ (columns)
        for i in 0..<scaled.rows { for j in 0..<scaled.cols {
            scaled[i, j] = sigma[j] > 1e-13 * top.squareRoot() && sigma[j] > 0 ? scaled[i, j] / sigma[j] : 0
        } }
        let inverseRoot = try Matrix.product(scaled, eig.vectors, transposeB: true)  // (gᵀg)^{−1/2} on the range
        let polar = tall ? try Matrix.product(g, inverseRoot) : try Matrix.product(inverseRoot, g)
        return (polar, sigma.filter { $0 > 1e-13 * top.squareRoot() }.sorted(by: >))
    }

    /// Newton–Schulz iteration for the polar factor (Muon's orthogonalization, no SVD): X₀ = g/‖g‖_F, then
    /// - `quintic: false`: X ← 1.5X − 0.5XXᵀX, converging (quadratically at the end) to UVᵀ for full-rank g;
    /// - `quintic: true`: Muon's X ← aX + b(XXᵀ)X + c(XXᵀ)²X with (a, b, c) = (3.4445, −4.7750, 2.0315), tuned to push
    ///   every singular value into about [0.7, 1.2] in five steps rather than to converge.
    public static func newtonSchulz(_ g: Matrix, iterations: Int, quintic: Bool = false) throws -> Matrix {
        let f = g.storage.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard f > 0 else { return g }
        var x = (1 / f) * g
        for _ in 0..<iterations {
            let xxt = try Matrix.product(x, x, transposeB: true)
            if quintic {
                let b = try Matrix.product(xxt, x)
                let c = try Matrix.product(xxt, b)
                x = 3.4445 * x + (-4.7750) * b + 2.0315 * c
            } else {
                x = 1.5 * x + (-0.5) * (try Matrix.product(xxt, x))
            }
        }
        return x
    }
}
