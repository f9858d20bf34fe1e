import Architecture
import Gaussian
import Linalg

/// The order-1/n statistics of the NTK, the dNTK and the ddNTKs at the output layer L for N inputs (the rows of x):
/// the NTK mean correction (PDLT ch. 8, §8.3), the NTK covariance (§8.3; forward equation §8.0), and the dNTK and
/// ddNTK tensors P, Q, R, S, T, U (ch. 11, §11.2–11.3; ch. ∞, §∞.1–∞.2). Section-level citations; equation numbers
/// were not checked. Derivation: docs/derivations/multi-input.md; check: bench/nt/check_multi_input.py (N = 2 equal to
/// the two-input recursions, and exact-autodiff Monte Carlo with four distinct inputs).
///
/// Every statistic involves at most four samples, and a statistic over samples a, b, c, d depends on those inputs
/// only. The two-input recursions are written with generic sample labels, so the N-input recursion is theirs with the
/// labels running over all inputs (`TwoInputDifferentialNTK`, `TwoInputNTKVariance`): Stein derivatives ⟨∂_γ F⟩ only
/// ever act on functions of two inputs, and the new ingredient is Gaussian averages of products of σ^(d) over three and
/// four distinct inputs (`MultiGauss`, which also does the two-input ones). Θ¹_ab depends on x_a and x_b alone and is
/// `TwoInputNTK`'s recursion on each pair.
///
/// Identical rows of x are merged (the result equals the limit of merging distinct inputs, as the two-input code's).
/// For N = 2 every field equals the two-input code's (`TwoInputDifferentialNTK.compute`, `TwoInputNTK.compute`,
/// `TwoInputNTKVariance.compute`) to quadrature accuracy (≈ 1e-13 relative; Θ¹ and K, Θ identically). Scope: smooth σ
/// and the rectified family (relu, leaky_relu, abrelu, abs, linear), as the two-input files. Cost: a layer-by-layer pass
/// over the N⁴ sample tuples; the Gaussian averages are batched per set of distinct inputs and evaluated in parallel,
/// beside Θ¹ (N = 5, depth 3: ≈ 6 s CPU for tanh, of which ≈ 4 s is `TwoInputNTK`'s Hessians, ≈ 1 s for ReLU).
public enum MultiInputStatistics {
    /// An N × N × N × N tensor over sample indices, flat, index ((a·N + b)·N + c)·N + d.
    public struct Tensor4: Sendable, Equatable {
        public let n: Int
        public var storage: [Double]

        public init(n: Int, repeating value: Double = 0) {
            self.n = n
            storage = [Double](repeating: value, count: n * n * n * n)
        }

        /// `storage` must have n⁴ entries.
        public init(n: Int, storage: [Double]) {
            precondition(storage.count == n * n * n * n, "a Tensor4 over \(n) samples needs \(n * n * n * n) entries")
            self.n = n
            self.storage = storage
        }

        public subscript(a: Int, b: Int, c: Int, d: Int) -> Double {
            get { storage[((a * n + b) * n + c) * n + d] }
            set { storage[((a * n + b) * n + c) * n + d] = newValue }
        }
    }

