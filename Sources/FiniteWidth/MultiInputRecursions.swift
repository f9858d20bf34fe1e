import Architecture
import Foundation
import Gaussian
import Linalg

// The layer-to-layer recursion of `MultiInputStatistics` (docs/derivations/multi-input.md §3–§4; PDLT ch. 8 §8.3,
// ch. 11 §11.2–11.3 and ch. ∞ §∞.1–∞.2, section-level citations) and its Gaussian averages. Mirrored line by line
// by bench/nt/check_multi_input.py (`theory_multi`, `MultiGauss`).

extension MultiInputStatistics {
    /// A factor σ^(order)(z_input) of a Gaussian average, order ≤ 3.
    struct Factor: Hashable, Sendable {
        var order: Int, input: Int
        init(_ order: Int, _ input: Int) { self.order = order; self.input = input }
    }

    /// c times a product of factors.
    struct Term { var c: Double, f: [Factor] }

    /// A monomial's factor multiset: the distinct inputs (ascending) and, per input, the exponents of σ, σ′, σ″, σ‴, z.
    struct MonomialKey: Hashable, Sendable {
        var inputs: [Int], exps: [Int]

        init(_ factors: [Factor], z: Int?) {
            var ins: [Int] = []
            for f in factors where !ins.contains(f.input) { ins.append(f.input) }
            if let z, !ins.contains(z) { ins.append(z) }
            ins.sort()
            var e = [Int](repeating: 0, count: 5 * ins.count)
            for f in factors { if let k = ins.firstIndex(of: f.input) { e[5 * k + min(f.order, 3)] += 1 } }
            if let z, let k = ins.firstIndex(of: z) { e[5 * k + 4] += 1 }
            inputs = ins
            exps = e
        }
    }

    /// ⟨∂_γ F⟩ on the inputs γ that F depends on.
    struct Sparse { var inputs: [Int] = [], values: [Double] = [] }

    /// Gaussian averages at one layer's kernel. Each layer's recursion runs twice: first `recording` (every average
    /// reads 0 and its key is collected), then with the averages evaluated in one batch per set of distinct inputs.
    final class LayerMoments {
        let act: Activation, k: [[Double]]
        var recording = true
        var requested: Set<MonomialKey> = []
        var values: [MonomialKey: Double] = [:]

        init(act: Activation, k: [[Double]]) { self.act = act; self.k = k }

        func monomial(_ factors: [Factor], z: Int? = nil) -> Double {
            if act.isScaleInvariant && factors.contains(where: { $0.order >= 2 }) { return 0 }  // pathwise σ″ = σ‴ = 0
            let key = MonomialKey(factors, z: z)
            if recording { requested.insert(key); return 0 }
            return values[key] ?? .nan
        }

        func mean(_ terms: [Term]) -> Double {
            var acc = 0.0
            for t in terms where t.c != 0 { acc += t.c * monomial(t.f) }
            return acc
        }

        /// Stein derivative. Without kinks ⟨∂F/∂z_γ⟩ by the product rule (well conditioned as inputs merge); with kinks
        /// K_S⁻¹⟨z_S F⟩ over the inputs S of F (|S| ≤ 2 here), which includes the jumps of σ′ (as `TwoInputDifferentialNTK`).
        func stein(_ terms: [Term]) -> Sparse {
            var out = Sparse()
            func add(_ a: Int, _ v: Double) {
                if let i = out.inputs.firstIndex(of: a) { out.values[i] += v } else { out.inputs.append(a); out.values.append(v) }
            }
            if act.kinks.isEmpty {
                for t in terms where t.c != 0 {
                    for (j, f) in t.f.enumerated() {
                        var raised = t.f
                        raised[j] = Factor(f.order + 1, f.input)
                        add(f.input, t.c * monomial(raised))
                    }
                }
                return out
            }
            var s: [Int] = []
            for t in terms where t.c != 0 { for f in t.f where !s.contains(f.input) { s.append(f.input) } }
            s.sort()
            let zf = s.map { b in terms.reduce(0.0) { $1.c == 0 ? $0 : $0 + $1.c * monomial($1.f, z: b) } }
            if s.count == 1 {
                add(s[0], zf[0] / k[s[0]][s[0]])
            } else if s.count == 2 {
                let (a, b) = (s[0], s[1])
                let sq = (k[a][a] * k[b][b]).squareRoot(), deficit = sq - k[a][b]
                let det = deficit * (2 * sq - deficit)
                add(a, (k[b][b] * zf[0] - k[a][b] * zf[1]) / det)
                add(b, (k[a][a] * zf[1] - k[a][b] * zf[0]) / det)
            } else if !s.isEmpty {
                // Not reached by the recursion (every Stein argument depends on at most two inputs).
                let sub = s.map { i in s.map { k[i][$0] } }
                for (i, v) in zip(s, solve(sub, zf)) { add(i, v) }
            }
            return out
        }

