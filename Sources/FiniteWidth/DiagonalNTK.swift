import Architecture
import Gaussian

/// The NTK of one input at order 1/n (PDLT ch. 8 on the diagonal), derived here by conditioning
/// each layer on the one below it, where the weights of a neuron are Gaussian and Stein's lemma
/// gives every joint moment of a neuron's preactivation z_j and its NTK Ĥ_jj.
///
/// Per layer ℓ (units of 1/n_{ℓ−1}), with ĥ = E[Ĥ_jj | layer ℓ−1] and Ĝ the stochastic metric:
/// - Θ^(ℓ) + Θ¹(ℓ)/n: the NTK mean;
/// - F = n Cov(ĥ, Ĝ), B = n Var(ĥ): NTK–metric cross-correlation and NTK-mean fluctuation;
/// - O = n E[Ĥ_km²] (k ≠ m): off-diagonal NTK fluctuations;
/// - P: the Stein term E[sᵀΣMΣs]·n, from the NTK's own dependence on a neuron's weights.
/// Recursions (a = λ_W ∂⟨σ²⟩ + C_W Θ ∂⟨σ′²⟩, b = C_W ∂⟨σ²⟩ = χ_∥, c = C_W⟨σ′²⟩ = χ_⊥, r = n_ℓ/n_{ℓ−1}):
///   V′ = C_W² Var(σ²) + r b² V
///   F′ = C_W Cov(λ_W σ² + C_W Θ σ′², σ²) + r b (a V + c F)
///   B′ = Var(λ_W σ² + C_W Θ σ′²) + r (a² V + 2 a c F + c² B)
///   O′ = C_W² ⟨σ′⁴⟩ Θ² + r c² O
///   P′ = C_W² [⟨σ²σ′²⟩ Θ + r q],  q′ = ⟨(σσ′)′⟩² P′ evaluated at the next layer's kernel
///   Θ¹′ = r { λ_W 𝒟⟨σ²⟩ + C_W [Θ¹⟨σ′²⟩ + Θ 𝒟⟨σ′²⟩ + F ∂⟨σ′²⟩ + 2 P ∂⟨σ′²⟩] },  𝒟 = K¹∂ + (V/2)∂²
/// and Var(Ĥ^(L)_ii) = (B^(L) + 2 O^(L))/n_{L−1}. Layer 1 is deterministic given the input.
public struct DiagonalNTKFiniteWidth: Sendable {
    public var ntk: [Double]
    public var ntkCorrection: [Double]
    /// Predicted Var(Ĥ^(ℓ)_ii) of one diagonal component, for the actual widths.
    public var ntkVariance: [Double]
    public var b: [Double]
    public var f: [Double]
    public var o: [Double]

    public static func compute(spec: NetworkSpec, q0: Double) -> DiagonalNTKFiniteWidth {
        let act = spec.activation
        func e(_ g: @escaping (Double) -> Double, _ k: Double) -> Double {
            Gaussian.expectation(g, variance: k, kinks: act.kinks, tolerance: 1e-12).value
        }
        // K, V and K¹ per layer come from the kernel's own order-1/n recursion.
        let metric = DiagonalFiniteWidth.compute(spec: spec, q0: q0)
        var k = metric.kernel[0]
        var theta = spec.lambdaB[0] + spec.effectiveLambdaW(layer: 1) * q0
        var f = 0.0, bb = 0.0, o = 0.0, th1 = 0.0
        var p = 0.0           // P^(ℓ) (needs layer ℓ−1; 0 at ℓ = 1)
        var q = 0.0           // q^(ℓ)
        var prev: (k: Double, theta: Double)? = nil
        var out = DiagonalNTKFiniteWidth(ntk: [theta], ntkCorrection: [0], ntkVariance: [0], b: [0], f: [0], o: [0])
        guard spec.depth >= 2 else { return out }
        for l in 1..<spec.depth {
            let cw = spec.cw[l], lb = spec.lambdaB[l], lw = spec.effectiveLambdaW(layer: l + 1)
            let v = metric.vertex[l - 1], k1 = metric.metricCorrection[l - 1]
            let r = l == 1 ? 0 : Double(spec.width(ofLayer: l)) / Double(spec.width(ofLayer: l - 1))
            // P^(ℓ) at this layer (ℓ ≥ 2): C_W^(ℓ)² [⟨σ²σ′²⟩_{K^(ℓ−1)} Θ^(ℓ−1) + (n_{ℓ−1}/n_{ℓ−2}) q^(ℓ−1)].
            if let prev, l >= 2 {
                let cwl = spec.cw[l - 1]
                let rPrev = l == 2 ? 0 : Double(spec.width(ofLayer: l - 1)) / Double(spec.width(ofLayer: l - 2))
                let s2d2 = e({ let s = act.value($0), d = act.derivative($0); return s * s * d * d }, prev.k)
                p = cwl * cwl * (s2d2 * prev.theta + rPrev * q)
                let hPrime = e({ $0 * act.value($0) * act.derivative($0) }, k) / k  // ⟨(σσ′)′⟩ = ⟨z σσ′⟩/K
                q = hPrime * hPrime * p
            }
            let s2 = e({ let s = act.value($0); return s * s }, k)
            let s4 = e({ let s = act.value($0); return s * s * s * s }, k)
            let d2 = e({ let d = act.derivative($0); return d * d }, k)
            let d4 = e({ let d = act.derivative($0); return d * d * d * d }, k)
            let s2d2 = e({ let s = act.value($0), d = act.derivative($0); return s * s * d * d }, k)
            let (ds2, dds2) = DiagonalFiniteWidth.derivatives(of: { act.singleMoments($0).sigma2 }, at: k)
            let (dd2, ddd2) = DiagonalFiniteWidth.derivatives(of: { act.singleMoments($0).deriv2 }, at: k)
            let a = lw * ds2 + cw * theta * dd2, bch = cw * ds2, c = cw * d2
            let varX = lw * lw * (s4 - s2 * s2) + 2 * lw * cw * theta * (s2d2 - s2 * d2) + cw * cw * theta * theta * (d4 - d2 * d2)
            let covXY = cw * (lw * (s4 - s2 * s2) + cw * theta * (s2d2 - s2 * d2))
            let fNew = covXY + r * bch * (a * v + c * f)
            let bNew = varX + r * (a * a * v + 2 * a * c * f + c * c * bb)
            let oNew = cw * cw * d4 * theta * theta + r * c * c * o
            let th1New = r * (lw * (k1 * ds2 + 0.5 * v * dds2)
                              + cw * (th1 * d2 + theta * (k1 * dd2 + 0.5 * v * ddd2) + f * dd2 + 2 * p * dd2))
            prev = (k, theta)
            theta = lb + lw * s2 + c * theta
            k = metric.kernel[l]
            (f, bb, o, th1) = (fNew, bNew, oNew, th1New)
            let nPrev = Double(spec.width(ofLayer: l))
            out.ntk.append(theta)
            out.ntkCorrection.append(th1)
            out.ntkVariance.append((bb + 2 * o) / nPrev)
            out.b.append(bb); out.f.append(f); out.o.append(o)
        }
        return out
    }
}