    /// The output-layer statistics; every order-1/n quantity is in units of 1/n_{L−1} (the moment is value/`width`).
    /// Sample indices a, b, c, d (and δ0 … δ4) are rows of x, 0-based; i₁ … i₄ are output components.
    public struct Result: Sendable, Equatable {
        /// K^(L) and Θ^(L) at infinite width (N × N; PDLT §4.3, §9.1 / §8.0).
        public var kernel: [[Double]], ntk: [[Double]]
        /// Θ¹: E[Ĥ_{ii;ab}] = Θ_ab + Θ¹_ab/n_{L−1} (PDLT §8.3), N × N; `TwoInputNTK` on each pair.
        public var ntkCorrection: [[Double]]
        /// The NTK covariance (PDLT §8.3), in two tensors A (this one) and B (`ntkCovarianceB`):
        ///   n_{L−1} Cov(Ĥ_{i₁i₂;ab}, Ĥ_{i₃i₄;cd}) = δ_{i₁i₂}δ_{i₃i₄} A_{abcd} + δ_{i₁i₃}δ_{i₂i₄} B_{abcd} + δ_{i₁i₄}δ_{i₂i₃} B_{abdc}.
        /// A_{abcd} = n Cov(ĥ_ab, ĥ_cd), the fluctuation of the NTK mean ĥ = E[Ĥ_kk | layer L−1] (the role of PDLT's A;
        /// `TwoInputNTKVariance`'s B_pq). Symmetric under a ↔ b, c ↔ d and (ab) ↔ (cd).
        public var ntkCovarianceA: Tensor4
        /// B_{abcd} = n E[Ĥ_{jm;ab} Ĥ_{jm;cd}] for j ≠ m (the role of PDLT's B; `TwoInputNTKVariance`'s O_{ab,cd}).
        /// B_{abcd} = B_{cdab} = B_{badc}; B_{abcd} ≠ B_{abdc} in general.
        public var ntkCovarianceB: Tensor4
        /// E[dĤ_{i₀i₁i₂;δ0δ1δ2} z_{i₃;δ3}] = [δ_{i₀i₃}δ_{i₁i₂} P_{δ0δ1δ2δ3} + δ_{i₀i₁}δ_{i₂i₃} Q_{δ0δ1δ2δ3}
        ///   + δ_{i₀i₂}δ_{i₁i₃} Q_{δ0δ2δ1δ3}]/n (PDLT §11.2); E[dd_IĤ_{i₀i₁i₂i₃;δ0δ1δ2δ3}] = [δ_{i₀i₁}δ_{i₂i₃} R_{δ0δ1δ2δ3}
        ///   + δ_{i₀i₂}δ_{i₁i₃} R_{δ0δ2δ1δ3} + δ_{i₀i₃}δ_{i₁i₂} R_{δ0δ3δ1δ2}]/n; E[dd_IIĤ_{i₁i₂i₃i₄;δ1δ2δ3δ4}] =
        ///   [δ_{i₁i₂}δ_{i₃i₄} S + δ_{i₁i₃}δ_{i₂i₄} T + δ_{i₁i₄}δ_{i₂i₃} U]_{δ1δ2δ3δ4}/n (§∞.1–∞.2): the conventions and
        ///   index roles of `TwoInputDifferentialNTK` (docs/derivations/dntk-two-inputs.md §1).
        public var p: Tensor4, q: Tensor4, r: Tensor4, s: Tensor4, t: Tensor4, u: Tensor4
        /// n_{L−1}, the unit of every order-1/n field (n₀ for depth 1, where they all vanish).
        public var width: Int

        /// n_{L−1} Cov(Ĥ_{i₁i₂;ab}, Ĥ_{i₃i₄;cd}) for output components i₁ … i₄ and samples a … d (PDLT §8.3).
        public func ntkCovariance(outputs i: (Int, Int, Int, Int), samples a: Int, _ b: Int, _ c: Int, _ d: Int) -> Double {
            (i.0 == i.1 && i.2 == i.3 ? ntkCovarianceA[a, b, c, d] : 0)
                + (i.0 == i.2 && i.1 == i.3 ? ntkCovarianceB[a, b, c, d] : 0)
                + (i.0 == i.3 && i.1 == i.2 ? ntkCovarianceB[a, b, d, c] : 0)
        }

        /// n_{L−1} Cov(Ĥ_{ii;ab}, Ĥ_{ii;cd}) for one output component: A_{abcd} + B_{abcd} + B_{abdc}
        /// (for two inputs, `TwoInputNTKVariance.compute`'s entry [(ab)][(cd)]).
        public var ntkCovariance: Tensor4 {
            var out = ntkCovarianceA
            let n = out.n
            for a in 0..<n { for b in 0..<n { for c in 0..<n { for d in 0..<n {
                out[a, b, c, d] += ntkCovarianceB[a, b, c, d] + ntkCovarianceB[a, b, d, c]
            } } } }
            return out
        }
    }