        /// Gaussian elimination with partial pivoting (small systems).
        func solve(_ a: [[Double]], _ y: [Double]) -> [Double] {
            var m = a, r = y
            let n = r.count
            for c in 0..<n {
                let p = (c..<n).max { abs(m[$0][c]) < abs(m[$1][c]) } ?? c
                m.swapAt(c, p); r.swapAt(c, p)
                for i in (c + 1)..<n {
                    let f = m[i][c] / m[c][c]
                    for j in c..<n { m[i][j] -= f * m[c][j] }
                    r[i] -= f * r[c]
                }
            }
            var x = [Double](repeating: 0, count: n)
            for i in stride(from: n - 1, through: 0, by: -1) {
                var s = r[i]
                for j in (i + 1)..<n { s -= m[i][j] * x[j] }
                x[i] = s / m[i][i]
            }
            return x
        }
    }

    /// The state of the recursion at one layer over M distinct inputs: K, Θ (M × M, infinite width), the M⁴ tensors
    /// (flat, index ((a·M + b)·M + c)·M + d) and V, F, B over the pairs a ≤ b (in units of 1/n_{ℓ−1}).
    struct State: Sendable {
        var m: Int
        var k: [[Double]], theta: [[Double]]
        var pi: [Double], o: [Double], p: [Double], q: [Double], r: [Double], s: [Double], t: [Double], u: [Double]
        var v: [[Double]], f: [[Double]], b: [[Double]]
        var pairs: [(Int, Int)]

        func pid(_ a: Int, _ b: Int) -> Int { let (x, y) = (min(a, b), max(a, b)); return x * m - x * (x - 1) / 2 + (y - x) }
        /// The pairs whose kernel entries ⟨σσ_p⟩ and ⟨σ′σ′_p⟩ depend on: (aa) for p = (aa); (aa), (ab), (bb) for a < b.
        func support(_ p: Int) -> [Int] {
            let (a, b) = pairs[p]
            return a == b ? [p] : [pid(a, a), p, pid(b, b)]
        }
    }

    /// K-gradients of ⟨σσ_p⟩ and ⟨σ′σ′_p⟩ over `support(p)`, as `TwoInputNTKVariance` uses them.
    struct PairGradient: Sendable { var sigma: [Double], deriv: [Double] }

    /// The recursion from layer 1 to the output layer for inputs with x_a·x_b/n₀ = gram[a][b] (distinct inputs; `rows`
    /// maps them to rows of x for error messages).
    static func recursion(spec: NetworkSpec, gram: [[Double]], rows: [Int]) throws -> State {
        let act = spec.activation
        let m = gram.count
        let pairs = (0..<m).flatMap { a in (a..<m).map { (a, $0) } }
        let zero4 = [Double](repeating: 0, count: m * m * m * m)
        let zeroP = [[Double]](repeating: [Double](repeating: 0, count: pairs.count), count: pairs.count)
        let lw1 = spec.effectiveLambdaW(layer: 1)
        var st = State(m: m, k: gram.map { $0.map { spec.cb[0] + spec.cw[0] * $0 } },
                       theta: gram.map { $0.map { spec.lambdaB[0] + lw1 * $0 } },
                       pi: zero4, o: zero4, p: zero4, q: zero4, r: zero4, s: zero4, t: zero4, u: zero4,
                       v: zeroP, f: zeroP, b: zeroP, pairs: pairs)
        guard spec.depth >= 2 else { return st }
        for l in 1..<spec.depth {
            let cb = spec.cb[l], cw = spec.cw[l], lb = spec.lambdaB[l], lw = spec.effectiveLambdaW(layer: l + 1)
            let ratio = l == 1 ? 0 : Double(spec.width(ofLayer: l)) / Double(spec.width(ofLayer: l - 1))
            let k = st.k
            for a in 0..<m where !(k[a][a] > 0) { throw MultiInputStatisticsError.singularKernel(layer: l, rows: [rows[a]]) }
            for (a, b) in pairs where a < b {
                let sq = (k[a][a] * k[b][b]).squareRoot(), deficit = sq - k[a][b]
                guard min(deficit, 2 * sq - deficit) > 1e-10 * sq else { throw TwoInputNTKError.degeneratePair(layer: l) }
            }
            let grads = try pairs.concurrentMap { pair -> PairGradient in
                let (a, b) = pair
                if a == b {
                    return PairGradient(sigma: [Vertex.diagonalDerivative(act, k[a][a])],
                                        deriv: [TwoInputNTKVariance.derivativeSquareSlope(act, k[a][a])])
                }
                let g = TwoInputNTK.gradients(act, k11: k[a][a], k12: k[a][b], k22: k[b][b])
                return PairGradient(sigma: g.sigma[1], deriv: g.deriv)
            }
            let moments = LayerMoments(act: act, k: k)
            _ = step(st, moments, cb: cb, cw: cw, lb: lb, lw: lw, ratio: ratio, grads: grads)
            moments.values = try evaluate(moments.requested, act: act, k: k, layer: l, rows: rows)
            moments.recording = false
            st = step(st, moments, cb: cb, cw: cw, lb: lb, lw: lw, ratio: ratio, grads: grads)
        }
        return st
    }

