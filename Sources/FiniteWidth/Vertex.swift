import Architecture
import Gaussian
import Linalg

/// The four-point vertex V^(ℓ)_{(δ₁δ₂)(δ₃δ₄)} for inputs drawn from at most two distinct inputs
/// (PDLT §4.3, the multi-input recursion), by the derivation:
/// conditional on layer ℓ, z^(ℓ+1) is Gaussian with the stochastic metric
/// Ĝ_{ab} = C_b + (C_W/n_ℓ) Σ_j σ_j(a)σ_j(b), and V^(ℓ+1)_{(ab)(cd)} = n_ℓ Cov(Ĝ_{ab}, Ĝ_{cd}):
///   V^(ℓ+1)_{(ab)(cd)} = C_W² (⟨σ_aσ_bσ_cσ_d⟩_K − ⟨σ_aσ_b⟩_K⟨σ_cσ_d⟩_K)
///                      + (n_ℓ/n_{ℓ−1}) Σ_{e≤f, g≤h} (∂K′_{ab}/∂K_{ef}) (∂K′_{cd}/∂K_{gh}) V^(ℓ)_{(ef)(gh)},
/// V^(1) = 0. The Jacobian uses Price's theorem ∂⟨σ_aσ_b⟩/∂K_{ab} = ⟨σ′σ′⟩ and the scaling identity
/// ∂⟨σ_aσ_b⟩/∂K_{aa} = (⟨u σ′(u) σ(v)⟩ − K_{ab}⟨σ′σ′⟩)/(2K_{aa}) (u σ′(u) = σ(u) for the rectified family).
/// The recursion closes on the quadruples of a set of inputs, so each pair of inputs is solved on
/// its own; entries with three or four distinct inputs would need 3- and 4-dimensional Gaussian
/// integrals and are left as NaN.
public enum Vertex {
    /// V^(L) (in units of 1/n_{L−1}) as an N⁴ tensor, `v[a][b][c][d]`.
    public static func outputVertex(spec: NetworkSpec, x: Matrix) throws -> [[[[Double]]]] {
        tensor(try pairs(spec: spec, x: x), inputs: x.rows)
    }

    /// `twoInput` for every pair a ≤ b of the inputs (the pair (a, a) is the single input a).
    public static func pairs(spec: NetworkSpec, x: Matrix) throws -> [[(vertex: [[Double]], metricCorrection: [Double])]] {
        // One recursion per pair, on all cores.
        let flat = try (0..<x.rows).flatMap { a in (a..<x.rows).map { [a, $0] } }.concurrentMap { ab in
            try twoInput(spec: spec, x: try Matrix([x.row(ab[0]), x.row(ab[1])]))
        }
        var k = 0
        return (0..<x.rows).map { a in (a..<x.rows).map { _ in defer { k += 1 }; return flat[k] } }
    }

    /// The N⁴ vertex tensor from the per-pair results of `pairs` (NaN for quadruples of three or more
    /// distinct inputs).
    public static func tensor(_ pairs: [[(vertex: [[Double]], metricCorrection: [Double])]], inputs n: Int) -> [[[[Double]]]] {
        var v = [[[[Double]]]](repeating: [[[Double]]](repeating: [[Double]](repeating: [Double](repeating: .nan, count: n), count: n), count: n),
                               count: n)
        for a in 0..<n {
            for b in a..<n {
                let pairV = pairs[a][b - a].vertex  // pairs: 0 = (aa), 1 = (ab), 2 = (bb)
                let idx: [Int] = [a, b]
                func pairIndex(_ i: Int, _ j: Int) -> Int { i == j ? (i == 0 ? 0 : 2) : 1 }
                for i in 0..<2 { for j in 0..<2 { for k in 0..<2 { for l in 0..<2 {
                    if a == b && (i != 0 || j != 0 || k != 0 || l != 0) { continue }
                    v[idx[i]][idx[j]][idx[k]][idx[l]] = pairV[pairIndex(i, j)][pairIndex(k, l)]
                } } } }
            }
        }
        return v
    }

    /// The 3 × 3 vertex over the pairs (11), (12), (22) of two inputs (rows of `x`), at the output layer.
    public static func twoInputVertex(spec: NetworkSpec, x: Matrix) throws -> [[Double]] {
        try twoInput(spec: spec, x: x).vertex
    }

