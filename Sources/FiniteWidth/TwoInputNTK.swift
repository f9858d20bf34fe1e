import Architecture
import Gaussian
import Linalg

/// The NTK mean of two inputs at order 1/n, off-diagonal entry included (PDLT ch. 8, §8.3: the
/// NTK mean, with the NTK–preactivation cross-correlations of §8.3.3; section-level citation),
/// derived in docs/derivations/ntk-two-inputs.md the same way as `DiagonalNTKFiniteWidth`: condition
/// on layer ℓ − 1, where the weights w of a neuron of layer ℓ are Gaussian, and use Stein's lemma.
///
/// Pairs e, p ∈ {(11), (12), (22)}; K, V, K¹ as in `Vertex.twoInput`; Θ = Θ₁₂, ĥ = E[Ĥ_kk;12 | ℓ−1];
/// F_e = n Cov(Ĝ_e, ĥ) (the NTK–metric cross-covariance, PDLT's D plays this role); 𝒫 (2 × 2) the
/// Stein term n E[c² s_γᵀ M s_δ] with c = C_W/n, s_γ = σ(z^(ℓ−1)(x_γ)), M_jm = σ′_j(1) Ĥ_jm;12 σ′_m(2)
/// (PDLT's F plays this role). With J_pe = C_W ∂⟨σσ⟩_p/∂K_e, a_e = λ_W ∂⟨σσ⟩₁₂/∂K_e + C_W Θ ∂⟨σ′σ′⟩₁₂/∂K_e,
/// 𝒟f = ∇f·K¹ + ½ Σ_eg ∂_e∂_g f V_eg and r = n_ℓ/n_{ℓ−1}, layer ℓ → ℓ + 1 is (units of 1/n_{ℓ−1}):
///   (T1) Θ′ = λ_b + λ_W ⟨σσ⟩₁₂ + C_W ⟨σ′σ′⟩₁₂ Θ
///   (T5) F′_e = C_W [λ_W Cov(σσ_e, σσ₁₂) + C_W Θ Cov(σσ_e, σ′σ′₁₂)] + r Σ_f J_ef (Σ_g a_g V_fg + C_W⟨σ′σ′⟩ F_f)
///   (T7) 𝒫^(ℓ)_γδ = C_W² [⟨σ_γ σ′₁ σ′₂ σ_δ⟩_{K^(ℓ−1)} Θ^(ℓ−1) + (n_{ℓ−1}/n_{ℓ−2}) q^(ℓ−1)_γδ]
///   (T8) q^(ℓ) = ⟨∂A⟩ 𝒫^(ℓ) ⟨∂B⟩ᵀ, A_γ = σ(z_γ)σ′(z₁), B_δ = σ′(z₂)σ(z_δ), ⟨∂_α A_γ⟩ at K^(ℓ):
///        ⟨∂A⟩ = [[⟨(σσ′)′⟩₁₁, 0], [⟨σ″₁σ₂⟩, ⟨σ′σ′⟩]], ⟨∂B⟩ = [[⟨σ′σ′⟩, ⟨σ₁σ″₂⟩], [0, ⟨(σσ′)′⟩₂₂]],
///        ⟨σ″₁σ₂⟩ = 2∂⟨σσ⟩₁₂/∂K₁₁ (heat equation), so all four are entries of `Vertex.gradient`
///   (T9) Θ¹′ = r { λ_W 𝒟⟨σσ⟩₁₂ + C_W [Θ¹⟨σ′σ′⟩ + Θ 𝒟⟨σ′σ′⟩ + Σ_e ∂_e⟨σ′σ′⟩ F_e
///                + 2𝒫₁₁ ∂₁₁⟨σ′σ′⟩ + (𝒫₁₂ + 𝒫₂₁) ∂₁₂⟨σ′σ′⟩ + 2𝒫₂₂ ∂₂₂⟨σ′σ′⟩] }
/// with V, K¹ by the recursions of `Vertex.twoInput` ((T2), (T3)). Layer 1 is deterministic (F = 𝒫 = Θ¹ = 0,
/// r = 0 at ℓ = 1). On a diagonal pair the same recursion is `DiagonalNTKFiniteWidth`'s (checked to ≲1e-7
/// by bench/nt/check_ntk_two_inputs.py, which also checks Θ¹₁₂ against Monte Carlo).
/// Gradients are analytic: ∂⟨σ′σ′⟩/∂K₁₂ = ⟨σ″σ″⟩ (Price), ∂⟨σ′σ′⟩/∂K₁₁ = (⟨uσ″(u)σ′(v)⟩ − K₁₂⟨σ″σ″⟩)/(2K₁₁);
/// for the rectified family σ″ = (a₊ − a₋)δ gives ⟨σ″σ″⟩ = (a₊ − a₋)²/(2π√det K) and uσ″(u) = 0.
/// Hessians are central differences of the gradients with steps ∝ min(1, 1 − cos, 1 + cos), so nearly
/// parallel pairs stay valid covariances. Smooth σ or the rectified family (σ′ with jumps but no σ″ deltas
/// elsewhere is not handled: elu with α ≠ 1 or custom kinks).
public enum TwoInputNTK {
    /// Θ^(L) and Θ¹(L) (units of 1/n_{L−1}) over the pairs (11), (12), (22) of the two rows of `x`.
    /// The diagonal entries are `DiagonalNTKFiniteWidth`'s; identical rows give the diagonal everywhere.
    public static func compute(spec: NetworkSpec, x: Matrix) throws -> (ntk: [Double], ntkCorrection: [Double]) {
        precondition(x.rows == 2, "TwoInputNTK needs exactly two inputs (rows of x)")
        let spec = spec.with(inputDimension: x.cols)
        let n0 = Double(x.cols)
        func dot(_ i: Int, _ j: Int) -> Double { (0..<x.cols).reduce(0) { $0 + x[i, $1] * x[j, $1] } / n0 }
        let d1 = DiagonalNTKFiniteWidth.compute(spec: spec, q0: dot(0, 0))
        let d2 = DiagonalNTKFiniteWidth.compute(spec: spec, q0: dot(1, 1))
        let (t1, t2) = ((d1.ntk.last ?? 0, d1.ntkCorrection.last ?? 0), (d2.ntk.last ?? 0, d2.ntkCorrection.last ?? 0))
        let mid: (Double, Double)
        if (0..<x.cols).allSatisfy({ x[0, $0] == x[1, $0] }) {
            mid = t1
        } else {
            mid = try offDiagonal(spec: spec, g11: dot(0, 0), g12: dot(0, 1), g22: dot(1, 1))
        }
        return ([t1.0, mid.0, t2.0], [t1.1, mid.1, t2.1])
    }