    /// One layer ℓ → ℓ + 1 (hyperparameters of layer ℓ + 1, r = n_ℓ/n_{ℓ−1}): (E0)–(E8) of
    /// docs/derivations/dntk-two-inputs.md with sample indices over all inputs, and (C1)–(C3) of
    /// ntk-covariance-two-inputs.md over all pairs (multi-input.md §3–§4).
    static func step(_ st: State, _ mo: LayerMoments, cb: Double, cw: Double, lb: Double, lw: Double, ratio r: Double,
                     grads: [PairGradient]) -> State {
        let m = st.m, th = st.theta
        func ix(_ a: Int, _ b: Int, _ c: Int, _ d: Int) -> Int { ((a * m + b) * m + c) * m + d }
        func F(_ o: Int, _ a: Int) -> Factor { Factor(o, a) }
        func one(_ f: [Factor]) -> [Term] { [Term(c: 1, f: f)] }
        func w(_ a: Int, _ b: Int) -> [Term] { [Term(c: lw, f: [F(1, a), F(0, b)]), Term(c: cw * th[a][b], f: [F(2, a), F(1, b)])] }
        func uu(_ a: Int, _ b: Int) -> [Term] { [Term(c: lw, f: [F(2, a), F(0, b)]), Term(c: cw * th[a][b], f: [F(3, a), F(1, b)])] }
        func vv(_ a: Int, _ b: Int) -> [Term] { [Term(c: lw, f: [F(1, a), F(1, b)]), Term(c: cw * th[a][b], f: [F(2, a), F(2, b)])] }
        func product(_ x: [Term], _ y: [Term]) -> [Term] { x.flatMap { s in y.map { Term(c: s.c * $0.c, f: s.f + $0.f) } } }
        /// Σ_δ X_{abcδ} x_δ and Σ_γδ x_γ X_{abγδ} y_δ.
        func linear(_ x: [Double], _ a: Int, _ b: Int, _ c: Int, _ v: Sparse) -> Double {
            zip(v.inputs, v.values).reduce(0.0) { $0 + x[ix(a, b, c, $1.0)] * $1.1 }
        }
        func bilinear(_ v: Sparse, _ x: [Double], _ a: Int, _ b: Int, _ y: Sparse) -> Double {
            var acc = 0.0
            for (c, xc) in zip(v.inputs, v.values) { for (d, yd) in zip(y.inputs, y.values) { acc += xc * x[ix(a, b, c, d)] * yd } }
            return acc
        }
        let g = (0..<m).map { a in (0..<m).map { b in mo.mean(one([F(1, a), F(1, b)])) } }     // ⟨σ′_aσ′_b⟩
        let ss = (0..<m).map { a in (0..<m).map { b in mo.mean(one([F(0, a), F(0, b)])) } }    // ⟨σ_aσ_b⟩
        let dsd = (0..<m).map { a in (0..<m).map { b in mo.stein(one([F(1, a), F(0, b)])) } }  // ⟨∂(σ′_aσ_b)⟩
        let dw = (0..<m).map { a in (0..<m).map { b in mo.stein(w(a, b)) } }                   // ⟨∂w_ab⟩
        var n = st
        for a in 0..<m { for b in 0..<m { for c in 0..<m { for d in 0..<m {
            let i = ix(a, b, c, d)
            // (E1) Π, (E2) O
            n.pi[i] = cw * cw * (mo.mean(one([F(0, c), F(1, a), F(1, b), F(0, d)])) * th[a][b]
                                 + r * bilinear(dsd[a][c], st.pi, a, b, dsd[b][d]))
            n.o[i] = cw * cw * (mo.mean(one([F(1, a), F(1, b), F(1, c), F(1, d)])) * th[a][b] * th[c][d]
                                + r * g[a][c] * g[b][d] * st.o[i])
            // (E3)–(E5) with (a, b, c, d) = (δ0, δ1, δ2, δ3)
            n.p[i] = cw * cw * (mo.mean(one([F(2, a), F(0, d), F(1, b), F(1, c)])) * th[a][b] * th[a][c]
                                + r * mo.mean(one([F(2, a), F(0, d)])) * g[b][c] * st.o[ix(a, b, a, c)]
                                + r * g[b][c] * linear(st.p, a, b, c, dsd[a][d]))
            n.q[i] = cw * (mo.mean(product(w(a, b), one([F(1, c), F(0, d)]))) * th[a][c]
                           + r * bilinear(dw[a][b], st.pi, a, c, dsd[c][d]))
                + r * cw * cw * g[a][b] * linear(st.q, a, b, c, dsd[c][d])
            n.r[i] = cw * (mo.mean(product(uu(a, b), one([F(1, c), F(1, d)]))) * th[a][c] * th[a][d]
                           + r * mo.mean(uu(a, b)) * g[c][d] * st.o[ix(a, c, a, d)]
                           + r * g[c][d] * linear(st.p, a, c, d, dw[a][b]))
                + r * cw * cw * g[a][b] * g[c][d] * st.r[i]
            // (E6)–(E8) with (a, b, c, d) = (δ1, δ2, δ3, δ4)
            n.s[i] = cw * (mo.mean(product(vv(a, b), one([F(1, c), F(1, d)]))) * th[a][c] * th[b][d]
                           + r * mo.mean(vv(a, b)) * g[c][d] * st.o[ix(a, c, b, d)])
                + r * cw * cw * g[a][b] * g[c][d] * st.s[i]
            n.t[i] = th[a][b] * mo.mean(product(w(a, c), w(b, d)))
                + r * bilinear(dw[a][c], st.pi, a, b, dw[b][d])
                + r * cw * (g[b][d] * linear(st.q, b, d, a, dw[a][c]) + g[a][c] * linear(st.q, a, c, b, dw[b][d]))
                + r * cw * cw * g[a][c] * g[b][d] * st.t[i]
            n.u[i] = cw * cw * (mo.mean(one([F(2, a), F(2, b), F(1, c), F(1, d)])) * th[a][b] * th[a][c] * th[b][d]
                                + r * g[a][d] * g[b][c] * st.u[i])
        } } } }
        // NTK covariance over the pairs: V (the vertex), F = n Cov(ĥ_p, Ĝ_e), B = n Cov(ĥ_p, ĥ_q).
        let np = st.pairs.count
        let thp = st.pairs.map { th[$0.0][$0.1] }, ssp = st.pairs.map { ss[$0.0][$0.1] }, ddp = st.pairs.map { g[$0.0][$0.1] }
        let jac = grads.map { $0.sigma.map { cw * $0 } }
        let av = (0..<np).map { p in zip(grads[p].sigma, grads[p].deriv).map { lw * $0.0 + cw * thp[p] * $0.1 } }
        let cc = ddp.map { cw * $0 }
        let sup = (0..<np).map { st.support($0) }
        func quad(_ x: [Double], _ p: Int, _ q: Int, _ y: [Double]) -> Double {   // Σ_{e ∈ sup p, g ∈ sup q} x_e V_eg y_g
            var acc = 0.0
            for (i, e) in sup[p].enumerated() { for (j, gg) in sup[q].enumerated() { acc += x[i] * st.v[e][gg] * y[j] } }
            return acc
        }
        for p in 0..<np {
            let (a, b) = st.pairs[p]
            for q in 0..<np {
                let (c, d) = st.pairs[q]
                let four = mo.mean(one([F(0, a), F(0, b), F(0, c), F(0, d)]))
                let mixQP = mo.mean(one([F(0, c), F(0, d), F(1, a), F(1, b)]))      // ⟨σσ_q σ′σ′_p⟩
                let mixPQ = mo.mean(one([F(0, a), F(0, b), F(1, c), F(1, d)]))      // ⟨σσ_p σ′σ′_q⟩
                let dfour = mo.mean(one([F(1, a), F(1, b), F(1, c), F(1, d)]))
                n.v[p][q] = cw * cw * (four - ssp[p] * ssp[q]) + r * quad(jac[p], p, q, jac[q])
                var carried = 0.0                                                      // F′_{p,e} with e = q
                for (i, f) in sup[q].enumerated() {
                    var inner = cc[p] * st.f[p][f]
                    for (j, gg) in sup[p].enumerated() { inner += st.v[f][gg] * av[p][j] }
                    carried += jac[q][i] * inner
                }
                n.f[p][q] = cw * (lw * (four - ssp[q] * ssp[p]) + cw * thp[p] * (mixQP - ssp[q] * ddp[p])) + r * carried
                let covXX = lw * lw * (four - ssp[p] * ssp[q]) + lw * cw * thp[q] * (mixPQ - ssp[p] * ddp[q])
                    + lw * cw * thp[p] * (mixQP - ssp[q] * ddp[p]) + cw * cw * thp[p] * thp[q] * (dfour - ddp[p] * ddp[q])
                var aFq = 0.0, aFp = 0.0
                for (i, e) in sup[p].enumerated() { aFq += av[p][i] * st.f[q][e] }
                for (i, e) in sup[q].enumerated() { aFp += av[q][i] * st.f[p][e] }
                n.b[p][q] = covXX + r * (quad(av[p], p, q, av[q]) + cc[q] * aFq + cc[p] * aFp + cc[p] * cc[q] * st.b[p][q])
            }
        }
        n.theta = (0..<m).map { a in (0..<m).map { b in lb + lw * ss[a][b] + cw * g[a][b] * th[a][b] } }
        n.k = ss.map { $0.map { cb + cw * $0 } }
        return n
    }