    /// The vertex and the metric correction K¹ over the pairs (11), (12), (22) of two inputs, at the
    /// output layer (both in units of 1/n_{L−1}). K¹ follows from E[F(Ĝ)] = F(G) + ∇F·K¹/n + ½ Σ ∂²F V/n:
    ///   K¹′_p = (n_ℓ/n_{ℓ−1}) [Σ_e J_pe K¹_e + (C_W/2) Σ_{e,g} ∂²F_p/∂K_e∂K_g V_eg],
    /// with the Hessian from central differences of the closed-form Jacobian.
    public static func twoInput(spec: NetworkSpec, x: Matrix) throws -> (vertex: [[Double]], metricCorrection: [Double]) {
        precondition(x.rows == 2)
        let act = spec.activation
        let n0 = Double(x.cols)
        func dot(_ i: Int, _ j: Int) -> Double { (0..<x.cols).reduce(0) { $0 + x[i, $1] * x[j, $1] } / n0 }
        // K^(1) over the pairs.
        var k = [spec.cb[0] + spec.cw[0] * dot(0, 0), spec.cb[0] + spec.cw[0] * dot(0, 1), spec.cb[0] + spec.cw[0] * dot(1, 1)]
        var v = [[Double]](repeating: [0, 0, 0], count: 3)
        var k1 = [0.0, 0.0, 0.0]
        guard spec.depth >= 2 else { return (v, k1) }
        for l in 1..<spec.depth {
            let cb = spec.cb[l], cw = spec.cw[l]
            let ratio = l == 1 ? 0 : Double(spec.width(ofLayer: l)) / Double(spec.width(ofLayer: l - 1))
            let (k11, k12, k22) = (k[0], k[1], k[2])
            let s = (k11 * k22).squareRoot()
            let pm = act.pairMoments(k11: k11, k22: k22, deficit: s - k12)
            let f = [act.singleMoments(k11).sigma2, pm.sigmaSigma, act.singleMoments(k22).sigma2]
            // ⟨σ_1^m σ_2^(4−m)⟩, m = 0 … 4.
            func power(_ p: Int) -> (Double) -> Double { { t in let y = act.value(t); var r = 1.0; for _ in 0..<p { r *= y }; return r } }
            var four = [Double](repeating: 0, count: 5)
            four[4] = Gaussian.expectation(power(4), variance: k11, kinks: act.kinks).value
            four[0] = Gaussian.expectation(power(4), variance: k22, kinks: act.kinks).value
            for m in 1...3 {
                four[m] = Gaussian.expectation(power(m), power(4 - m), k11: k11, k22: k22, deficit: max(s - k12, 0),
                                               kinksF: act.kinks, kinksG: act.kinks).value
            }
            // Pair p = (a, b) as counts of input 1: (11) → 2, (12) → 1, (22) → 0.
            let ones = [2, 1, 0]
            // Jacobian J[p][q] = ∂K′_p/∂K_q over (11), (12), (22).
            let d11 = cw * diagonalDerivative(act, k11), d22 = cw * diagonalDerivative(act, k22)
            let (c11, c22) = offDiagonalDerivatives(act, k11: k11, k22: k22, k12: k12, pm: pm)
            let j: [[Double]] = [[d11, 0, 0], [cw * c11, cw * pm.derivDeriv, cw * c22], [0, 0, d22]]
            var vNew = [[Double]](repeating: [0, 0, 0], count: 3)
            for p in 0..<3 { for q in 0..<3 {
                var term = cw * cw * (four[ones[p] + ones[q]] - f[p] * f[q])
                if ratio > 0 {
                    var acc = 0.0
                    for e in 0..<3 { for g in 0..<3 { acc += j[p][e] * j[q][g] * v[e][g] } }
                    term += ratio * acc
                }
                vNew[p][q] = term
            } }
            if ratio > 0 {
                let hess = hessian(act, k11: k11, k12: k12, k22: k22)
                var k1New = [0.0, 0.0, 0.0]
                for p in 0..<3 {
                    var acc = 0.0
                    for e in 0..<3 { acc += j[p][e] * k1[e] }
                    var second = 0.0
                    for e in 0..<3 { for g in 0..<3 { second += hess[p][e][g] * v[e][g] } }
                    k1New[p] = ratio * (acc + 0.5 * cw * second)
                }
                k1 = k1New
            }
            v = vNew
            k = [cb + cw * f[0], cb + cw * f[1], cb + cw * f[2]]
        }
        return (v, k1)
    }