    /// The statistics at the output layer of `spec` for the rows of `x` (N × n₀, rows = samples), any depth,
    /// per-layer widths and hyperparameters, λ_W via `spec.effectiveLambdaW` (both parameterizations).
    /// Throws `MultiInputStatisticsError.noInputs` for an empty x, `TwoInputNTKError.degeneratePair` when K^(ℓ) of two
    /// distinct rows is singular (parallel inputs without biases), and `MultiInputStatisticsError.singularKernel` when
    /// a row has K^(ℓ)_aa = 0 or, for σ with kinks, K^(ℓ) on three or four distinct rows is singular (e.g. more rows
    /// than n₀ with C_b = 0 at ℓ = 1).
    public static func compute(spec: NetworkSpec, x: Matrix) throws -> Result {
        guard x.rows > 0 else { throw MultiInputStatisticsError.noInputs }
        let spec = spec.with(inputDimension: x.cols)
        let n0 = Double(x.cols)
        // Merge identical rows: rep[i] is row i's distinct input, rows[j] the first row of distinct input j.
        var firstRows: [Int] = [], rep: [Int] = []
        for i in 0..<x.rows {
            if let j = firstRows.firstIndex(where: { x.row($0) == x.row(i) }) { rep.append(j) } else { rep.append(firstRows.count); firstRows.append(i) }
        }
        let rows = firstRows
        func dot(_ i: Int, _ j: Int) -> Double { (0..<x.cols).reduce(0) { $0 + x[i, $1] * x[j, $1] } / n0 }
        let gram = rows.map { i in rows.map { dot(i, $0) } }
        // The recursion and Θ¹ (the costlier part for smooth σ) run side by side.
        let parts = try [0, 1].concurrentMap { part -> Part in
            part == 0 ? .state(try recursion(spec: spec, gram: gram, rows: rows))
                : .theta1(try ntkCorrection(spec: spec, gram: gram))
        }
        guard case let .state(st) = parts[0], case let .theta1(theta1) = parts[1] else { throw MultiInputStatisticsError.noInputs }
        let m = rows.count, n = x.rows
        func matrix(_ y: [[Double]]) -> [[Double]] { rep.map { a in rep.map { y[a][$0] } } }
        func tensor(_ at: (Int, Int, Int, Int) -> Double) -> Tensor4 {
            var out = Tensor4(n: n)
            for a in 0..<n { for b in 0..<n { for c in 0..<n { for d in 0..<n {
                out[a, b, c, d] = at(rep[a], rep[b], rep[c], rep[d])
            } } } }
            return out
        }
        func flat(_ y: [Double]) -> Tensor4 { tensor { y[(($0 * m + $1) * m + $2) * m + $3] } }
        return Result(kernel: matrix(st.k), ntk: matrix(st.theta), ntkCorrection: matrix(theta1),
                      ntkCovarianceA: tensor { st.b[st.pid($0, $1)][st.pid($2, $3)] }, ntkCovarianceB: flat(st.o),
                      p: flat(st.p), q: flat(st.q), r: flat(st.r), s: flat(st.s), t: flat(st.t), u: flat(st.u),
                      width: spec.width(ofLayer: spec.depth - 1))
    }

    enum Part: Sendable { case state(State), theta1([[Double]]) }

    /// Θ¹ over distinct inputs (PDLT §8.3): `DiagonalNTKFiniteWidth` on the diagonal and `TwoInputNTK`'s off-diagonal
    /// recursion on each pair (docs/derivations/ntk-two-inputs.md), in parallel.
    static func ntkCorrection(spec: NetworkSpec, gram: [[Double]]) throws -> [[Double]] {
        let m = gram.count
        var out = [[Double]](repeating: [Double](repeating: 0, count: m), count: m)
        guard spec.depth >= 2 else { return out }
        let pairs = (0..<m).flatMap { a in (a..<m).map { [a, $0] } }
        let values = try pairs.concurrentMap { pair -> Double in
            let (a, b) = (pair[0], pair[1])
            if a == b { return DiagonalNTKFiniteWidth.compute(spec: spec, q0: gram[a][a]).ntkCorrection.last ?? 0 }
            return try TwoInputNTK.offDiagonal(spec: spec, g11: gram[a][a], g12: gram[a][b], g22: gram[b][b]).1
        }
        for (pair, v) in zip(pairs, values) { out[pair[0]][pair[1]] = v; out[pair[1]][pair[0]] = v }
        return out
    }
}

/// Inputs `MultiInputStatistics` cannot treat.
public enum MultiInputStatisticsError: Error, Equatable, CustomStringConvertible {
    /// x has no rows.
    case noInputs
    /// K^(layer) restricted to these rows of x (distinct inputs) is singular where the recursion needs it non-singular:
    /// a zero diagonal entry, or three or four distinct inputs with linearly dependent preactivations for σ with kinks.
    case singularKernel(layer: Int, rows: [Int])

    public var description: String {
        switch self {
        case .noInputs:
            return "multi-input statistics: x has no rows"
        case let .singularKernel(l, rows):
            return "multi-input statistics: the kernel of layer \(l) restricted to rows \(rows) of x is singular "
                + "(linearly dependent preactivations); add a bias variance C_b > 0 or use linearly independent inputs"
        }
    }
}