    /// A batch of averages over one set of distinct inputs.
    struct Job: Sendable { var inputs: [Int], keys: [MonomialKey] }

    /// Every requested average: one input by the adaptive 1-D rule (as `TwoInputDifferentialNTK`, tolerance 1e-12), two to
    /// four by `MultiGauss`; one job per set of distinct inputs, in parallel.
    static func evaluate(_ keys: Set<MonomialKey>, act: Activation, k: [[Double]], layer: Int, rows: [Int]) throws
        -> [MonomialKey: Double] {
        var groups: [[Int]: [MonomialKey]] = [:]
        for key in keys { groups[key.inputs, default: []].append(key) }
        let jobs = groups.map { Job(inputs: $0.key, keys: $0.value) }
        let results = try jobs.concurrentMap { job -> [Double] in
            let ins = job.inputs
            func fn(_ key: MonomialKey, _ pos: Int) -> (Double) -> Double { act.monomial(Array(key.exps[(5 * pos)..<(5 * pos + 5)])) }
            switch ins.count {
            case 0:
                return job.keys.map { _ in 1 }
            case 1:
                return job.keys.map {
                    Gaussian.expectation(fn($0, 0), variance: k[ins[0]][ins[0]], kinks: act.kinks, tolerance: 1e-12).value
                }
            default:
                do {
                    return try MultiGauss.expectations(act, covariance: ins.map { i in ins.map { k[i][$0] } },
                                                       exps: job.keys.map(\.exps))
                } catch {
                    throw MultiInputStatisticsError.singularKernel(layer: layer, rows: ins.map { rows[$0] })
                }
            }
        }
        var out: [MonomialKey: Double] = [:]
        for (job, values) in zip(jobs, results) { for (key, v) in zip(job.keys, values) { out[key] = v } }
        return out
    }

}

