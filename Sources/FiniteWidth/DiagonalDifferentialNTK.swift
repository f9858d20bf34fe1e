import Architecture
import Gaussian

/// The dNTK and ddNTK statistics of one input at order 1/n (PDLT ch. 11 §11.2–11.3 and §∞.1; derived
/// and checked against autodiff Monte Carlo in docs/derivations/dntk.md), layer by layer:
///   E[dĤ_{i₀i₁i₂} z_{i₃}] = (δ_{i₀i₃}δ_{i₁i₂} P + δ_{i₀i₁}δ_{i₂i₃} Q + δ_{i₀i₂}δ_{i₁i₃} Q)/n_{ℓ−1},
///   E[dd_IĤ_{i₀i₁i₂i₃}] = (δ_{i₀i₁}δ_{i₂i₃} + δ_{i₀i₂}δ_{i₁i₃} + δ_{i₀i₃}δ_{i₁i₂}) R/n_{ℓ−1},
///   E[dd_IIĤ_{i₁i₂i₃i₄}] = (δ_{i₁i₂}δ_{i₃i₄} S + δ_{i₁i₃}δ_{i₂i₄} T + δ_{i₁i₄}δ_{i₂i₃} U)/n_{ℓ−1}.
///
/// Auxiliaries: Π = n E[Ĥ_jm z_j z_m] and O = n E[Ĥ_jm²] (j ≠ m; PDLT's F and B on the diagonal).
/// Averages at K = K^(ℓ): s₂ = ⟨σ²⟩, g₁ = ⟨σ′²⟩, g₂ = ⟨σσ″⟩, g₃ = ⟨σ′σ‴⟩, g₄ = ⟨σ″²⟩, A₁ = ⟨σ²σ′²⟩,
/// A₂ = ⟨σσ′²σ″⟩, A₃ = ⟨σ′²σ″²⟩, A₄ = ⟨σ′³σ‴⟩, A₅ = ⟨σ′⁴⟩, and the Stein derivatives e₁ = ⟨zσσ′⟩/K,
/// e₂ = ⟨zσ′σ″⟩/K (exact across kinks; σ″, σ‴ written out are the pathwise ones, 0 for ReLU).
/// With χ_⊥ = C_W g₁, χ_∥ = C_W e₁, a = λ_W e₁ + C_W Θ e₂ (= ∂Θ^(ℓ+1)/∂K) and r = n_ℓ/n_{ℓ−1}:
///   Π′ = C_W² A₁ Θ + r χ_∥² Π,           O′ = C_W² A₅ Θ² + r χ_⊥² O,
///   P′ = C_W² A₂ Θ² + r χ_⊥ C_W g₂ O + r χ_⊥ χ_∥ P,
///   Q′ = C_W Θ (λ_W A₁ + C_W Θ A₂) + r χ_∥ a Π + r χ_⊥ χ_∥ Q,
///   R′ = C_W Θ² (λ_W A₂ + C_W Θ A₄) + r χ_⊥ (λ_W g₂ + C_W Θ g₃) O + r χ_⊥ a P + r χ_⊥² R,
///   S′ = C_W Θ² (λ_W A₅ + C_W Θ A₃) + r χ_⊥ (λ_W g₁ + C_W Θ g₄) O + r χ_⊥² S,
///   T′ = Θ (λ_W² A₁ + 2 λ_W C_W Θ A₂ + C_W² Θ² A₃) + r a² Π + 2 r a χ_⊥ Q + r χ_⊥² T,
///   U′ = C_W² Θ³ A₃ + r χ_⊥² U,
/// all zero at ℓ = 1 (the first layer is linear in its parameters), r = 0 into ℓ = 2.
/// Scale-invariant closed forms at criticality (equal widths, C_b = 0, 𝒜 = C_W²(a₊⁴ + a₋⁴)/2,
/// Θ̄ = λ_b + λ_W K/C_W): P = R = U = 0, Q = (λ_W/C_W)𝒜KΘ̄(ℓ+1)ℓ(ℓ−1)/6, S = (λ_W/C_W)𝒜Θ̄²(ℓ²−1)ℓ²/12,
/// T = (λ_W/C_W)²𝒜KΘ̄(ℓ²−1)ℓ²/12: Q/Θ², SK/Θ³, TK/Θ³ grow ∝ ℓ (the aspect ratio ℓ/n sets the size).
public struct DiagonalDifferentialNTK: Sendable {
    /// P, Q, R, S, T, U per layer ℓ = 1 … L (units of 1/n_{ℓ−1}).
    public var p: [Double], q: [Double], r: [Double], s: [Double], t: [Double], u: [Double]
    /// Θ^(ℓ) and K^(ℓ) at infinite width.
    public var ntk: [Double], kernel: [Double]