    /// ∇F over (K₁₁, K₁₂, K₂₂) for F = (⟨σ₁²⟩, ⟨σ₁σ₂⟩, ⟨σ₂²⟩).
    static func gradient(_ act: Activation, k11: Double, k12: Double, k22: Double) -> [[Double]] {
        let s = (k11 * k22).squareRoot()
        let pm = act.pairMoments(k11: k11, k22: k22, deficit: max(s - k12, 0))
        let (c11, c22) = offDiagonalDerivatives(act, k11: k11, k22: k22, k12: k12, pm: pm)
        return [[diagonalDerivative(act, k11), 0, 0], [c11, pm.derivDeriv, c22], [0, 0, diagonalDerivative(act, k22)]]
    }

    /// ∂²F_p/∂K_e∂K_g by Richardson-extrapolated central differences of the gradient.
    static func hessian(_ act: Activation, k11: Double, k12: Double, k22: Double) -> [[[Double]]] {
        var h = [[[Double]]](repeating: [[Double]](repeating: [0, 0, 0], count: 3), count: 3)
        let base = [k11, k12, k22]
        let scale = (k11 * k22).squareRoot()
        for g in 0..<3 {
            func grad(_ step: Double) -> [[Double]] {
                var kk = base
                kk[g] += step
                return gradient(act, k11: kk[0], k12: kk[1], k22: kk[2])
            }
            let d = 2e-3 * scale
            let (p1, m1, p2, m2) = (grad(d), grad(-d), grad(d / 2), grad(-d / 2))
            for p in 0..<3 { for e in 0..<3 {
                let c1 = (p1[p][e] - m1[p][e]) / (2 * d), c2 = (p2[p][e] - m2[p][e]) / d
                h[p][e][g] = (4 * c2 - c1) / 3
            } }
        }
        // Symmetrize in (e, g): the two orders are the same derivative.
        for p in 0..<3 { for e in 0..<3 { for g in (e + 1)..<3 {
            let avg = 0.5 * (h[p][e][g] + h[p][g][e])
            h[p][e][g] = avg; h[p][g][e] = avg
        } } }
        return h
    }

    /// d⟨σ²⟩_K/dK = ⟨u σ′(u) σ(u)⟩_K / K.
    static func diagonalDerivative(_ act: Activation, _ k: Double) -> Double {
        if act.isScaleInvariant { return act.singleMoments(k).sigma2 / k }
        return Gaussian.expectation({ $0 * act.derivative($0) * act.value($0) }, variance: k, kinks: act.kinks).value / k
    }

    /// (∂⟨σ_1σ_2⟩/∂K₁₁, ∂⟨σ_1σ_2⟩/∂K₂₂) at fixed K₁₂.
    static func offDiagonalDerivatives(_ act: Activation, k11: Double, k22: Double, k12: Double, pm: PairMoments) -> (Double, Double) {
        let s = (k11 * k22).squareRoot()
        let (m1, m2): (Double, Double)
        if act.isScaleInvariant {
            (m1, m2) = (pm.sigmaSigma, pm.sigmaSigma)
        } else {
            m1 = Gaussian.expectation({ $0 * act.derivative($0) }, { act.value($0) }, k11: k11, k22: k22, deficit: max(s - k12, 0),
                                      kinksF: act.kinks, kinksG: act.kinks).value
            m2 = Gaussian.expectation({ act.value($0) }, { $0 * act.derivative($0) }, k11: k11, k22: k22, deficit: max(s - k12, 0),
                                      kinksF: act.kinks, kinksG: act.kinks).value
        }
        return ((m1 - k12 * pm.derivDeriv) / (2 * k11), (m2 - k12 * pm.derivDeriv) / (2 * k22))
    }
}