/// Gaussian averages ⟨Π_k h_k(z_k)⟩ over m ≥ 2 distinct inputs (PDLT §1.2 notation), for the four-point functions of
/// §4.3, §8.3, §11.2 and §∞ (section-level citations) with 2–4 distinct samples. z_k = Σ_{j≤k} L_kj g_j with L the
/// Cholesky factor of the covariance and g standard normal, in nested levels:
/// - each level k: composite Gauss–Legendre in g_k on [−9, 9] (6 points per panel for m ≥ 3, 10 for m = 2), panels split
///   at −6.5, −4.5, −3, −2, −1, 0, 1, 2, 3, 4.5, 6.5 and where E[z_j | g_0 … g_k] (j ≥ k) crosses a kink of σ — with
///   log-spaced splits ±w·4^i < 1 around it, w = sd(z_j | g_≤k)/|L_jk| the width over which the later levels smooth
///   the kink — and, for smooth σ when |L_jk| > 1, where it crosses 0, ±1, ±2.5 (the centre of a sigmoid-like σ);
///   nodes of cumulative weight < 1e-19 are dropped;
/// - innermost level: closed form for the rectified family (truncated normal moments); for other σ with m ≥ 3 a table
///   of ψ(μ) = ⟨h(μ + s x)⟩_x on a uniform μ grid (spacing max(0.01, range/2000), the level rule per point) read by
///   6-point Lagrange interpolation; for m = 2 the same node rule as the outer level; a deterministic direction
///   (s = 0) is evaluated at its conditional mean.
/// All products on one covariance share the nodes and are accumulated level by level over their distinct suffixes.
/// Measured accuracy (bench/nt/check_multi_input.py, against rules with 2–3× the panels and points): m ≥ 3 ≲ 5e-8
/// relative of the largest average (tanh, K up to 10), ≲ 3e-6 with nearly parallel inputs (cos 0.99–0.999), ≲ 5e-9
/// for ReLU; m = 2 ≲ 5e-12 (the two-input recursions agree with the polar rule of the two-input checks to that).
/// A singular covariance (relative pivot ≤ 1e-10) throws when σ has kinks.
enum MultiGauss {
    static let breaks: [Double] = [-9, -6.5, -4.5, -3, -2, -1, 0, 1, 2, 3, 4.5, 6.5, 9]
    static let smoothFeatures: [Double] = [0, -1, 1, -2.5, 2.5]
    static let nodes6: [Double] = [-0.932469514203152, -0.6612093864662645, -0.23861918608319693,
                                   0.23861918608319693, 0.6612093864662645, 0.932469514203152]
    static let weights6: [Double] = [0.17132449237916975, 0.36076157304813894, 0.46791393457269137,
                                     0.46791393457269137, 0.36076157304813894, 0.17132449237916975]
    static let nodes10: [Double] = [-0.9739065285171717, -0.8650633666889845, -0.6794095682990244, -0.4333953941292472,
                                    -0.14887433898163122, 0.14887433898163122, 0.4333953941292472, 0.6794095682990244,
                                    0.8650633666889845, 0.9739065285171717]
    static let weights10: [Double] = [0.06667134430868807, 0.14945134915058036, 0.219086362515982, 0.2692667193099965,
                                      0.295524224714753, 0.295524224714753, 0.2692667193099965, 0.219086362515982,
                                      0.14945134915058036, 0.06667134430868807]
    static let prune = 1e-19, pivot = 1e-10, spacing = 0.01, maxGrid = 2000.0, look = 1.0
    /// 1/Π_{k≠j}(j − k) for the 6-point Lagrange weights on the nodes 0 … 5.
    static let lagrangeScale: [Double] = [-1.0 / 120, 1.0 / 24, -1.0 / 12, 1.0 / 12, -1.0 / 24, 1.0 / 120]