    /// (Θ^(L)₁₂, Θ¹(L)₁₂) for inputs with x_a·x_b/n₀ = g_ab, by (T1)–(T9).
    static func offDiagonal(spec: NetworkSpec, g11: Double, g12: Double, g22: Double) throws -> (Double, Double) {
        let act = spec.activation
        var k = [g11, g12, g22].map { spec.cb[0] + spec.cw[0] * $0 }
        var theta = spec.lambdaB[0] + spec.effectiveLambdaW(layer: 1) * g12
        var v = [[Double]](repeating: [0, 0, 0], count: 3)
        var k1 = [0.0, 0.0, 0.0], fc = [0.0, 0.0, 0.0], th1 = 0.0
        var p: [[Double]] = [[0, 0], [0, 0]], q: [[Double]] = [[0, 0], [0, 0]]
        var prev: (theta: Double, m: [[Double]])? = nil   // Θ and ⟨σ_γσ′₁σ′₂σ_δ⟩ of layer ℓ − 1
        let ones = [2, 1, 0]                               // pair → number of factors of input 1
        guard spec.depth >= 2 else { return (theta, 0) }
        for l in 1..<spec.depth {
            let cb = spec.cb[l], cw = spec.cw[l], lb = spec.lambdaB[l], lw = spec.effectiveLambdaW(layer: l + 1)
            let r = l == 1 ? 0 : Double(spec.width(ofLayer: l)) / Double(spec.width(ofLayer: l - 1))
            let (k11, k12, k22) = (k[0], k[1], k[2])
            let s = (k11 * k22).squareRoot(), deficit = s - k12
            guard s > 0, min(deficit, 2 * s - deficit) > 1e-10 * s else { throw TwoInputNTKError.degeneratePair(layer: l) }
            let (grad, gdd) = gradients(act, k11: k11, k12: k12, k22: k22)
            let (hss, hdd) = hessians(act, k11: k11, k12: k12, k22: k22)
            let pm = act.pairMoments(k11: k11, k22: k22, deficit: deficit)
            let ss = [act.singleMoments(k11).sigma2, pm.sigmaSigma, act.singleMoments(k22).sigma2], dd = pm.derivDeriv
            // (T7), (T8): 𝒫 and q at this layer.
            if let prev {
                let cwl = spec.cw[l - 1]
                let rPrev = l == 2 ? 0 : Double(spec.width(ofLayer: l - 1)) / Double(spec.width(ofLayer: l - 2))
                for a in 0..<2 { for b in 0..<2 { p[a][b] = cwl * cwl * (prev.m[a][b] * prev.theta + rPrev * q[a][b]) } }
                let dA: [[Double]] = [[grad[0][0], 0], [2 * grad[1][0], grad[1][1]]]
                let dB: [[Double]] = [[grad[1][1], 2 * grad[1][2]], [0, grad[2][2]]]
                for g in 0..<2 { for d in 0..<2 {
                    var acc = 0.0
                    for a in 0..<2 { for b in 0..<2 { acc += dA[g][a] * p[a][b] * dB[d][b] } }
                    q[g][d] = acc
                } }
            }
            // Gaussian moments at K^(ℓ): ⟨σ₁^m σ₂^(4−m)⟩ and M_γδ = ⟨σ_γ σ′₁ σ′₂ σ_δ⟩.
            func pair(_ f: @escaping (Double) -> Double, _ g: @escaping (Double) -> Double) -> Double {
                Gaussian.expectation(f, g, k11: k11, k22: k22, deficit: deficit, kinksF: act.kinks, kinksG: act.kinks).value
            }
            func power(_ n: Int) -> (Double) -> Double { { t in let y = act.value(t); var prod = 1.0; for _ in 0..<n { prod *= y }; return prod } }
            var four = [Double](repeating: 0, count: 5)
            four[4] = Gaussian.expectation(power(4), variance: k11, kinks: act.kinks).value
            four[0] = Gaussian.expectation(power(4), variance: k22, kinks: act.kinks).value
            for m in 1...3 { four[m] = pair(power(m), power(4 - m)) }
            let s2d: (Double) -> Double = { t in let y = act.value(t); return y * y * act.derivative(t) }
            let sd: (Double) -> Double = { t in act.value(t) * act.derivative(t) }
            let dv: (Double) -> Double = { t in act.derivative(t) }
            let m11 = pair(s2d, dv), m12 = pair(sd, sd), m22 = pair(dv, s2d)
            let mixed = [m11, m12, m22]
            // (T2) V, (T3) K¹, (T5) F.
            let j = grad.map { row in row.map { cw * $0 } }
            let av = (0..<3).map { lw * grad[1][$0] + cw * theta * gdd[$0] }
            var vNew = [[Double]](repeating: [0, 0, 0], count: 3)
            var k1New = [0.0, 0.0, 0.0], fNew = [0.0, 0.0, 0.0]
            for a in 0..<3 {
                var jk1 = 0.0, second = 0.0, fAcc = 0.0
                for e in 0..<3 {
                    jk1 += j[a][e] * k1[e]
                    var va = 0.0
                    for g in 0..<3 {
                        second += hss[a][e][g] * v[e][g]
                        va += av[g] * v[e][g]
                    }
                    fAcc += j[a][e] * (va + cw * dd * fc[e])
                }
                for b in 0..<3 {
                    var jvj = 0.0
                    for e in 0..<3 { for g in 0..<3 { jvj += j[a][e] * j[b][g] * v[e][g] } }
                    vNew[a][b] = cw * cw * (four[ones[a] + ones[b]] - ss[a] * ss[b]) + r * jvj
                }
                k1New[a] = r * (jk1 + 0.5 * cw * second)
                let cov = lw * (four[ones[a] + 1] - ss[a] * ss[1]) + cw * theta * (mixed[a] - ss[a] * dd)
                fNew[a] = cw * cov + r * fAcc
            }
            // (T9) Θ¹.
            var dSS = 0.0, dDD = 0.0, fTerm = 0.0
            for e in 0..<3 {
                dSS += grad[1][e] * k1[e]
                dDD += gdd[e] * k1[e]
                fTerm += gdd[e] * fc[e]
                for g in 0..<3 {
                    dSS += 0.5 * hss[1][e][g] * v[e][g]
                    dDD += 0.5 * hdd[e][g] * v[e][g]
                }
            }
            let stein = 2 * p[0][0] * gdd[0] + (p[0][1] + p[1][0]) * gdd[1] + 2 * p[1][1] * gdd[2]
            let th1New = r * (lw * dSS + cw * (th1 * dd + theta * dDD + fTerm + stein))
            prev = (theta, [[m11, m12], [m12, m22]])
            theta = lb + lw * ss[1] + cw * dd * theta
            k = ss.map { cb + cw * $0 }
            (v, k1, fc, th1) = (vNew, k1New, fNew, th1New)
        }
        return (theta, th1)
    }

