import Architecture
import Gaussian
import Linalg

/// The dNTK and ddNTK statistics of two inputs at order 1/n (PDLT ch. 11, §11.2–11.3, for the dNTK;
/// §∞.1–∞.2 for the ddNTKs; section-level citation), derived in docs/derivations/dntk-two-inputs.md
/// and checked against exact-autodiff Monte Carlo by bench/nt/check_dntk_two_inputs.py. The single-input
/// recursion is `DiagonalDifferentialNTK` (docs/derivations/dntk.md); with a sample index on every z,
/// dĤ_{i₀i₁i₂;δ₀δ₁δ₂} = Σ λλ ∂²z_{i₀;δ₀} ∂z_{i₁;δ₁} ∂z_{i₂;δ₂}, dd_IĤ_{i₀i₁i₂i₃;δ₀δ₁δ₂δ₃} = Σ λλλ ∂³z_{i₀;δ₀} ∂z_{i₁;δ₁}
/// ∂z_{i₂;δ₂} ∂z_{i₃;δ₃}, dd_IIĤ_{i₁i₂i₃i₄;δ₁δ₂δ₃δ₄} = Σ λλλ ∂_{μ₁}∂_{μ₂}z_{i₁;δ₁} ∂_{μ₁}∂_{μ₃}z_{i₂;δ₂} ∂_{μ₂}z_{i₃;δ₃}
/// ∂_{μ₃}z_{i₄;δ₄}, and with n = n_{ℓ−1} (δ ∈ {0, 1} = the rows of x):
///   E[dĤ_{i₀i₁i₂;δ₀δ₁δ₂} z_{i₃;δ₃}] = [δ_{i₀i₃}δ_{i₁i₂} P_{δ₀δ₁δ₂δ₃} + δ_{i₀i₁}δ_{i₂i₃} Q_{δ₀δ₁δ₂δ₃} + δ_{i₀i₂}δ_{i₁i₃} Q_{δ₀δ₂δ₁δ₃}]/n
///   E[dd_IĤ_{i₀i₁i₂i₃;δ₀δ₁δ₂δ₃}]    = [δ_{i₀i₁}δ_{i₂i₃} R_{δ₀δ₁δ₂δ₃} + δ_{i₀i₂}δ_{i₁i₃} R_{δ₀δ₂δ₁δ₃} + δ_{i₀i₃}δ_{i₁i₂} R_{δ₀δ₃δ₁δ₂}]/n
///   E[dd_IIĤ_{i₁i₂i₃i₄;δ₁δ₂δ₃δ₄}]   = [δ_{i₁i₂}δ_{i₃i₄} S + δ_{i₁i₃}δ_{i₂i₄} T + δ_{i₁i₄}δ_{i₂i₃} U]_{δ₁δ₂δ₃δ₄}/n.
/// Symmetries: P_{δ₀δ₁δ₂δ₃} = P_{δ₀δ₂δ₁δ₃}, R_{δ₀δ₁δ₂δ₃} = R_{δ₀δ₁δ₃δ₂}, X_{δ₁δ₂δ₃δ₄} = X_{δ₂δ₁δ₄δ₃} (X = S, T, U):
/// 12, 16, 12, 10, 10, 10 independent components. All-equal components are the single-input values.
///
/// Recursion, layer ℓ → ℓ+1 (digits name the δ's; ⟨·⟩ over (z₀, z₁) ~ N(0, K^(ℓ)); σ″, σ‴ written out are the
/// pathwise ones, 0 for ReLU; ⟨∂F⟩ = K⁻¹(⟨z₀F⟩, ⟨z₁F⟩) is the Stein derivative, exact across kinks (for σ
/// without kinks computed as ⟨∂F/∂z_γ⟩, the same number, well conditioned as the inputs merge); "·"
/// contracts the free last index of a tensor, or both last indices of Π with ⟨∂·⟩ on each side;
/// G_ab = ⟨σ′_aσ′_b⟩, w_ab = λ_Wσ′_aσ_b + C_WΘ_abσ″_aσ′_b, u_ab = λ_Wσ″_aσ_b + C_WΘ_abσ‴_aσ′_b,
/// v_ab = λ_Wσ′_aσ′_b + C_WΘ_abσ″_aσ″_b; r = n_ℓ/n_{ℓ−1}, hyperparameters of layer ℓ+1):
///   Π′_{ab;cd} = C_W²[⟨σ_cσ′_aσ′_bσ_d⟩Θ_ab + r ⟨∂(σ′_aσ_c)⟩·Π_{ab}·⟨∂(σ′_bσ_d)⟩]     (n E[Ĥ_{jm;ab} z_{j;c} z_{m;d}], j ≠ m)
///   O′_{ab;cd} = C_W²[⟨σ′_aσ′_bσ′_cσ′_d⟩Θ_abΘ_cd + r G_ac G_bd O_{ab;cd}]           (n E[Ĥ_{jm;ab} Ĥ_{jm;cd}], j ≠ m)
///   P′_0123 = C_W²[⟨σ″_0σ_3σ′_1σ′_2⟩Θ_01Θ_02 + r⟨σ″_0σ_3⟩G_12 O_{01;02} + r G_12 P_{012·}·⟨∂(σ′_0σ_3)⟩]
///   Q′_0123 = C_W[⟨w_01σ′_2σ_3⟩Θ_02 + r⟨∂w_01⟩·Π_{02}·⟨∂(σ′_2σ_3)⟩] + r C_W² G_01 Q_{012·}·⟨∂(σ′_2σ_3)⟩
///   R′_0123 = C_W[⟨u_01σ′_2σ′_3⟩Θ_02Θ_03 + r⟨u_01⟩G_23 O_{02;03} + r G_23 P_{023·}·⟨∂w_01⟩] + r C_W² G_01G_23 R_0123
///   S′_1234 = C_W[⟨v_12σ′_3σ′_4⟩Θ_13Θ_24 + r⟨v_12⟩G_34 O_{13;24}] + r C_W² G_12G_34 S_1234
///   T′_1234 = Θ_12⟨w_13w_24⟩ + r⟨∂w_13⟩·Π_{12}·⟨∂w_24⟩ + r C_W[G_24 Q_{241·}·⟨∂w_13⟩ + G_13 Q_{132·}·⟨∂w_24⟩]
///             + r C_W² G_13G_24 T_1234
///   U′_1234 = C_W²⟨σ″_1σ″_2σ′_3σ′_4⟩Θ_12Θ_13Θ_24 + r C_W² G_14G_23 U_1234
/// with K, Θ the infinite-width kernel and NTK (2 × 2) and every order-1/n tensor 0 at ℓ = 1 (r = 0 into ℓ = 2).
/// Π_{01;γδ} is `TwoInputNTK`'s 𝒫 (PDLT's F), O PDLT's B (as far as we recall their index order, see the doc).
///
/// Reuses: `DiagonalDifferentialNTK` (identical rows), `TwoInputNTKError.degeneratePair` (a singular K^(ℓ) for
/// distinct rows), `Gaussian.expectation` (1-D, and the adaptive 2-D f(u)g(v) rule) and the pathwise
/// `Activation.secondDerivative`/`thirdDerivative`. Smooth σ, the rectified family and ELU.
public enum TwoInputDifferentialNTK {
    /// A 2 × 2 × 2 × 2 tensor, `x[δ0][δ1][δ2][δ3]`.
    public typealias Tensor = [[[[Double]]]]

