import Architecture
import Gaussian
import Linalg

/// The NTK covariance of two inputs at order 1/n: n_{L−1} Cov(Ĥ_{ii;p}, Ĥ_{ii;q}) for one output component i
/// and the pairs p, q ∈ {(11), (12), (22)} (PDLT ch. 8, §8.0 for the forward equation and §8.3 for the NTK
/// variance and the NTK–preactivation cross-correlations; section-level citations). The derivation is
/// docs/derivations/ntk-covariance-two-inputs.md. It uses the method of `DiagonalNTKFiniteWidth` and
/// `TwoInputNTK`: condition on the layer below, where a neuron's weights are Gaussian.
///
/// Output layer: Σ_pq = B_pq + O_{p,q} + O_{p,q̄}, with q̄ = (dc) for q = (cd). The terms are:
/// - B_pq = n Cov(ĥ_p, ĥ_q): the fluctuation of the NTK mean ĥ = E[Ĥ_kk | layer below] (the role of PDLT's A);
/// - O_{ab,cd} = n E[Ĥ_{jk;ab} Ĥ_{jk;cd}] (j ≠ k): the off-diagonal NTK (the role of PDLT's B, with
///   B_{acbd} ↔ O_{ab,cd}). Both Wick pairings of the conditional Gaussian weights appear, (ac)(bd) and
///   (ad)(bc). O_{12,12} ≠ O_{12,21} because Ĥ_{jk;12} ≠ Ĥ_{kj;12}.
/// On a diagonal pair Σ is `DiagonalNTKFiniteWidth`'s B + 2O.
///
/// Per layer ℓ → ℓ + 1 (units of 1/n_{ℓ−1} → 1/n_ℓ, r = n_ℓ/n_{ℓ−1}, all moments at K = K^(ℓ)):
/// - J_pe = C_W ∂⟨σσ_p⟩/∂K_e;
/// - a_pe = λ_W ∂⟨σσ_p⟩/∂K_e + C_W Θ_p ∂⟨σ′σ′_p⟩/∂K_e;
/// - c_p = C_W ⟨σ′σ′_p⟩;
/// - Δ_ab = ⟨σ′_a σ′_b⟩;
/// - x_p = λ_W σσ_p + C_W Θ_p σ′σ′_p, one neuron with z ~ N(0, K).
/// The recursions are:
///   V′_pq = C_W² Cov(σσ_p, σσ_q) + r Σ J_pe J_qg V_eg                                (PDLT §4.3)
///   F′_pe = C_W Cov(x_p, σσ_e) + r Σ_f J_ef (Σ_g a_pg V_fg + c_p F_pf),  F_pe = n Cov(ĥ_p, Ĝ_e)
///   B′_pq = Cov(x_p, x_q) + r [a_p·V·a_q + c_q a_p·F_q + c_p a_q·F_p + c_p c_q B_pq]
///   O′_{ab,cd} = C_W² [⟨σ′_aσ′_bσ′_cσ′_d⟩ Θ_ab Θ_cd + r Δ_ac Δ_bd O_{ab,cd}]
///   Θ′_p = λ_b + λ_W⟨σσ_p⟩ + C_W⟨σ′σ′_p⟩ Θ_p,   K′_p = C_b + C_W⟨σσ_p⟩
/// Layer 1 is deterministic: V = F = B = O = 0, and r = 0 at ℓ = 1. No K¹, Θ¹ or Stein (𝒫) terms enter at
/// this order, so only first K-derivatives are needed.
///
/// Numerics:
/// - The gradients come from `TwoInputNTK.gradients` (which calls `Vertex.gradient`), plus
///   d⟨σ′²⟩/dK = ⟨zσ′σ″⟩/K (0 for the rectified family).
/// - The four-point moments ⟨σ^i σ′^j (u) σ^k σ′^l (v)⟩ use the adaptive 1-D and 2-D Gaussian rules.
/// - Scope is that of `TwoInputNTK`: smooth σ or the rectified family.
/// - Identical rows return B + 2O everywhere. Distinct rows with a singular K^(ℓ) throw
///   `TwoInputNTKError.degeneratePair`.
/// - Checked by bench/nt/check_ntk_covariance.py, with a Monte Carlo of the 3 × 3 covariance.
public enum TwoInputNTKVariance {
    /// n_{L−1} Cov(Ĥ^(L)_{ii;p}, Ĥ^(L)_{ii;q}) over p, q ∈ {(11), (12), (22)} of the two rows of `x`.
    public static func compute(spec: NetworkSpec, x: Matrix) throws -> [[Double]] {
        precondition(x.rows == 2, "TwoInputNTKVariance needs exactly two inputs (rows of x)")
        let spec = spec.with(inputDimension: x.cols)
        let n0 = Double(x.cols)
        func dot(_ i: Int, _ j: Int) -> Double { (0..<x.cols).reduce(0) { $0 + x[i, $1] * x[j, $1] } / n0 }
        if (0..<x.cols).allSatisfy({ x[0, $0] == x[1, $0] }) {
            let d = DiagonalNTKFiniteWidth.compute(spec: spec, q0: dot(0, 0))
            let value = (d.b.last ?? 0) + 2 * (d.o.last ?? 0)
            return [[Double]](repeating: [value, value, value], count: 3)
        }
        return try recursion(spec: spec, g11: dot(0, 0), g12: dot(0, 1), g22: dot(1, 1))
    }