    struct Singular: Error {}

    /// Level k splits where E[z_j | g_≤k] = f, at offsets (in g_k) around that point.
    struct Split { var j: Int, f: Double, offsets: [Double] }

    static func splitPoints(_ act: Activation, _ l: [[Double]], _ k: Int) -> [Split] {
        var out: [Split] = []
        for j in k..<l.count where l[j][k] != 0 {
            var ss = 0.0
            for i in (k + 1)..<(j + 1) { ss += l[j][i] * l[j][i] }
            var offsets = [0.0], q = ss.squareRoot() / abs(l[j][k])
            while q > 0 && q < 1 { offsets += [-q, q]; q *= 4 }
            for f in act.kinks { out.append(Split(j: j, f: f, offsets: offsets)) }
            if act.slopes == nil && abs(l[j][k]) > look { for f in smoothFeatures { out.append(Split(j: j, f: f, offsets: [0])) } }
        }
        return out
    }

    /// Nodes g and weights (Gaussian density included) of level k given E[z_j | g_<k] = bases[j] (j ≥ k).
    static func level(_ k: Int, bases: [Double], l: [[Double]], splits: [Split], gx: [Double], gw: [Double],
                      g: inout [Double], w: inout [Double]) {
        g.removeAll(keepingCapacity: true)
        w.removeAll(keepingCapacity: true)
        if l[k][k] == 0 { g.append(0); w.append(1); return }
        var edges = breaks
        for sp in splits {
            let cross = (sp.f - bases[sp.j]) / l[sp.j][k]
            for o in sp.offsets { let x = cross + o; if x > -9 && x < 9 { edges.append(x) } }
        }
        edges.sort()
        for p in 0..<(edges.count - 1) {
            let a = edges[p], b = edges[p + 1]
            guard b > a else { continue }
            let half = 0.5 * (b - a), mid = 0.5 * (a + b)
            for i in 0..<gx.count {
                let x = mid + half * gx[i]
                g.append(x)
                w.append(half * gw[i] * standardNormalDensity(x))
            }
        }
    }