    /// The statistics at the output layer L, in units of 1/n_{L−1} (the predicted moment is value/n_{L−1}).
    public struct Result: Sendable, Equatable {
        /// dNTK–preactivation: P_{δ₀δ₁δ₂δ₃} (coefficient of δ_{i₀i₃}δ_{i₁i₂}) and Q_{δ₀δ₁δ₂δ₃} (of δ_{i₀i₁}δ_{i₂i₃}).
        public var p: Tensor, q: Tensor
        /// dd_IĤ mean R_{δ₀δ₁δ₂δ₃} (coefficient of δ_{i₀i₁}δ_{i₂i₃}).
        public var r: Tensor
        /// dd_IIĤ means: S, T, U_{δ₁δ₂δ₃δ₄} (coefficients of δ_{i₁i₂}δ_{i₃i₄}, δ_{i₁i₃}δ_{i₂i₄}, δ_{i₁i₄}δ_{i₂i₃}).
        public var s: Tensor, t: Tensor, u: Tensor
        /// Θ^(L) and K^(L) at infinite width (2 × 2).
        public var ntk: [[Double]], kernel: [[Double]]
    }

    /// P … U at the output layer for the two rows of `x` (identical rows give the single-input values in
    /// every component). Throws `TwoInputNTKError.degeneratePair` if K^(ℓ) is singular for distinct rows.
    public static func compute(spec: NetworkSpec, x: Matrix) throws -> Result {
        precondition(x.rows == 2, "TwoInputDifferentialNTK needs exactly two inputs (rows of x)")
        let spec = spec.with(inputDimension: x.cols)
        let act = spec.activation
        let n0 = Double(x.cols)
        func dot(_ i: Int, _ j: Int) -> Double { (0..<x.cols).reduce(0) { $0 + x[i, $1] * x[j, $1] } / n0 }
        let gram = [[dot(0, 0), dot(0, 1)], [dot(0, 1), dot(1, 1)]]
        if (0..<x.cols).allSatisfy({ x[0, $0] == x[1, $0] }) {
            let d = DiagonalDifferentialNTK.compute(spec: spec, q0: gram[0][0])
            func fill(_ v: Double) -> Tensor { nested([Double](repeating: v, count: 16)) }
            let ntk = d.ntk.last ?? 0, kernel = d.kernel.last ?? 0
            return Result(p: fill(d.p.last ?? 0), q: fill(d.q.last ?? 0), r: fill(d.r.last ?? 0), s: fill(d.s.last ?? 0),
                          t: fill(d.t.last ?? 0), u: fill(d.u.last ?? 0), ntk: [[ntk, ntk], [ntk, ntk]],
                          kernel: [[kernel, kernel], [kernel, kernel]])
        }
        let lw1 = spec.effectiveLambdaW(layer: 1)
        var k = gram.map { $0.map { spec.cb[0] + spec.cw[0] * $0 } }
        var theta = gram.map { $0.map { spec.lambdaB[0] + lw1 * $0 } }
        let zero = [Double](repeating: 0, count: 16)
        var (pi, o, p, q, r, s, t, u) = (zero, zero, zero, zero, zero, zero, zero, zero)
        if spec.depth >= 2 {
            for l in 1..<spec.depth {
                let cb = spec.cb[l], cw = spec.cw[l], lb = spec.lambdaB[l], lw = spec.effectiveLambdaW(layer: l + 1)
                let ratio = l == 1 ? 0 : Double(spec.width(ofLayer: l)) / Double(spec.width(ofLayer: l - 1))
                let (k11, k12, k22) = (k[0][0], k[0][1], k[1][1])
                let sq = (k11 * k22).squareRoot(), deficit = sq - k12
                guard sq > 0, min(deficit, 2 * sq - deficit) > 1e-10 * sq else { throw TwoInputNTKError.degeneratePair(layer: l) }
                let det = deficit * (2 * sq - deficit)   // K₁₁K₂₂ − K₁₂² without cancellation
                var m = Moments(act: act, k11: k11, k22: k22, deficit: deficit,
                                kinv: [[k22 / det, -k12 / det], [-k12 / det, k11 / det]])
                let th = theta
                // The vertices w, u, v of the doc comment as sums of products of σ^(d)(z_a).
                func w(_ a: Int, _ b: Int) -> [Term] { [(lw, [(1, a), (0, b)]), (cw * th[a][b], [(2, a), (1, b)])] }
                func uu(_ a: Int, _ b: Int) -> [Term] { [(lw, [(2, a), (0, b)]), (cw * th[a][b], [(3, a), (1, b)])] }
                func vv(_ a: Int, _ b: Int) -> [Term] { [(lw, [(1, a), (1, b)]), (cw * th[a][b], [(2, a), (2, b)])] }
                func one(_ f: [Factor]) -> [Term] { [(1, f)] }
                let g = (0..<2).map { a in (0..<2).map { b in m.mean(one([(1, a), (1, b)])) } }
                let ss = (0..<2).map { a in (0..<2).map { b in m.mean(one([(0, a), (0, b)])) } }
                let dsd = (0..<2).map { a in (0..<2).map { b in m.stein(one([(1, a), (0, b)])) } }   // ⟨∂(σ′_aσ_b)⟩
                let dw = (0..<2).map { a in (0..<2).map { b in m.stein(w(a, b)) } }                // ⟨∂w_ab⟩
                var (piN, oN, pN, qN, rN, sN, tN, uN) = (zero, zero, zero, zero, zero, zero, zero, zero)
                for a in 0..<2 { for b in 0..<2 { for c in 0..<2 { for d in 0..<2 {
                    let i = index(a, b, c, d)
                    let piLocal = m.mean(one([(0, c), (1, a), (1, b), (0, d)])) * th[a][b]
                    piN[i] = cw * cw * (piLocal + ratio * bilinear(dsd[a][c], pi, a, b, dsd[b][d]))
                    let oLocal = m.mean(one([(1, a), (1, b), (1, c), (1, d)])) * th[a][b] * th[c][d]
                    oN[i] = cw * cw * (oLocal + ratio * g[a][c] * g[b][d] * o[i])
                    // (a, b, c, d) = (δ₀, δ₁, δ₂, δ₃) for P, Q, R.
                    let pLocal = m.mean(one([(2, a), (0, d), (1, b), (1, c)])) * th[a][b] * th[a][c]
                    let pFromO = m.mean(one([(2, a), (0, d)])) * g[b][c] * o[index(a, b, a, c)]
                    pN[i] = cw * cw * (pLocal + ratio * pFromO + ratio * g[b][c] * linear(p, a, b, c, dsd[a][d]))
                    let qLocal = m.mean(product(w(a, b), one([(1, c), (0, d)]))) * th[a][c]
                    let qFromPi = bilinear(dw[a][b], pi, a, c, dsd[c][d])
                    qN[i] = cw * (qLocal + ratio * qFromPi) + ratio * cw * cw * g[a][b] * linear(q, a, b, c, dsd[c][d])
                    let rLocal = m.mean(product(uu(a, b), one([(1, c), (1, d)]))) * th[a][c] * th[a][d]
                    let rFromO = m.mean(uu(a, b)) * g[c][d] * o[index(a, c, a, d)]
                    let rFromP = g[c][d] * linear(p, a, c, d, dw[a][b])
                    rN[i] = cw * (rLocal + ratio * rFromO + ratio * rFromP) + ratio * cw * cw * g[a][b] * g[c][d] * r[i]
                    // (a, b, c, d) = (δ₁, δ₂, δ₃, δ₄) for S, T, U.
                    let sLocal = m.mean(product(vv(a, b), one([(1, c), (1, d)]))) * th[a][c] * th[b][d]
                    let sFromO = m.mean(vv(a, b)) * g[c][d] * o[index(a, c, b, d)]
                    sN[i] = cw * (sLocal + ratio * sFromO) + ratio * cw * cw * g[a][b] * g[c][d] * s[i]
                    let tLocal = th[a][b] * m.mean(product(w(a, c), w(b, d)))
                    let tFromPi = bilinear(dw[a][c], pi, a, b, dw[b][d])
                    let tFromQ = cw * (g[b][d] * linear(q, b, d, a, dw[a][c]) + g[a][c] * linear(q, a, c, b, dw[b][d]))
                    tN[i] = tLocal + ratio * (tFromPi + tFromQ) + ratio * cw * cw * g[a][c] * g[b][d] * t[i]
                    let uLocal = m.mean(one([(2, a), (2, b), (1, c), (1, d)])) * th[a][b] * th[a][c] * th[b][d]
                    uN[i] = cw * cw * (uLocal + ratio * g[a][d] * g[b][c] * u[i])
                } } } }
                (pi, o, p, q, r, s, t, u) = (piN, oN, pN, qN, rN, sN, tN, uN)
                theta = (0..<2).map { a in (0..<2).map { b in lb + lw * ss[a][b] + cw * g[a][b] * th[a][b] } }
                k = ss.map { $0.map { cb + cw * $0 } }
            }
        }
        return Result(p: nested(p), q: nested(q), r: nested(r), s: nested(s), t: nested(t), u: nested(u), ntk: theta, kernel: k)
    }

