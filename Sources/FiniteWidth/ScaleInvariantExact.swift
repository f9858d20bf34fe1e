import Architecture

/// Exact finite-width statistics of one output of a scale-invariant network without biases
/// (σ(t) = (a₋1_{t<0} + a₊1_{t>0})t, C_b = 0): an all-orders check on the 1/n expansion of PDLT §4.3.
///
/// Conditional on layer ℓ, z^(ℓ+1)_i ~ N(0, Ĝ^(ℓ+1)) with Ĝ^(ℓ+1) = (C_W/n_ℓ) Σ_j σ(z^(ℓ)_j)². Given Ĝ^(ℓ),
/// z^(ℓ)_j = (Ĝ^(ℓ))^{1/2} g_j with g_j i.i.d. N(0, 1), and homogeneity gives σ(z_j)² = Ĝ^(ℓ) σ(g_j)²: so
/// Ĝ^(ℓ+1) = Ĝ^(ℓ) X_ℓ with X_ℓ = (C_W/n_ℓ) Σ_j σ(g_j)² independent of Ĝ^(ℓ). Hence
/// E[z⁴]/(3 E[z²]²) = Π_{ℓ=1}^{L−1} E[X_ℓ²]/E[X_ℓ]² = Π_ℓ (1 + c/n_ℓ), c = ⟨σ⁴⟩/⟨σ²⟩² − 1 = 6(a₊⁴ + a₋⁴)/(a₊² + a₋²)² − 1
/// (ReLU 5, linear and |t| 2), whatever C_W; the first-order term 3 Σ_ℓ c/n_ℓ is the vertex
/// 3V/(n K²) of `DiagonalFiniteWidth`.
public enum ScaleInvariantExact {
    /// c = ⟨σ⁴⟩/⟨σ²⟩² − 1 for the slopes (a₋, a₊).
    public static func kurtosisCoefficient(negative: Double, positive: Double) -> Double {
        let a2 = negative * negative + positive * positive
        let a4 = negative * negative * negative * negative + positive * positive * positive * positive
        return 6 * a4 / (a2 * a2) - 1
    }

    /// κ₄/K² of one output component, exact at any widths; nil unless σ is scale-invariant and every C_b is 0.
    public static func excessKurtosis(spec: NetworkSpec) -> Double? {
        guard let s = spec.activation.slopes, spec.cb.allSatisfy({ $0 == 0 }) else { return nil }
        let c = kurtosisCoefficient(negative: s.negative, positive: s.positive)
        var product = 1.0
        for l in 1..<spec.depth { product *= 1 + c / Double(spec.width(ofLayer: l)) }
        return 3 * (product - 1)
    }
}