    /// ⟨Π_k h_k(z_k)⟩ for each exponent table exps[j] (5 per input: σ, σ′, σ″, σ‴, z), z ~ N(0, covariance).
    static func expectations(_ act: Activation, covariance c: [[Double]], exps: [[Int]]) throws(Singular) -> [Double] {
        let m = c.count, last = c.count - 1
        var l = [[Double]](repeating: [Double](repeating: 0, count: m), count: m)
        for i in 0..<m {
            for j in 0...i {
                var s = c[i][j]
                for k in 0..<j { s -= l[i][k] * l[j][k] }
                if i == j {
                    if s > pivot * c[i][i] { l[i][i] = s.squareRoot() } else if !act.kinks.isEmpty { throw Singular() }
                } else {
                    l[i][j] = l[j][j] > 0 ? s / l[j][j] : 0
                }
            }
        }
        let (gx, gw) = m == 2 ? (nodes10, weights10) : (nodes6, weights6)
        let direct = m == 2 && act.slopes == nil          // every level by nodes (smooth pairs)
        let levels = direct ? m : last                     // levels integrated by nodes
        let sLast = l[last][last]
        let table = !direct && act.slopes == nil && sLast > 0
        let splits = (0..<m).map { splitPoints(act, l, $0) }
        // Distinct exponent vectors per position; each monomial as a tuple of their indices.
        var distinct = [[[Int]]](repeating: [], count: m)
        var tuples = [[Int]](repeating: [], count: exps.count)
        for (j, e) in exps.enumerated() {
            for k in 0..<m {
                let v = Array(e[(5 * k)..<(5 * k + 5)])
                if let i = distinct[k].firstIndex(of: v) { tuples[j].append(i) } else { distinct[k].append(v); tuples[j].append(distinct[k].count - 1) }
            }
        }
        // Distinct suffixes (t_k … t_{m−1}) per level; S_k[c] = Σ over level-k nodes of w h_k S_{k+1}[rest of c].
        var combos = [[[Int]]](repeating: [], count: levels + 1)
        combos[levels] = direct ? [[]] : distinct[last].indices.map { [$0] }
        for k in stride(from: levels - 1, through: 0, by: -1) {
            for t in tuples { let suffix = Array(t[k...]); if !combos[k].contains(suffix) { combos[k].append(suffix) } }
        }
        let head = (0..<levels).map { k in combos[k].map { $0[0] } }
        let child = (0..<levels).map { k in combos[k].map { cmb in combos[k + 1].firstIndex(of: Array(cmb.dropFirst())) ?? 0 } }
        let need = distinct.map { vs in (0..<4).map { d in vs.contains { $0[d] > 0 } } }
        var gPrefix = [Double](repeating: 0, count: m), bases = [Double](repeating: 0, count: m)
        var gBuf = [[Double]](repeating: [], count: m), wBuf = [[Double]](repeating: [], count: m)
        var vals = distinct.map { [Double](repeating: 0, count: $0.count) }
        var sums = combos.map { [Double](repeating: 0, count: $0.count) }
        var muMin = Double.infinity, muMax = -Double.infinity
        var grid0 = 0.0, step = spacing, tables: [[Double]] = []
        var lag = [Double](repeating: 1, count: 6)

        func fill(_ k: Int, _ z: Double) {
            let v0 = need[k][0] ? act.value(z) : 0, v1 = need[k][1] ? act.derivative(z) : 0
            let v2 = need[k][2] ? act.secondDerivative(z) : 0, v3 = need[k][3] ? act.thirdDerivative(z) : 0
            for (t, e) in distinct[k].enumerated() {
                var p = 1.0
                for _ in 0..<e[0] { p *= v0 }
                for _ in 0..<e[1] { p *= v1 }
                for _ in 0..<e[2] { p *= v2 }
                for _ in 0..<e[3] { p *= v3 }
                for _ in 0..<e[4] { p *= z }
                vals[k][t] = p
            }
        }
        /// Fills sums[k] for the current prefix g_<k (or, with rangeOnly, only records the innermost means).
        func integrate(_ k: Int, _ cumulative: Double, _ rangeOnly: Bool) {
            for j in k..<m {
                var b = 0.0
                for i in 0..<k { b += l[j][i] * gPrefix[i] }
                bases[j] = b
            }
            if k == levels {
                if direct { sums[k][0] = 1; return }
                let mu = bases[last]
                if rangeOnly { muMin = min(muMin, mu); muMax = max(muMax, mu); return }
                if sLast == 0 {
                    fill(last, mu)
                    for t in 0..<vals[last].count { sums[k][t] = vals[last][t] }
                } else if let slopes = act.slopes {
                    let t = mu / sLast, ph = standardNormalDensity(t), cp = normalCDF(t), cn = normalCDF(-t)
                    for (i, e) in distinct[last].enumerated() {
                        let p = e[0] + e[4], c = e[0] + e[1]
                        sums[k][i] = power(slopes.positive, c) * truncated(mu, sLast, p, t: t, ph: ph, cdf: cp, positive: true)
                            + power(slopes.negative, c) * truncated(mu, sLast, p, t: t, ph: ph, cdf: cn, positive: false)
                    }
                } else {
                    let tt = (mu - grid0) / step
                    let i0 = min(max(Int(tt.rounded(.down)) - 2, 0), tables[0].count - 6)
                    let u = tt - Double(i0)
                    for j in 0..<6 {
                        var v = lagrangeScale[j]
                        for kk in 0..<6 where kk != j { v *= u - Double(kk) }
                        lag[j] = v
                    }
                    for t in 0..<tables.count {
                        var v = 0.0
                        for j in 0..<6 { v += lag[j] * tables[t][i0 + j] }
                        sums[k][t] = v
                    }
                }
                return
            }
            let s = l[k][k], mean = bases[k]
            level(k, bases: bases, l: l, splits: splits[k], gx: gx, gw: gw, g: &gBuf[k], w: &wBuf[k])
            if !rangeOnly { for c in 0..<sums[k].count { sums[k][c] = 0 } }
            for i in 0..<gBuf[k].count {
                let wi = wBuf[k][i]
                if cumulative * wi < prune { continue }
                gPrefix[k] = gBuf[k][i]
                if !rangeOnly { fill(k, mean + s * gPrefix[k]) }
                integrate(k + 1, cumulative * wi, rangeOnly)
                if rangeOnly { continue }
                for c in 0..<sums[k].count { sums[k][c] += wi * vals[k][head[k][c]] * sums[k + 1][child[k][c]] }
            }
        }
        if table {
            integrate(0, 1, true)
            step = max(spacing, (muMax - muMin) / maxGrid)
            let count = Int(((muMax - muMin) / step).rounded(.up)) + 6
            grid0 = muMin - 2 * step
            var g: [Double] = [], w: [Double] = [], tb = [Double](repeating: 0, count: m)
            let fns = distinct[last].map { act.monomial($0) }
            tables = fns.map { _ in [Double](repeating: 0, count: count) }
            for i in 0..<count {
                let mu = grid0 + step * Double(i)
                tb[last] = mu
                level(last, bases: tb, l: l, splits: splits[last], gx: gx, gw: gw, g: &g, w: &w)
                for t in 0..<fns.count {
                    var v = 0.0
                    for (x, wx) in zip(g, w) { v += wx * fns[t](mu + sLast * x) }
                    tables[t][i] = v
                }
            }
        }
        integrate(0, 1, false)
        return tuples.map { t in sums[0][combos[0].firstIndex(of: t) ?? 0] }
    }