    /// A factor σ^(d)(z_a) as (d, a); a term (c, [factors]) is c times the product of its factors.
    typealias Factor = (Int, Int)
    typealias Term = (Double, [Factor])

    /// Flat index of (a, b, c, d) ∈ {0, 1}⁴.
    static func index(_ a: Int, _ b: Int, _ c: Int, _ d: Int) -> Int { 8 * a + 4 * b + 2 * c + d }

    /// Σ_γδ x_γ X_{abγδ} y_δ.
    static func bilinear(_ x: [Double], _ tensor: [Double], _ a: Int, _ b: Int, _ y: [Double]) -> Double {
        var acc = 0.0
        for c in 0..<2 { for d in 0..<2 { acc += x[c] * tensor[index(a, b, c, d)] * y[d] } }
        return acc
    }

    /// Σ_δ X_{abcδ} x_δ.
    static func linear(_ tensor: [Double], _ a: Int, _ b: Int, _ c: Int, _ x: [Double]) -> Double {
        tensor[index(a, b, c, 0)] * x[0] + tensor[index(a, b, c, 1)] * x[1]
    }

    /// The product of two sums of terms, expanded.
    static func product(_ x: [Term], _ y: [Term]) -> [Term] {
        var out: [Term] = []
        for s in x { for t in y { out.append((s.0 * t.0, s.1 + t.1)) } }
        return out
    }