    /// Σ^(L) for inputs with x_a·x_b/n₀ = g_ab, by the recursions above.
    static func recursion(spec: NetworkSpec, g11: Double, g12: Double, g22: Double) throws -> [[Double]] {
        let act = spec.activation
        let ones = [2, 1, 0]                                  // pair → number of factors of input 1
        let pairs = [(0, 0), (0, 1), (1, 1)]
        func oIndex(_ a: Int, _ b: Int, _ c: Int, _ d: Int) -> Int { 8 * a + 4 * b + 2 * c + d }
        let zero3 = [[Double]](repeating: [0, 0, 0], count: 3)
        var k = [g11, g12, g22].map { spec.cb[0] + spec.cw[0] * $0 }
        var theta = [g11, g12, g22].map { spec.lambdaB[0] + spec.effectiveLambdaW(layer: 1) * $0 }
        var v = zero3, f = zero3, b = zero3                   // V_pq, F_pe, B_pq
        var o = [Double](repeating: 0, count: 16)             // O_{ab,cd} at oIndex(a, b, c, d)
        guard spec.depth >= 2 else { return zero3 }
        for l in 1..<spec.depth {
            let cb = spec.cb[l], cw = spec.cw[l], lb = spec.lambdaB[l], lw = spec.effectiveLambdaW(layer: l + 1)
            let r = l == 1 ? 0 : Double(spec.width(ofLayer: l)) / Double(spec.width(ofLayer: l - 1))
            let (k11, k12, k22) = (k[0], k[1], k[2])
            let s = (k11 * k22).squareRoot(), deficit = s - k12
            guard s > 0, min(deficit, 2 * s - deficit) > 1e-10 * s else { throw TwoInputNTKError.degeneratePair(layer: l) }
            let (grad, gdd12) = TwoInputNTK.gradients(act, k11: k11, k12: k12, k22: k22)
            let gdd: [[Double]] = [[derivativeSquareSlope(act, k11), 0, 0], gdd12, [0, 0, derivativeSquareSlope(act, k22)]]
            let pm = act.pairMoments(k11: k11, k22: k22, deficit: deficit)
            let m1 = act.singleMoments(k11), m2 = act.singleMoments(k22)
            let ss = [m1.sigma2, pm.sigmaSigma, m2.sigma2], dd = [m1.deriv2, pm.derivDeriv, m2.deriv2]
            let delta = [[dd[0], dd[1]], [dd[1], dd[2]]]
            // ⟨σ(u)^i1 σ′(u)^j1 σ(v)^i2 σ′(v)^j2⟩_K, one-dimensional when an input does not appear.
            var cache: [Int: Double] = [:]
            func mom(_ i1: Int, _ j1: Int, _ i2: Int, _ j2: Int) -> Double {
                let key = ((i1 * 5 + j1) * 5 + i2) * 5 + j2
                if let value = cache[key] { return value }
                let value: Double
                if i2 + j2 == 0 {
                    value = Gaussian.expectation(product(act, i1, j1), variance: k11, kinks: act.kinks, tolerance: 1e-12).value
                } else if i1 + j1 == 0 {
                    value = Gaussian.expectation(product(act, i2, j2), variance: k22, kinks: act.kinks, tolerance: 1e-12).value
                } else {
                    value = Gaussian.expectation(product(act, i1, j1), product(act, i2, j2), k11: k11, k22: k22,
                                                 deficit: deficit, kinksF: act.kinks, kinksG: act.kinks).value
                }
                cache[key] = value
                return value
            }
            func four(_ p: Int, _ q: Int) -> Double { let m = ones[p] + ones[q]; return mom(m, 0, 4 - m, 0) }  // ⟨σσ_p σσ_q⟩
            func dfour(_ m: Int) -> Double { mom(0, m, 0, 4 - m) }                                     // ⟨σ′₁^m σ′₂^(4−m)⟩
            func mixed(_ e: Int, _ p: Int) -> Double { mom(ones[e], ones[p], 2 - ones[e], 2 - ones[p]) } // ⟨σσ_e σ′σ′_p⟩
            let j = grad.map { row in row.map { cw * $0 } }
            let a = (0..<3).map { p in (0..<3).map { e in lw * grad[p][e] + cw * theta[p] * gdd[p][e] } }
            let c = dd.map { cw * $0 }
            func dot3(_ x: [Double], _ y: [Double]) -> Double { x[0] * y[0] + x[1] * y[1] + x[2] * y[2] }
            func times(_ m: [[Double]], _ y: [Double]) -> [Double] { m.map { dot3($0, y) } }
            var vNew = zero3, fNew = zero3, bNew = zero3, oNew = o
            for p in 0..<3 {
                for q in 0..<3 {
                    // V′ (as `Vertex.twoInput`), F′_{p,e = q}, B′.
                    vNew[p][q] = cw * cw * (four(p, q) - ss[p] * ss[q]) + r * dot3(j[p], times(v, j[q]))
                    let covXY = lw * (four(q, p) - ss[q] * ss[p]) + cw * theta[p] * (mixed(q, p) - ss[q] * dd[p])
                    let vaf = times(v, a[p]).enumerated().map { $0.element + c[p] * f[p][$0.offset] }
                    fNew[p][q] = cw * covXY + r * dot3(j[q], vaf)
                    let covXX = lw * lw * (four(p, q) - ss[p] * ss[q])
                        + lw * cw * theta[q] * (mixed(p, q) - ss[p] * dd[q])
                        + lw * cw * theta[p] * (mixed(q, p) - ss[q] * dd[p])
                        + cw * cw * theta[p] * theta[q] * (dfour(ones[p] + ones[q]) - dd[p] * dd[q])
                    let carried = dot3(a[p], times(v, a[q])) + c[q] * dot3(a[p], f[q]) + c[p] * dot3(a[q], f[p])
                        + c[p] * c[q] * b[p][q]
                    bNew[p][q] = covXX + r * carried
                }
            }
            for i in 0..<16 {
                let (ia, ib, ic, id) = ((i >> 3) & 1, (i >> 2) & 1, (i >> 1) & 1, i & 1)
                let fourDeriv = dfour(4 - ia - ib - ic - id)
                oNew[i] = cw * cw * (fourDeriv * theta[ia + ib] * theta[ic + id] + r * delta[ia][ic] * delta[ib][id] * o[i])
            }
            theta = (0..<3).map { lb + lw * ss[$0] + cw * dd[$0] * theta[$0] }
            k = ss.map { cb + cw * $0 }
            (v, f, b, o) = (vNew, fNew, bNew, oNew)
        }
        return (0..<3).map { p -> [Double] in
            (0..<3).map { q -> Double in
                let (pa, pb) = pairs[p], (qc, qd) = pairs[q]
                return b[p][q] + o[oIndex(pa, pb, qc, qd)] + o[oIndex(pa, pb, qd, qc)]
            }
        }
    }

    /// t ↦ σ(t)^i σ′(t)^j.
    static func product(_ act: Activation, _ i: Int, _ j: Int) -> @Sendable (Double) -> Double {
        { t in
            var y = 1.0
            if i > 0 { let s = act.value(t); for _ in 0..<i { y *= s } }
            if j > 0 { let d = act.derivative(t); for _ in 0..<j { y *= d } }
            return y
        }
    }

    /// d⟨σ′²⟩_K/dK = ⟨z σ′(z) σ″(z)⟩_K / K (heat equation plus Stein); 0 for the rectified family, whose σ′² is
    /// piecewise constant with z σ″ = 0.
    static func derivativeSquareSlope(_ act: Activation, _ k: Double) -> Double {
        if act.slopes != nil { return 0 }
        return Gaussian.expectation({ $0 * act.derivative($0) * act.secondDerivative($0) }, variance: k,
                                    kinks: act.kinks, tolerance: 1e-12).value / k
    }
}