    /// E[(μ + s x)^p 1[±(μ + s x) > 0]] for x standard normal, t = μ/s, ph = φ(t), cdf = Φ(±t): Σ_k C(p, k) μ^{p−k} s^k J_k
    /// with J_k = E[x^k; ±x > ∓t] = ±(−t)^{k−1}φ(t) + (k − 1)J_{k−2} (a₊^{i+j} times the + part plus a₋^{i+j} times the
    /// − part is ⟨σ(X)^i σ′(X)^j X^e⟩ for σ rectified, p = i + e).
    static func truncated(_ mu: Double, _ s: Double, _ p: Int, t: Double, ph: Double, cdf: Double, positive: Bool) -> Double {
        let sign: Double = positive ? 1 : -1, c = -t
        var jm2 = cdf, jm1 = sign * ph                     // J_{k−2}, J_{k−1}
        var sum = power(mu, p) * jm2, binomial = Double(p)
        if p >= 1 { sum += binomial * power(mu, p - 1) * s * jm1 }
        var k = 2
        while k <= p {
            let jk = sign * power(c, k - 1) * ph + Double(k - 1) * jm2
            binomial = binomial * Double(p - k + 1) / Double(k)
            sum += binomial * power(mu, p - k) * power(s, k) * jk
            (jm2, jm1) = (jm1, jk)
            k += 1
        }
        return sum
    }

    static func power(_ x: Double, _ n: Int) -> Double {
        var r = 1.0
        var i = 0
        while i < n { r *= x; i += 1 }
        return r
    }
}
