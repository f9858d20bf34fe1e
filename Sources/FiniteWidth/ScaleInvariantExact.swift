import Architecture
import Foundation

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

extension ScaleInvariantExact {
    /// Normalized cumulants κ_{2k}/K^k, k = 2, 3, 4, of one output component, exact at any widths
    /// (Hanin's lecture: κ_{2k} ∝ (L/n)^{k−1} at small L/n). From the product structure above,
    /// z = (Ĝ^(L))^{1/2} g with Ĝ^(L) = Ĝ^(1) ∏_ℓ X_ℓ, so E[z^{2k}] = (2k − 1)!! (Ĝ^(1))^k ∏_ℓ E[X_ℓ^k].
    /// Given the number B of positive g_j (Binomial(n, ½)), Σ_j σ(g_j)² = a₊² χ²_B + a₋² χ²_{n−B} with
    /// independent chi-squares, whose moments are E[(χ²_m)^j] = m(m + 2)⋯(m + 2j − 2). Cumulants follow
    /// from the moments (κ₄ = m₄ − 3m₂², κ₆ = m₆ − 15m₄m₂ + 30m₂³, κ₈ = m₈ − 28m₆m₂ − 35m₄² + 420m₄m₂² − 630m₂⁴).
    /// nil unless σ is scale-invariant and every C_b is 0.
    public static func normalizedCumulants(spec: NetworkSpec) -> [Double]? {
        guard spec.activation.slopes != nil, spec.cb.allSatisfy({ $0 == 0 }) else { return nil }
        let ratio = varianceMomentRatios(spec: spec, upTo: 4)
        // Moments of z in units of E[z²]^k: (2k − 1)!! ratio_k.
        let m2 = ratio[1], m4 = 3 * ratio[2], m6 = 15 * ratio[3], m8 = 105 * ratio[4]
        return [m4 - 3 * m2 * m2,
                m6 - 15 * m4 * m2 + 30 * m2 * m2 * m2,
                m8 - 28 * m6 * m2 - 35 * m4 * m4 + 420 * m4 * m2 * m2 - 630 * m2 * m2 * m2 * m2]
    }

    /// R_k = E[(Ĝ^(L))^k]/E[Ĝ^(L)]^k, k = 0 … `order`: the moments of the output's conditional variance
    /// (a product of independent layer factors). R_{2k}/R_k² − 1 is the relative variance of one
    /// network's contribution to E[Ĝ^k], so M networks estimate the 2k-th moment of z to a relative
    /// standard error √((R_{2k}/R_k² − 1)/M): at large L/n this is enormous and sample cumulants are
    /// dominated by rare networks (biased low, with jackknife errors that do not cover the bias).
    public static func varianceMomentRatios(spec: NetworkSpec, upTo order: Int) -> [Double] {
        guard let s = spec.activation.slopes else { return [] }
        let ap = s.positive * s.positive, am = s.negative * s.negative
        // Σ_ℓ log(E[X_ℓ^k]/E[X_ℓ]^k), one moment computation per distinct width.
        var logRatio = [Double](repeating: 0, count: order + 1)
        var cache: [Int: [Double]] = [:]
        for l in 1..<spec.depth {
            let n = spec.width(ofLayer: l)
            if cache[n] == nil {
                let m = sumMoments(n: n, ap: ap, am: am, upTo: order)
                cache[n] = (0...order).map { k in Foundation.log(m[k]) - Double(k) * Foundation.log(m[1]) }
            }
            for k in 0...order { logRatio[k] += cache[n]![k] }
        }
        return logRatio.map { Foundation.exp($0) }
    }

    /// E[S^k], k = 0 … order, for S = a₊ χ²_B + a₋ χ²_{n−B}, B ~ Binomial(n, ½) (a± are squared slopes here).
    static func sumMoments(n: Int, ap: Double, am: Double, upTo order: Int) -> [Double] {
        func chi(_ m: Int, _ j: Int) -> Double { (0..<j).reduce(1.0) { $0 * Double(m + 2 * $1) } }
        var binomial: [[Double]] = [[1]]
        for k in 1...max(order, 1) { binomial.append((0...k).map { j in j == 0 || j == k ? 1 : binomial[k - 1][j - 1] + binomial[k - 1][j] }) }
        var out = [Double](repeating: 0, count: order + 1)
        let logHalf = Double(n) * Foundation.log(0.5)
        func lgamma(_ x: Double) -> Double { Foundation.lgamma(x) as Double }
        let lgN = lgamma(Double(n + 1))
        for b in 0...n {
            let p = Foundation.exp(lgN - lgamma(Double(b + 1)) - lgamma(Double(n - b + 1)) + logHalf)
            for k in 0...order {
                var e = 0.0
                for j in 0...k {
                    e += binomial[k][j] * Foundation.pow(ap, Double(j)) * Foundation.pow(am, Double(k - j)) * chi(b, j) * chi(n - b, k - j)
                }
                out[k] += p * e
            }
        }
        return out
    }
}