    /// (∂⟨σ_aσ_b⟩/∂K_e as `Vertex.gradient`, ∂⟨σ′₁σ′₂⟩/∂K_e) over e = (11), (12), (22).
    static func gradients(_ act: Activation, k11: Double, k12: Double, k22: Double) -> (sigma: [[Double]], deriv: [Double]) {
        let sigma = Vertex.gradient(act, k11: k11, k12: k12, k22: k22)
        let s = (k11 * k22).squareRoot(), d = min(max(s - k12, 0), 2 * s)
        let g12: Double, e1: Double, e2: Double
        if let slopes = act.slopes {
            // ⟨σ′σ′⟩ = [(a₊² + a₋²)(π − θ) + 2a₊a₋θ]/(2π), dθ/dK₁₂ = −1/√(K₁₁K₂₂ − K₁₂²); uσ″(u) = 0.
            let jump = slopes.positive - slopes.negative
            g12 = jump * jump / (2 * Double.pi * (d * (2 * s - d)).squareRoot())
            e1 = 0
            e2 = 0
        } else {
            func pair(_ f: @escaping (Double) -> Double, _ g: @escaping (Double) -> Double) -> Double {
                Gaussian.expectation(f, g, k11: k11, k22: k22, deficit: d, kinksF: act.kinks, kinksG: act.kinks).value
            }
            g12 = pair({ act.secondDerivative($0) }, { act.secondDerivative($0) })
            e1 = pair({ $0 * act.secondDerivative($0) }, { act.derivative($0) })
            e2 = pair({ act.derivative($0) }, { $0 * act.secondDerivative($0) })
        }
        return (sigma, [(e1 - k12 * g12) / (2 * k11), g12, (e2 - k12 * g12) / (2 * k22)])
    }