    static func nested(_ flat: [Double]) -> Tensor {
        (0..<2).map { a in (0..<2).map { b in (0..<2).map { c in (0..<2).map { d in flat[index(a, b, c, d)] } } } }
    }

    /// Gaussian averages over (z₀, z₁) ~ N(0, K) of products of σ^(d)(z_a) (d ≤ 3), optionally times z_β,
    /// cached by the multiset of factors. One-input products use the 1-D rule.
    struct Moments {
        let act: Activation
        let k11: Double, k22: Double, deficit: Double
        let kinv: [[Double]]
        var cache: [[Int]: Double] = [:]

        /// ⟨Σ_t c_t Π_f σ^(f.0)(z_{f.1})⟩.
        mutating func mean(_ terms: [Term]) -> Double {
            var acc = 0.0
            for term in terms where term.0 != 0 { acc += term.0 * monomial(term.1, z: nil) }
            return acc
        }

        /// (⟨∂₀F⟩, ⟨∂₁F⟩) for F = Σ_t c_t Π_f σ^(f.0)(z_{f.1}) (factor orders ≤ 2). Smooth σ (no kinks): the
        /// product rule inside the average, well conditioned for nearly parallel inputs. With kinks: Stein's
        /// lemma K⁻¹(⟨z₀F⟩, ⟨z₁F⟩), which includes the jumps of σ′ (pathwise σ″ would miss them).
        mutating func stein(_ terms: [Term]) -> [Double] {
            if act.kinks.isEmpty {
                var d = [0.0, 0.0]
                for term in terms where term.0 != 0 {
                    for (k, f) in term.1.enumerated() {
                        var raised = term.1
                        raised[k] = (f.0 + 1, f.1)
                        d[f.1] += term.0 * monomial(raised, z: nil)
                    }
                }
                return d
            }
            var zf = [0.0, 0.0]
            for term in terms where term.0 != 0 {
                for b in 0..<2 { zf[b] += term.0 * monomial(term.1, z: b) }
            }
            return [kinv[0][0] * zf[0] + kinv[0][1] * zf[1], kinv[1][0] * zf[0] + kinv[1][1] * zf[1]]
        }