    /// The six statistics of layer ℓ (1-based) in the order P, Q, R, S, T, U.
    public func statistics(layer l: Int) -> [Double] { [p[l - 1], q[l - 1], r[l - 1], s[l - 1], t[l - 1], u[l - 1]] }

    public static func compute(spec: NetworkSpec, q0: Double) -> DiagonalDifferentialNTK {
        let act = spec.activation
        func e(_ f: @escaping (Double) -> Double, _ k: Double) -> Double {
            Gaussian.expectation(f, variance: k, kinks: act.kinks, tolerance: 1e-12).value
        }
        /// ⟨z f(z)⟩/K, or f′(0) at K = 0 (`df0`).
        func stein(_ f: @escaping (Double) -> Double, _ k: Double, df0: Double) -> Double {
            k > 1e-300 ? e({ $0 * f($0) }, k) / k : df0
        }
        var k = spec.cb[0] + spec.cw[0] * q0
        var theta = spec.lambdaB[0] + spec.effectiveLambdaW(layer: 1) * q0
        var pi = 0.0, o = 0.0, p = 0.0, q = 0.0, r = 0.0, s = 0.0, t = 0.0, u = 0.0
        var out = DiagonalDifferentialNTK(p: [0], q: [0], r: [0], s: [0], t: [0], u: [0], ntk: [theta], kernel: [k])
        guard spec.depth >= 2 else { return out }
        for l in 1..<spec.depth {
            let cb = spec.cb[l], cw = spec.cw[l], lb = spec.lambdaB[l], lw = spec.effectiveLambdaW(layer: l + 1)
            let ratio = l == 1 ? 0 : Double(spec.width(ofLayer: l)) / Double(spec.width(ofLayer: l - 1))
            let v = act.value, d1 = act.derivative, d2 = act.secondDerivative, d3 = act.thirdDerivative
            let s2 = e({ let a = v($0); return a * a }, k)
            let g1 = e({ let a = d1($0); return a * a }, k)
            let g2 = e({ v($0) * d2($0) }, k)
            let g3 = e({ d1($0) * d3($0) }, k)
            let g4 = e({ let a = d2($0); return a * a }, k)
            let a1 = e({ let a = v($0), b = d1($0); return a * a * b * b }, k)
            let a2 = e({ let b = d1($0); return v($0) * b * b * d2($0) }, k)
            let a3 = e({ let b = d1($0), c = d2($0); return b * b * c * c }, k)
            let a4 = e({ let b = d1($0); return b * b * b * d3($0) }, k)
            let a5 = e({ let b = d1($0); return b * b * b * b }, k)
            let e1 = stein({ v($0) * d1($0) }, k, df0: d1(0) * d1(0) + v(0) * d2(0))
            let e2 = stein({ d1($0) * d2($0) }, k, df0: d2(0) * d2(0) + d1(0) * d3(0))
            let chiPerp = cw * g1, chiPar = cw * e1, a = lw * e1 + cw * theta * e2
            let th2 = theta * theta
            let piNew = cw * cw * a1 * theta + ratio * chiPar * chiPar * pi
            let oNew = cw * cw * a5 * th2 + ratio * chiPerp * chiPerp * o
            let pNew = cw * cw * a2 * th2 + ratio * chiPerp * cw * g2 * o + ratio * chiPerp * chiPar * p
            let qNew = cw * theta * (lw * a1 + cw * theta * a2) + ratio * chiPar * a * pi + ratio * chiPerp * chiPar * q
            let rNew = cw * th2 * (lw * a2 + cw * theta * a4) + ratio * chiPerp * (lw * g2 + cw * theta * g3) * o
                + ratio * chiPerp * a * p + ratio * chiPerp * chiPerp * r
            let sNew = cw * th2 * (lw * a5 + cw * theta * a3) + ratio * chiPerp * (lw * g1 + cw * theta * g4) * o
                + ratio * chiPerp * chiPerp * s
            let tNew = theta * (lw * lw * a1 + 2 * lw * cw * theta * a2 + cw * cw * th2 * a3) + ratio * a * a * pi
                + 2 * ratio * a * chiPerp * q + ratio * chiPerp * chiPerp * t
            let uNew = cw * cw * th2 * theta * a3 + ratio * chiPerp * chiPerp * u
            (pi, o, p, q, r, s, t, u) = (piNew, oNew, pNew, qNew, rNew, sNew, tNew, uNew)
            k = cb + cw * s2
            theta = lb + lw * s2 + chiPerp * theta
            out.p.append(p); out.q.append(q); out.r.append(r); out.s.append(s); out.t.append(t); out.u.append(u)
            out.ntk.append(theta); out.kernel.append(k)
        }
        return out
    }
}
