import Architecture
import Gaussian

/// Order-1/n statistics of one input's preactivations (PDLT §4.3–4.6, ch. 5.4 on the diagonal):
/// the four-point vertex V^(ℓ), the 1/n correction K^{1}(ℓ) to the metric, and the excess kurtosis
/// of one component, layer by layer.
///
/// Conventions: at layer ℓ the connected four-point function of z^(ℓ) is
/// E[z_{i₁}z_{i₂}z_{i₃}z_{i₄}]_c = (δ_{i₁i₂}δ_{i₃i₄} + δ_{i₁i₃}δ_{i₂i₄} + δ_{i₁i₄}δ_{i₂i₃}) V^(ℓ)/n_{ℓ−1},
/// and E[z_i z_i] = K^(ℓ) + K^{1}(ℓ)/n_{ℓ−1} + O(1/n²). Layer 1 is exactly Gaussian (V = K^{1} = 0).
/// Recursions (single input, K = K^(ℓ), χ_∥ = C_W d⟨σ²⟩/dK):
///   V^(ℓ+1) = C_W² (⟨σ⁴⟩_K − ⟨σ²⟩_K²) + (n_ℓ/n_{ℓ−1}) χ_∥² V^(ℓ),
///   K^{1}(ℓ+1) = (n_ℓ/n_{ℓ−1}) [χ_∥ K^{1}(ℓ) + (C_W/2) (d²⟨σ²⟩_K/dK²) V^(ℓ)],
/// the second from E[f(z)] = ⟨f⟩_G + (κ₄/24)⟨f⁗⟩ with κ₄ = 3V/n and ⟨f⁗⟩_K = 4 d²⟨f⟩_K/dK².
/// Excess kurtosis of one component: κ₄/K² = 3V^(ℓ)/(n_{ℓ−1} (K^(ℓ))²).
public struct DiagonalFiniteWidth: Sendable {
    /// K^(ℓ), ℓ = 1 … L (infinite width).
    public var kernel: [Double]
    /// V^(ℓ) in units of 1/n_{ℓ−1}.
    public var vertex: [Double]
    /// K^{1}(ℓ) in units of 1/n_{ℓ−1}.
    public var metricCorrection: [Double]
    /// 3V^(ℓ)/(n_{ℓ−1} K^(ℓ)²) (0 at ℓ = 1).
    public var excessKurtosis: [Double]

    /// The recursion for an input with |x|²/n₀ = q0.
    public static func compute(spec: NetworkSpec, q0: Double) -> DiagonalFiniteWidth {
        let act = spec.activation
        var k = spec.cb[0] + spec.cw[0] * q0
        var v = 0.0, k1 = 0.0
        var out = DiagonalFiniteWidth(kernel: [k], vertex: [0], metricCorrection: [0], excessKurtosis: [0])
        guard spec.depth >= 2 else { return out }
        for l in 1..<spec.depth {
            // Layer ℓ → ℓ + 1 uses C^(ℓ+1) and the widths n_ℓ (feeding) and n_{ℓ−1}.
            let cb = spec.cb[l], cw = spec.cw[l]
            let nRatio = l == 1 ? 0 : Double(spec.width(ofLayer: l)) / Double(spec.width(ofLayer: l - 1))
            let s2 = act.singleMoments(k).sigma2
            let s4 = Gaussian.expectation({ let s = act.value($0); return s * s * s * s }, variance: k, kinks: act.kinks,
                                          tolerance: 1e-12).value
            let (d1, d2) = derivatives(of: { act.singleMoments($0).sigma2 }, at: k)
            let chi = cw * d1
            let vNew = cw * cw * (s4 - s2 * s2) + nRatio * chi * chi * v
            let k1New = nRatio * (chi * k1 + 0.5 * cw * d2 * v)
            k = cb + cw * s2
            v = vNew
            k1 = k1New
            let nPrev = Double(spec.width(ofLayer: l))
            out.kernel.append(k)
            out.vertex.append(v)
            out.metricCorrection.append(k1)
            out.excessKurtosis.append(3 * v / (nPrev * k * k))
        }
        return out
    }

    /// First and second derivatives of a smooth function by Richardson-extrapolated central
    /// differences (step h and h/2; error O(h⁴)).
    static func derivatives(of f: (Double) -> Double, at k: Double) -> (Double, Double) {
        let h = 1e-2 * k
        func d(_ h: Double) -> (Double, Double) {
            let fp = f(k + h), fm = f(k - h), f0 = f(k)
            return ((fp - fm) / (2 * h), (fp - 2 * f0 + fm) / (h * h))
        }
        let (a1, a2) = d(h), (b1, b2) = d(h / 2)
        return ((4 * b1 - a1) / 3, (4 * b2 - a2) / 3)
    }
}
