import Architecture
import DataIO
import FiniteWidth
import Foundation
import InfiniteWidth
import Linalg

/// The order-1/n predictions of `dlt finite-width` for N inputs (PDLT ch. 4, 8), as JSON:
/// - nngp: K^(L) + K¹/n_{L−1} (the metric correction of every entry, pair by pair);
/// - vertex: V^(L)_{(δ₁δ₂)(δ₃δ₄)} in units of 1/n_{L−1}: every quadruple for N ≤ 4 inputs; for
///   5 ≤ N ≤ 8, quadruples of at most two distinct inputs (null otherwise);
/// - excess_kurtosis[δ] = 3V_{(δδ)(δδ)}/(n_{L−1} K_δδ²);
/// - ntk_mean: Θ^(L) + Θ¹/n_{L−1}, the off-diagonal Θ¹ from the two-input recursion (`TwoInputNTK`);
/// - ntk_variance[δ]: Var(Ĥ_δδ) of one output component;
/// - dntk_tensors {p, q, r, s, t, u}: the same statistics with sample indices [δ₀][δ₁][δ₂][δ₃] for N ≤ 4, every
///   tuple (`MultiInputStatistics`; if its kernel on three or four distinct inputs is singular, the pairwise
///   `TwoInputDifferentialNTK` values with null for three or four distinct inputs);
/// - ntk_covariance: Cov(Ĥ_{δ₁δ₂}, Ĥ_{δ₃δ₄}) of one output component: every quadruple for N ≤ 4 (`MultiInputStatistics`),
///   for 5 ≤ N ≤ 8 quadruples of at most two distinct inputs (`TwoInputNTKVariance`, null otherwise);
/// - dntk_p, dntk_q, ddntk_r … ddntk_u [δ]: the dNTK–preactivation cross-correlations and ddNTK means of
///   one input (PDLT ch. 11; `DiagonalDifferentialNTK`), in units of 1/n_{L−1}, on the first four inputs;
/// plus the infinite-width values and the corrections as separate keys.
public enum FiniteWidthRecord {
    public static func json(spec: NetworkSpec, x: Matrix) throws -> [(String, JSONValue)] {
        let spec = spec.with(inputDimension: x.cols)
        let n = x.rows
        let nPrev = Double(spec.width(ofLayer: spec.depth - 1))
        let infinite = try InfiniteWidth.kernels(spec: spec, x1: x).output
        var nngp = infinite.nngp, ntk = infinite.ntk
        var kurt: [Double] = [], ntkVar: [Double] = [], k1: [Double] = [], th1: [Double] = []
        for d in 0..<n {
            let q0 = x.row(d).reduce(0) { $0 + $1 * $1 } / Double(x.cols)
            let diag = DiagonalFiniteWidth.compute(spec: spec, q0: q0)
            let t = DiagonalNTKFiniteWidth.compute(spec: spec, q0: q0)
            nngp[d, d] += diag.metricCorrection.last! / nPrev
            ntk[d, d] += t.ntkCorrection.last! / nPrev
            kurt.append(diag.excessKurtosis.last!)
            ntkVar.append(t.ntkVariance.last!)
            k1.append(diag.metricCorrection.last!)
            th1.append(t.ntkCorrection.last!)
        }
        // Off the diagonal: the metric correction from the two-input recursion of each pair, which
        // also gives the vertex.
        let pairs = try Vertex.pairs(spec: spec, x: x)
        // The off-diagonal NTK corrections, one two-input recursion per pair, on all cores.
        let offPairs = (0..<n).flatMap { a in ((a + 1)..<n).map { (a, $0) } }
        let corrections = try offPairs.map { [$0.0, $0.1] }.concurrentMap { ab -> Result<Double, TwoInputNTKError> in
            do { return .success(try TwoInputNTK.compute(spec: spec, x: try Matrix([x.row(ab[0]), x.row(ab[1])])).ntkCorrection[1]) }
            catch let e as TwoInputNTKError { return .failure(e) }
        }
        var uncorrected: [String] = []
        for a in 0..<n { for b in (a + 1)..<n {
            nngp[a, b] += pairs[a][b - a].metricCorrection[1] / nPrev
            nngp[b, a] = nngp[a, b]
            // The NTK mean's off-diagonal correction from the two-input recursion (TwoInputNTK).
            // Parallel, unequal inputs without biases have a singular pair kernel: left at n = ∞ and named in the notes.
            do {
                ntk[a, b] += try corrections[offPairs.firstIndex { $0 == (a, b) }!].get() / nPrev
                ntk[b, a] = ntk[a, b]
            } catch {
                uncorrected.append("(\(a),\(b))")
            }
        } }
        let differential = (0..<min(n, 4)).map { d in
            DiagonalDifferentialNTK.compute(spec: spec, q0: x.row(d).reduce(0) { $0 + $1 * $1 } / Double(x.cols)).statistics(layer: spec.depth)
        }
        var out: [(String, JSONValue)] = [("nngp", .matrix(nngp))]
        if n <= 8 {
            // For N ≤ 4 the N-input recursions give every entry, three and four distinct inputs included
            // (MultiInputStatistics, docs/derivations/multi-input.md). Otherwise, or when they cannot (a singular kernel
            // on three or four distinct inputs): Cov(Ĥ_{δ₁δ₂}, Ĥ_{δ₃δ₄}) of one output component for quadruples of at most
            // two distinct inputs from the two-input recursion of each pair (TwoInputNTKVariance), the rest null.
            // Both divided by n_{L−1}.
            let multi = n <= 4 && n >= 2 ? try? MultiInputStatistics.compute(spec: spec, x: x) : nil
            var cov = [[[[Double]]]](repeating: [[[Double]]](repeating: [[Double]](repeating: [Double](repeating: .nan, count: n), count: n), count: n), count: n)
            if let multi {
                let c = multi.ntkCovariance
                for a in 0..<n { for b in 0..<n { for e in 0..<n { for f in 0..<n { cov[a][b][e][f] = c[a, b, e, f] / nPrev } } } }
            } else {
                for d in 0..<n { cov[d][d][d][d] = ntkVar[d] }
                let blocks = try offPairs.map { [$0.0, $0.1] }.concurrentMap { ab -> [[Double]]? in
                    do { return try TwoInputNTKVariance.compute(spec: spec, x: try Matrix([x.row(ab[0]), x.row(ab[1])])) }
                    catch is TwoInputNTKError { return nil }
                }
                for (i, (a, b)) in offPairs.enumerated() {
                    guard let block = blocks[i] else { continue }
                    let idx = [a, b]
                    func pair(_ u: Int, _ v: Int) -> Int { u == v ? (u == 0 ? 0 : 2) : 1 }
                    for u in 0..<2 { for v in 0..<2 { for s in 0..<2 { for t in 0..<2 {
                        cov[idx[u]][idx[v]][idx[s]][idx[t]] = block[pair(u, v)][pair(s, t)] / nPrev
                    } } } }
                }
            }
            if let multi {
                func json(_ t: MultiInputStatistics.Tensor4) -> JSONValue {
                    .array((0..<n).map { a in .array((0..<n).map { b in .array((0..<n).map { c in .array((0..<n).map { d in .number(t[a, b, c, d]) }) }) }) })
                }
                out.append(("dntk_tensors", .object(zip(["p", "q", "r", "s", "t", "u"], [multi.p, multi.q, multi.r, multi.s, multi.t, multi.u]).map { ($0, json($1)) })))
            } else if n <= 4 {
                // The dNTK/ddNTK tensors P … U with sample indices (docs/derivations/dntk-two-inputs.md), in units
                // of 1/n_{L−1}, for index tuples over at most two distinct inputs (null otherwise).
                let results = try offPairs.map { [$0.0, $0.1] }.concurrentMap { ab -> TwoInputDifferentialNTK.Result? in
                    do { return try TwoInputDifferentialNTK.compute(spec: spec, x: try Matrix([x.row(ab[0]), x.row(ab[1])])) }
                    catch is TwoInputNTKError { return nil }
                }
                var tensors = [[[[[Double]]]]](repeating: [[[[Double]]]](repeating: [[[Double]]](repeating: [[Double]](repeating:
                    [Double](repeating: .nan, count: n), count: n), count: n), count: n), count: 6)
                for d in 0..<n { for c in 0..<6 { tensors[c][d][d][d][d] = differential[d][c] } }
                for (i, (a, b)) in offPairs.enumerated() {
                    guard let r = results[i] else { continue }
                    let idx = [a, b]
                    for (c, t) in [r.p, r.q, r.r, r.s, r.t, r.u].enumerated() {
                        for i0 in 0..<2 { for i1 in 0..<2 { for i2 in 0..<2 { for i3 in 0..<2 {
                            tensors[c][idx[i0]][idx[i1]][idx[i2]][idx[i3]] = t[i0][i1][i2][i3]
                        } } } }
                    }
                }
                func json(_ t: [[[[Double]]]]) -> JSONValue {
                    .array(t.map { .array($0.map { .array($0.map { .array($0.map { $0.isNaN ? .null : .number($0) }) }) }) })
                }
                out.append(("dntk_tensors", .object(zip(["p", "q", "r", "s", "t", "u"], tensors).map { ($0, json($1)) })))
            }
            out.append(("ntk_covariance", .array(cov.map { .array($0.map { .array($0.map { .array($0.map { $0.isNaN ? .null : .number($0) }) }) }) })))
            let v = n <= 4 ? try Vertex.fullTensor(spec: spec, x: x) : Vertex.tensor(pairs, inputs: n)
            out.append(("vertex", .array(v.map { .array($0.map { .array($0.map { .array($0.map { $0.isNaN ? .null : .number($0) }) }) }) })))
        }
        out += [
            ("excess_kurtosis", .vector(kurt)), ("ntk_mean", .matrix(ntk)), ("ntk_variance", .vector(ntkVar)),
            ("dntk_p", .vector(differential.map { $0[0] })), ("dntk_q", .vector(differential.map { $0[1] })),
            ("ddntk_r", .vector(differential.map { $0[2] })), ("ddntk_s", .vector(differential.map { $0[3] })),
            ("ddntk_t", .vector(differential.map { $0[4] })), ("ddntk_u", .vector(differential.map { $0[5] })),
            ("nngp_infinite", .matrix(infinite.nngp)), ("ntk_infinite", .matrix(infinite.ntk)),
            ("metric_correction", .vector(k1)), ("ntk_correction", .vector(th1)),
            ("width_of_last_hidden_layer", .int(Int(nPrev))), ("aspect_ratio", .number(spec.aspectRatio)),
            ("notes", .string("corrections in units of 1/n of the last hidden layer; for more than four inputs, vertex entries with three or four distinct inputs are null"
                              + (uncorrected.isEmpty ? "" : "; ntk_mean entries " + uncorrected.joined(separator: ", ")
                                 + " are infinite-width values (parallel inputs with a singular pair kernel)"))),
        ]
        return out
    }
}