extension Vertex {
    /// The output-layer vertex V^(L)_{(ab)(cd)} (units of 1/n_{L−1}) for N ≤ 4 inputs, every
    /// quadruple including three and four distinct inputs: the recursion of `twoInput` over all pairs,
    ///   V′_{pq} = C_W² (⟨σ_aσ_bσ_cσ_d⟩ − ⟨σ_aσ_b⟩⟨σ_cσ_d⟩) + (n_ℓ/n_{ℓ−1}) Σ_{e,g} J_pe J_qg V_eg,
    /// J_{(ab),·} non-zero only on (aa), (ab), (bb) (PDLT §4.3). Four-point functions with at most two
    /// distinct inputs use the adaptive two-dimensional rule; three and four distinct inputs use
    /// `Gaussian.productExpectation`.
    public static func fullTensor(spec: NetworkSpec, x: Matrix) throws -> [[[[Double]]]] {
        let n = x.rows
        precondition(n >= 1 && n <= 4, "the full vertex is for at most four inputs")
        let act = spec.activation
        let pairs = (0..<n).flatMap { a in (a..<n).map { (a, $0) } }
        func index(_ a: Int, _ b: Int) -> Int { pairs.firstIndex { $0 == (min(a, b), max(a, b)) }! }
        let n0 = Double(x.cols)
        var k = pairs.map { (a, b) in spec.cb[0] + spec.cw[0] * (0..<x.cols).reduce(0) { $0 + x[a, $1] * x[b, $1] } / n0 }
        var v = [[Double]](repeating: [Double](repeating: 0, count: pairs.count), count: pairs.count)
        func power(_ p: Int) -> (Double) -> Double { { t in let y = act.value(t); var r = 1.0; for _ in 0..<p { r *= y }; return r } }
        if spec.depth >= 2 {
            for l in 1..<spec.depth {
                let cb = spec.cb[l], cw = spec.cw[l]
                let ratio = l == 1 ? 0 : Double(spec.width(ofLayer: l)) / Double(spec.width(ofLayer: l - 1))
                func kernel(_ a: Int, _ b: Int) -> Double { k[index(a, b)] }
                // ⟨σ_aσ_b⟩ and the Jacobian rows.
                var f = [Double](repeating: 0, count: pairs.count)
                var jac = [[(Int, Double)]](repeating: [], count: pairs.count)
                for (p, (a, b)) in pairs.enumerated() {
                    if a == b {
                        f[p] = act.singleMoments(kernel(a, a)).sigma2
                        jac[p] = [(p, cw * diagonalDerivative(act, kernel(a, a)))]
                    } else {
                        let (k11, k12, k22) = (kernel(a, a), kernel(a, b), kernel(b, b))
                        let pm = act.pairMoments(k11: k11, k22: k22, deficit: (k11 * k22).squareRoot() - k12)
                        f[p] = pm.sigmaSigma
                        let (c11, c22) = offDiagonalDerivatives(act, k11: k11, k22: k22, k12: k12, pm: pm)
                        jac[p] = [(index(a, a), cw * c11), (p, cw * pm.derivDeriv), (index(b, b), cw * c22)]
                    }
                }
                // Four-point functions by multiset of inputs.
                var cache: [[Int]: Double] = [:]
                func fourPoint(_ idx: [Int]) -> Double {
                    var counts: [Int: Int] = [:]
                    for i in idx { counts[i, default: 0] += 1 }
                    let distinct = counts.keys.sorted()
                    let key = distinct.flatMap { [$0, counts[$0]!] }
                    if let c = cache[key] { return c }
                    let value: Double
                    switch distinct.count {
                    case 1:
                        value = Gaussian.expectation(power(4), variance: kernel(distinct[0], distinct[0]), kinks: act.kinks).value
                    case 2:
                        let (a, b) = (distinct[0], distinct[1])
                        let (k11, k12, k22) = (kernel(a, a), kernel(a, b), kernel(b, b))
                        value = Gaussian.expectation(power(counts[a]!), power(counts[b]!), k11: k11, k22: k22,
                                                     deficit: max((k11 * k22).squareRoot() - k12, 0),
                                                     kinksF: act.kinks, kinksG: act.kinks).value
                    default:
                        value = Gaussian.productExpectation(distinct.map { power(counts[$0]!) },
                                                            covariance: distinct.map { a in distinct.map { kernel(a, $0) } },
                                                            kinks: distinct.map { _ in act.kinks })
                    }
                    cache[key] = value
                    return value
                }
                var vNew = v
                for (p, (a, b)) in pairs.enumerated() {
                    for (q, (c, d)) in pairs.enumerated() where q >= p {
                        var term = cw * cw * (fourPoint([a, b, c, d]) - f[p] * f[q])
                        if ratio > 0 {
                            var acc = 0.0
                            for (e, je) in jac[p] { for (g, jg) in jac[q] { acc += je * jg * v[e][g] } }
                            term += ratio * acc
                        }
                        vNew[p][q] = term
                        vNew[q][p] = term
                    }
                }
                v = vNew
                k = (0..<pairs.count).map { cb + cw * f[$0] }
            }
        }
        return (0..<n).map { a in (0..<n).map { b in (0..<n).map { c in (0..<n).map { d in v[index(a, b)][index(c, d)] } } } }
    }
}