    /// Second derivatives ∂²⟨σσ⟩_p/∂K_e∂K_g and ∂²⟨σ′₁σ′₂⟩/∂K_e∂K_g by central differences of `gradients`
    /// (steps h = 0.01 t·scale and h/2, Richardson; t = min(1, 1 − cos, 1 + cos)), symmetrized in (e, g).
    static func hessians(_ act: Activation, k11: Double, k12: Double, k22: Double) -> (sigma: [[[Double]]], deriv: [[Double]]) {
        let base = [k11, k12, k22]
        let s = (k11 * k22).squareRoot()
        let t = min(1, (s - k12) / s, (s + k12) / s)
        let steps = [k11, s, k22].map { 1e-2 * t * $0 }
        var hs = [[[Double]]](repeating: [[Double]](repeating: [0, 0, 0], count: 3), count: 3)
        var hd = [[Double]](repeating: [0, 0, 0], count: 3)
        for g in 0..<3 {
            func at(_ step: Double) -> (sigma: [[Double]], deriv: [Double]) {
                var kk = base
                kk[g] += step
                return gradients(act, k11: kk[0], k12: kk[1], k22: kk[2])
            }
            let h = steps[g]
            let (p1, m1, p2, m2) = (at(h), at(-h), at(h / 2), at(-h / 2))
            for e in 0..<3 {
                for pi in 0..<3 {
                    let c1 = (p1.sigma[pi][e] - m1.sigma[pi][e]) / (2 * h), c2 = (p2.sigma[pi][e] - m2.sigma[pi][e]) / h
                    hs[pi][e][g] = (4 * c2 - c1) / 3
                }
                let c1 = (p1.deriv[e] - m1.deriv[e]) / (2 * h), c2 = (p2.deriv[e] - m2.deriv[e]) / h
                hd[e][g] = (4 * c2 - c1) / 3
            }
        }
        for e in 0..<3 { for g in (e + 1)..<3 {
            for pi in 0..<3 {
                let avg = 0.5 * (hs[pi][e][g] + hs[pi][g][e])
                hs[pi][e][g] = avg; hs[pi][g][e] = avg
            }
            let avg = 0.5 * (hd[e][g] + hd[g][e])
            hd[e][g] = avg; hd[g][e] = avg
        } }
        return (hs, hd)
    }
}

/// A pair of inputs the two-input recursion cannot treat.
public enum TwoInputNTKError: Error, Equatable, CustomStringConvertible {
    /// K^(ℓ) is singular (parallel or antiparallel preactivations) at layer `layer` while the inputs differ.
    case degeneratePair(layer: Int)

    public var description: String {
        switch self {
        case .degeneratePair(let l):
            return "two-input NTK: the kernel of layer \(l) is singular (parallel inputs); use the diagonal result"
        }
    }
}