        mutating func monomial(_ factors: [Factor], z beta: Int?) -> Double {
            // key[5a + d] = number of σ^(d)(z_a) factors, key[5a + 4] = power of z_a.
            var key = [Int](repeating: 0, count: 10)
            for f in factors { key[5 * f.1 + f.0] += 1 }
            if let beta { key[5 * beta + 4] += 1 }
            if let hit = cache[key] { return hit }
            let value: Double
            if act.isScaleInvariant && factors.contains(where: { $0.0 >= 2 }) {
                value = 0   // pathwise σ″ = σ‴ = 0 for linear and the rectified family
            } else {
                let e0 = Array(key[0..<5]), e1 = Array(key[5..<10])
                let f = act.monomial(e0), g = act.monomial(e1)
                let only1 = e0.allSatisfy({ $0 == 0 }), only0 = e1.allSatisfy({ $0 == 0 })
                if only0 && only1 {
                    value = 1
                } else if only0 {
                    value = Gaussian.expectation(f, variance: k11, kinks: act.kinks, tolerance: 1e-12).value
                } else if only1 {
                    value = Gaussian.expectation(g, variance: k22, kinks: act.kinks, tolerance: 1e-12).value
                } else {
                    value = Gaussian.expectation(f, g, k11: k11, k22: k22, deficit: deficit,
                                                 kinksF: act.kinks, kinksG: act.kinks).value
                }
            }
            cache[key] = value
            return value
        }
    }
}
