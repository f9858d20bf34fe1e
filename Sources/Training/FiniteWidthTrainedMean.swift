import Foundation
import Linalg

/// The order-1/n statistics of a finite-width network at initialization on a set of inputs, as plain
/// arrays: what `FiniteWidthTrainedMean.predict` needs (PDLT ch. ∞, §∞.2–∞.3; derivation and index
/// conventions in docs/derivations/trained-mean.md).
///
/// Inputs: N = nTrain + nTest rows, rows 0..<nTrain the training inputs, then the test inputs. Output
/// components i, j, … = 0..<k (k is the number of target columns given to `predict`). n = `width` =
/// n_{L−1}; every 4-index tensor is in units of 1/n and stored flat, row-major:
/// X_{abcd} = x[((a·N + b)·N + c)·N + d], a, b, c, d ∈ 0..<N.
///
/// - `kernel`: K_ab = E[z_{i;a} z_{i;b}] at infinite width (the NNGP kernel), N × N.
/// - `ntk`: Θ_ab, the infinite-width NTK; `ntkCorrection`: Θ¹_ab, with
///   E[Ĥ_{ij;ab}] = δ_ij (Θ_ab + Θ¹_ab/n), N × N.
/// - `ntkCovarianceA`, `ntkCovarianceB`: the NTK covariance,
///   n Cov(Ĥ_{i₁i₂;ab}, Ĥ_{i₃i₄;cd}) = δ_{i₁i₂}δ_{i₃i₄} A_abcd + δ_{i₁i₃}δ_{i₂i₄} B_abcd + δ_{i₁i₄}δ_{i₂i₃} B_abdc,
///   i.e. A_abcd = n Cov(Ĥ_{ii;ab}, Ĥ_{jj;cd}) for i ≠ j (the fluctuation of the conditional NTK mean,
///   `TwoInputNTKVariance`'s "B-part", PDLT's A role) and B_abcd = n E[Ĥ_{ij;ab} Ĥ_{ij;cd}] for i ≠ j (the
///   off-diagonal NTK, `TwoInputNTKVariance`'s O_{ab,cd}, PDLT's B role). With one output (k = 1) only
///   A_abcd + B_abcd + B_abdc = n Cov(Ĥ_ab, Ĥ_cd) enters: pass the full covariance as A and zeros as B.
/// - `p`, `q`: E[dĤ_{i₀i₁i₂;abc} z_{i₃;d}] = [δ_{i₀i₃}δ_{i₁i₂} P_abcd + δ_{i₀i₁}δ_{i₂i₃} Q_abcd + δ_{i₀i₂}δ_{i₁i₃} Q_acbd]/n
///   (dĤ_{i₀i₁i₂;abc} = Σ λλ ∂²z_{i₀;a} ∂z_{i₁;b} ∂z_{i₂;c}), as in `TwoInputDifferentialNTK`. k = 1: only
///   P + Q_abcd + Q_acbd enters (pass it as P, zeros as Q).
/// - `r`: E[dd_IĤ_{i₀i₁i₂i₃;abcd}] = [δ_{i₀i₁}δ_{i₂i₃} R_abcd + δ_{i₀i₂}δ_{i₁i₃} R_acbd + δ_{i₀i₃}δ_{i₁i₂} R_adbc]/n.
/// - `s`, `t`, `u`: E[dd_IIĤ_{i₁i₂i₃i₄;abcd}] = [δ_{i₁i₂}δ_{i₃i₄} S + δ_{i₁i₃}δ_{i₂i₄} T + δ_{i₁i₄}δ_{i₂i₃} U]_abcd/n.
///   k = 1: only S + T + U enters (pass it as S, zeros as T and U); likewise R_abcd + R_acbd + R_adbc, which
///   for k = 1 is n E[dd_IĤ_abcd] (symmetric in b, c, d: pass n E[dd_IĤ]/3 as R).
///
/// Only the entries with at most one test index are read (every other index is a training input), so
/// the test–test blocks may be left at 0.
public struct FiniteWidthTrainingStatistics: Sendable {
    public var nTrain: Int, nTest: Int
    /// n = n_{L−1}, the width of the last hidden layer.
    public var width: Int
    public var kernel: [[Double]], ntk: [[Double]], ntkCorrection: [[Double]]
    public var ntkCovarianceA: [Double], ntkCovarianceB: [Double]
    public var p: [Double], q: [Double], r: [Double], s: [Double], t: [Double], u: [Double]

    public init(nTrain: Int, nTest: Int, width: Int, kernel: [[Double]], ntk: [[Double]], ntkCorrection: [[Double]],
                ntkCovarianceA: [Double], ntkCovarianceB: [Double],
                p: [Double], q: [Double], r: [Double], s: [Double], t: [Double], u: [Double]) {
        self.nTrain = nTrain; self.nTest = nTest; self.width = width
        self.kernel = kernel; self.ntk = ntk; self.ntkCorrection = ntkCorrection
        self.ntkCovarianceA = ntkCovarianceA; self.ntkCovarianceB = ntkCovarianceB
        self.p = p; self.q = q; self.r = r; self.s = s; self.t = t; self.u = u
    }
}

/// The mean test output of a finite-width MLP trained by full-batch gradient descent on MSE, to order 1/n
/// (PDLT ch. ∞, §∞.2–∞.3, "nearly-kernel" dynamics; derivation, the moments that enter and why the others
/// do not, and the JAX verification: docs/derivations/trained-mean.md, bench/nt/check_trained_mean.py):
///
///   E[z_{i;β}(T)] = m^∞_{βi} + m¹_{βi}/n + O(1/n²),
///
/// after T steps θ ← θ − ηλ∇L of L = (1/(2Nk)) Σ (z − y)² (`SampledNetwork.train`; the clock of
/// `InfiniteWidthPrediction.discreteGradientDescentEnsemble`). With X = η/(N k), Θ_AA = V diag(λ) Vᵀ the
/// train NTK, u_p = 1 − Xλ_p, ỹ = Vᵀy:
/// - m^∞ = Θ_βA V diag(X Σ_{s<T} u_p^s) ỹ, the infinite-width (NTK) mean on the discrete clock;
/// - m¹ = Σ of four parts, each an exact finite sum over eigenmodes: "ntk mean Θ¹" (the NTK mean
///   correction, first order), "ntk fluctuation" (second order in Ĥ − E[Ĥ], through A and B), "dNTK"
///   (P, Q contracted with y) and "ddNTK" (R, S, T, U contracted with K y and y y y).
/// Each part is a time-ordered sum over the step(s) at which the dNTK/ddNTK/NTK perturbation acts; with
/// the residual decaying by u_p per step, the sum over T steps of a product of geometric factors is the
/// complete homogeneous symmetric polynomial h_{T−m}(rates of the m + 1 time segments), computed exactly as
/// an entry of the T-th power of a ≤ 4 × 4 bidiagonal matrix (no cancellation for close or repeated
/// eigenvalues); T = ∞ is the closed form Π 1/(1 − rate). The learning rate enters exactly (no
/// continuous-time approximation): at T = ∞, m^∞ is η-independent but m¹ is not (algorithm dependence).
///
/// Scope: smooth activations (checked against trained tanh and GELU ensembles). For ReLU-like kinks the
/// trained mean leaves its linearization by O(n^{−1/2}) after more than one step — units pushed across the
/// kink at the training inputs — which no Taylor expansion in the parameters contains; m¹ is then not the
/// finite-width correction (derivation §8.4).
public enum FiniteWidthTrainedMean {
    public struct Result: Sendable {
        /// m^∞, nTest × k.
        public var infiniteWidth: Matrix
        /// m¹/n, nTest × k (the mean is infiniteWidth + correction).
        public var correction: Matrix
        /// The parts of `correction` (each already divided by n; they sum to it): "ntk mean Θ¹",
        /// "ntk fluctuation", "dNTK", "ddNTK".
        public var parts: [(name: String, value: Matrix)]
    }

    /// The prediction for `targets` y (nTrain × k) after `steps` steps of gradient descent at learning rate
    /// η (`steps` nil: trained to convergence). Throws `TrainingError` for inconsistent shapes, non-finite
    /// input, a singular train NTK, or an unstable learning rate (η ≥ 2Nk/λ_max, where the expansion
    /// around the infinite-width dynamics does not exist).
    public static func predict(_ s: FiniteWidthTrainingStatistics, targets y: Matrix, steps: Int?,
                               learningRate eta: Double) throws -> Result {
        let ctx = try Context(s, y: y, steps: steps, eta: eta)
        let scale = 1 / Double(s.width)
        let ntkMean = try ctx.ntkMeanPart(), fluctuation = try ctx.ntkFluctuationPart()
        let dntk = try ctx.dntkPart(), ddntk = try ctx.ddntkPart()
        let parts: [(name: String, value: Matrix)] = [("ntk mean Θ¹", scale * ntkMean), ("ntk fluctuation", scale * fluctuation),
                                                      ("dNTK", scale * dntk), ("ddNTK", scale * ddntk)]
        var correction = Matrix(rows: s.nTest, cols: y.cols)
        for part in parts { correction = correction + part.value }
        let infinite = try ctx.infiniteWidthMean()
        return Result(infiniteWidth: infinite, correction: correction, parts: parts)
    }
}

// MARK: - Implementation

extension FiniteWidthTrainedMean {
    /// Everything in the mixed basis: training indices rotated into the eigenbasis of Θ_AA (index p ↔
    /// eigenvector p), test indices unchanged; an "all-inputs" index δ runs over 0..<nTrain (eigenmodes)
    /// then nTrain..<N (test inputs).
    struct Context {
        let nTr: Int, nTe: Int, n: Int, k: Int
        let steps: Int?
        let x: Double                       // η/(N k)
        let lambda: [Double], u: [Double]
        let v: Matrix                       // eigenvectors (columns)
        let yt: Matrix                      // ỹ = Vᵀ y, nTr × k
        let kt: Matrix                      // Vᵀ K_AA V
        let y2: Matrix                      // ỹ ỹᵀ (the Gram over outputs), nTr × nTr
        let thetaTestTrain: Matrix          // Θ_βA V, nTe × nTr
        let rho: Matrix                     // ρ_βp = (Θ_βA V)_p/λ_p
        let stats: FiniteWidthTrainingStatistics

        init(_ s: FiniteWidthTrainingStatistics, y: Matrix, steps: Int?, eta: Double) throws {
            let n = s.nTrain + s.nTest
            guard s.nTrain >= 1, s.nTest >= 0 else { throw TrainingError.invalid("need at least one training input, got \(s.nTrain)") }
            guard s.width >= 1 else { throw TrainingError.invalid("the width must be ≥ 1, got \(s.width)") }
            guard y.rows == s.nTrain, y.cols >= 1 else {
                throw TrainingError.shape("the targets are \(y.rows) × \(y.cols), expected \(s.nTrain) × k with k ≥ 1")
            }
            guard y.isFinite else { throw TrainingError.nonFinite("the targets contain NaN or infinite values") }
            guard eta > 0, eta.isFinite else { throw TrainingError.invalid("the learning rate must be > 0, got \(eta)") }
            if let steps { guard steps >= 0 else { throw TrainingError.invalid("the number of steps must be ≥ 0, got \(steps)") } }
            for (name, m) in [("kernel", s.kernel), ("ntk", s.ntk), ("ntkCorrection", s.ntkCorrection)] {
                guard m.count == n, m.allSatisfy({ $0.count == n }) else {
                    throw TrainingError.shape("\(name) must be \(n) × \(n) (nTrain + nTest)")
                }
                guard m.allSatisfy({ $0.allSatisfy(\.isFinite) }) else { throw TrainingError.nonFinite("\(name) contains NaN or infinite values") }
            }
            for (name, t) in [("ntkCovarianceA", s.ntkCovarianceA), ("ntkCovarianceB", s.ntkCovarianceB), ("p", s.p), ("q", s.q),
                              ("r", s.r), ("s", s.s), ("t", s.t), ("u", s.u)] {
                guard t.count == n * n * n * n else { throw TrainingError.shape("\(name) must have N⁴ = \(n * n * n * n) entries, has \(t.count)") }
                guard t.allSatisfy(\.isFinite) else { throw TrainingError.nonFinite("\(name) contains NaN or infinite values") }
            }
            let nTr = s.nTrain, nTe = s.nTest, k = y.cols
            let full = try Matrix(s.ntk)
            var train = Matrix(rows: nTr, cols: nTr)
            for a in 0..<nTr { for b in 0..<nTr { train[a, b] = 0.5 * (full[a, b] + full[b, a]) } }
            let eig = try SymmetricEigen(train)
            let lmax = eig.values.last ?? 0, lmin = eig.values.first ?? 0
            guard lmax > 0, lmin > 1e-12 * lmax else {
                throw TrainingError.singular("the training NTK is singular or not positive definite (eigenvalues \(lmin) … \(lmax)); "
                                             + "the finite-width expansion needs every mode to be trained")
            }
            let x = eta / Double(nTr * k)
            guard x * lmax < 2 else {
                throw TrainingError.invalid("learning rate \(eta) is unstable: gradient descent on the infinite-width model needs "
                                            + "η < 2·N·k/λ_max = \(2 * Double(nTr * k) / lmax)")
            }
            self.nTr = nTr; self.nTe = nTe; self.n = n; self.k = k; self.steps = steps; self.x = x
            self.lambda = eig.values
            self.u = eig.values.map { 1 - x * $0 }
            self.v = eig.vectors
            let yt = try Matrix.product(eig.vectors, y, transposeA: true)
            let kernel = try Matrix(s.kernel)
            var kAA = Matrix(rows: nTr, cols: nTr)
            for a in 0..<nTr { for b in 0..<nTr { kAA[a, b] = kernel[a, b] } }
            var tba = Matrix(rows: nTe, cols: nTr)
            for b in 0..<nTe { for a in 0..<nTr { tba[b, a] = full[nTr + b, a] } }
            let thetaTestTrain = try Matrix.product(tba, eig.vectors)
            var rho = thetaTestTrain
            for b in 0..<nTe { for p in 0..<nTr { rho[b, p] /= eig.values[p] } }
            self.yt = yt
            self.kt = try Matrix.product(eig.vectors, try Matrix.product(kAA, eig.vectors), transposeA: true)
            self.y2 = try Matrix.product(yt, yt, transposeB: true)
            self.thetaTestTrain = thetaTestTrain
            self.rho = rho
            self.stats = s
        }

        // MARK: time sums

        /// The sum over the gaps of a time-ordered sum with m = head.count source times:
        /// h_{T−m}(head₀ …, last), `last` the rate of the final segment (1 for the direct and T = ∞ parts,
        /// u_r for the finite-T response of training mode r). T = ∞: Π 1/(1 − head) for last = 1, else 0.
        @inline(__always)
        func timeSum(_ head: SIMD4<Double>, _ m: Int, last: Double, direct: Bool) -> Double {
            guard let steps else {
                guard direct else { return 0 }
                var out = 1.0
                for i in 0..<m { out /= 1 - head[i] }
                return out
            }
            var rates = head
            rates[m] = last
            return FiniteWidthTrainedMean.bidiagonalPower(rates, size: m + 1, exponent: steps)
        }

        /// Σ_δ w_βδ S1[δ, i] + Σ_r ρ_βr Su[r, i]: the response of the test outputs to a mean source, with
        /// S1 (N × k) contracted with the rate-1 time sums and Su (nTr × k) with the rate-u_r ones;
        /// w_βδ = −ρ_βδ for training modes, δ_ββ′ for test inputs.
        func respond(_ s1: Matrix, _ su: Matrix) throws -> Matrix {
            var out = Matrix(rows: nTe, cols: k)
            for b in 0..<nTe { for i in 0..<k { out[b, i] = s1[nTr + b, i] } }
            var train = Matrix(rows: nTr, cols: k)
            for r in 0..<nTr { for i in 0..<k { train[r, i] = s1[r, i] - su[r, i] } }
            try out.addProduct(rho, train, alpha: -1)
            return out
        }

        // MARK: parts

        func infiniteWidthMean() throws -> Matrix {
            var scaled = yt
            for p in 0..<nTr {
                let f = x * timeSum(SIMD4(u[p], 0, 0, 0), 1, last: 1, direct: true)
                for i in 0..<k { scaled[p, i] *= f }
            }
            return try Matrix.product(thetaTestTrain, scaled)
        }

        /// (i) Θ¹: source X Θ̃¹_δq u_q^t ỹ_q at every step t.
        func ntkMeanPart() throws -> Matrix {
            let th1 = try Matrix(stats.ntkCorrection)
            let rot = try rotated2(th1)                        // Θ̃¹, N × nTr (δ, q)
            var s1 = Matrix(rows: n, cols: k), su = Matrix(rows: nTr, cols: k)
            let f1 = (0..<nTr).map { timeSum(SIMD4(u[$0], 0, 0, 0), 1, last: 1, direct: true) }
            for d in 0..<n { for q in 0..<nTr {
                let c = x * rot[d, q]
                for i in 0..<k { s1[d, i] += c * f1[q] * yt[q, i] }
            } }
            if steps != nil {
                for r in 0..<nTr { for q in 0..<nTr {
                    let c = x * rot[r, q] * timeSum(SIMD4(u[q], 0, 0, 0), 1, last: u[r], direct: false)
                    for i in 0..<k { su[r, i] += c * yt[q, i] }
                } }
            }
            return try respond(s1, su)
        }

        /// (ii) NTK fluctuations: −X² Σ_{s<t} u_p^s u_q^{t−1−s} 𝔸_δqp ỹ_p, 𝔸_δqp = Ã_δqqp + B̃_δqqp + k B̃_δqpq.
        func ntkFluctuationPart() throws -> Matrix {
            let a = try Blocks(stats.ntkCovarianceA, self, testAxes: [0]), b = try Blocks(stats.ntkCovarianceB, self, testAxes: [0])
            var s1 = Matrix(rows: n, cols: k), su = Matrix(rows: nTr, cols: k)
            let kk = Double(k)
            var f1 = [Double](repeating: 0, count: nTr * nTr)
            for p in 0..<nTr { for q in 0..<nTr { f1[p * nTr + q] = timeSum(SIMD4(u[p], u[q], 0, 0), 2, last: 1, direct: true) } }
            for d in 0..<n { for q in 0..<nTr { for p in 0..<nTr {
                let aa = a.value(d, q, q, p, deltaAxis: 0) + b.value(d, q, q, p, deltaAxis: 0) + kk * b.value(d, q, p, q, deltaAxis: 0)
                let c = -x * x * aa
                let fu = (steps != nil && d < nTr) ? timeSum(SIMD4(u[p], u[q], 0, 0), 2, last: u[d], direct: false) : 0
                for i in 0..<k {
                    s1[d, i] += c * f1[p * nTr + q] * yt[p, i]
                    if d < nTr { su[d, i] += c * fu * yt[p, i] }
                }
            } } }
            return try respond(s1, su)
        }

        /// (iii) dNTK: the z update (X²/2) dĤ ε ε (rate u_p u_q) and the NTK update −X(dĤ + dĤᵀ)ε acting on
        /// a later residual (rates u_p u_q, then u_q), with E[dĤ ε ε] = −E[dĤ ξ] y − … (§3).
        func dntkPart() throws -> Matrix {
            let pb = try Blocks(stats.p, self, testAxes: [0, 1]), qb = try Blocks(stats.q, self, testAxes: [0, 1, 2])
            var s1 = Matrix(rows: n, cols: k), su = Matrix(rows: nTr, cols: k)
            let kk = Double(k)
            for d in 0..<n { for p in 0..<nTr { for q in 0..<nTr {
                let uu = u[p] * u[q]
                // (X²/2) dĤ ε(t) ε(t): −X² (P̃_δpqp + Q̃_δpqp + k Q̃_δqpp) ỹ_q, time sum h(u_p u_q; ·)
                let c1 = -x * x * (pb.value(d, p, q, p, deltaAxis: 0) + qb.value(d, p, q, p, deltaAxis: 0)
                                   + kk * qb.value(d, q, p, p, deltaAxis: 0))
                // NTK update: −X² (𝔓a ỹ_q + 𝔓b ỹ_p), time sum u_q h(u_p u_q, u_q; ·)
                // 𝔓a = P̃_δqpp + Q̃_δpqp + k Q̃_δqpp + P̃_qδpp + Q̃_qpδp + k Q̃_qδpp
                var pa = pb.value(d, q, p, p, deltaAxis: 0) + qb.value(d, p, q, p, deltaAxis: 0)
                pa += kk * qb.value(d, q, p, p, deltaAxis: 0) + pb.value(q, d, p, p, deltaAxis: 1)
                pa += qb.value(q, p, d, p, deltaAxis: 2) + kk * qb.value(q, d, p, p, deltaAxis: 1)
                // 𝔓b = P̃_δqpq + Q̃_δqpq + k Q̃_δpqq + k P̃_qδpq + Q̃_qδpq + Q̃_qpδq
                var pbv = pb.value(d, q, p, q, deltaAxis: 0) + qb.value(d, q, p, q, deltaAxis: 0)
                pbv += kk * qb.value(d, p, q, q, deltaAxis: 0) + kk * pb.value(q, d, p, q, deltaAxis: 1)
                pbv += qb.value(q, d, p, q, deltaAxis: 1) + qb.value(q, p, d, q, deltaAxis: 2)
                let f1a = timeSum(SIMD4(uu, 0, 0, 0), 1, last: 1, direct: true)
                let f1b = u[q] * timeSum(SIMD4(uu, u[q], 0, 0), 2, last: 1, direct: true)
                var fua = 0.0, fub = 0.0
                if steps != nil && d < nTr {
                    fua = timeSum(SIMD4(uu, 0, 0, 0), 1, last: u[d], direct: false)
                    fub = u[q] * timeSum(SIMD4(uu, u[q], 0, 0), 2, last: u[d], direct: false)
                }
                for i in 0..<k {
                    let src1 = c1 * yt[q, i]
                    let src2 = -x * x * (pa * yt[q, i] + pbv * yt[p, i])
                    s1[d, i] += src1 * f1a + src2 * f1b
                    if d < nTr { su[d, i] += src1 * fua + src2 * fub }
                }
            } } }
            return try respond(s1, su)
        }

        /// (iv) ddNTKs: the pieces of `ddPieces` (§4), each with the three Wick pairings of E[dd] and the
        /// four terms of E[ε ε ε] = −[K_ab y_c + K_ac y_b + K_bc y_a + y_a y_b y_c] (output indices by the rule
        /// of §4: a factor k when K pairs the two residuals that E[dd] pairs with each other).
        func ddntkPart() throws -> Matrix {
            let m3 = nTr * nTr * nTr
            // time sums per structure, over (a, b, c) for rate 1 and over (r, a, b, c) for rate u_r
            var f1: [[Double]] = [], fu: [[Double]] = []
            for structure in DDTime.allCases {
                var one = [Double](repeating: 0, count: m3)
                var resp = [Double](repeating: 0, count: steps == nil ? 0 : nTr * m3)
                for a in 0..<nTr { for b in 0..<nTr { for c in 0..<nTr {
                    let (head, m, pre) = structure.head(u[a], u[b], u[c])
                    let idx = (a * nTr + b) * nTr + c
                    one[idx] = pre * timeSum(head, m, last: 1, direct: true)
                    if steps != nil {
                        for r in 0..<nTr { resp[r * m3 + idx] = pre * timeSum(head, m, last: u[r], direct: false) }
                    }
                } } }
                f1.append(one); fu.append(resp)
            }
            // fac[part][(abc)·k + i] for the residual paired with the updated output being a, b or c
            let kk = Double(k)
            var fac = [[Double]](repeating: [Double](repeating: 0, count: m3 * k), count: 3)
            for a in 0..<nTr { for b in 0..<nTr { for c in 0..<nTr { for i in 0..<k {
                let kab = kt[a, b] * yt[c, i], kac = kt[a, c] * yt[b, i], kbc = kt[b, c] * yt[a, i]
                let idx = ((a * nTr + b) * nTr + c) * k + i
                fac[0][idx] = kab + kac + kk * kbc + yt[a, i] * y2[b, c]
                fac[1][idx] = kab + kk * kac + kbc + yt[b, i] * y2[a, c]
                fac[2][idx] = kk * kab + kac + kbc + yt[c, i] * y2[a, b]
            } } } }
            var s1 = Matrix(rows: n, cols: k), su = Matrix(rows: nTr, cols: k)
            let tensors: [(DDKind, Int, [Double])] = [(.d3, 0, stats.r), (.d4, 0, stats.s), (.d4, 1, stats.t), (.d4, 2, stats.u)]
            for (kind, pairing, data) in tensors {
                let blocks = try Blocks(data, self, testAxes: [0, 1, 2])
                for piece in FiniteWidthTrainedMean.ddPieces where piece.kind == kind {
                    for pr in (kind == .d3 ? [0, 1, 2] : [pairing]) {
                        // tensor axis j holds the label of slot axes[j]
                        let axes = kind == .d3 ? [[0, 1, 2, 3], [0, 2, 1, 3], [0, 3, 1, 2]][pr] : [0, 1, 2, 3]
                        let pairs = [[(0, 1), (2, 3)], [(0, 2), (1, 3)], [(0, 3), (1, 2)]][pr]
                        let iSlot = piece.labels.firstIndex(of: .i)!
                        let withI = pairs[0].0 == iSlot || pairs[0].1 == iSlot ? pairs[0] : pairs[1]
                        let partner = piece.labels[withI.0 == iSlot ? withI.1 : withI.0]
                        let part = partner == .a ? 0 : (partner == .b ? 1 : 2)
                        var axisOf = [Int](repeating: 0, count: 4)      // label (i, a, b, c) → tensor axis
                        for j in 0..<4 { axisOf[piece.labels[axes[j]].rawValue] = j }
                        let tp = blocks.gather(axisOf: axisOf)          // N × nTr³: T[δ, a, b, c]
                        let coef = -piece.coefficient * x * x * x       // the −1 of E[ε ε ε] times the piece's
                        let t = piece.time.rawValue
                        // rate-1 part: S1 += coef · Tp · (fac ⊙ F1)
                        var g = Matrix(rows: m3, cols: k)
                        for abc in 0..<m3 { for i in 0..<k { g[abc, i] = coef * fac[part][abc * k + i] * f1[t][abc] } }
                        try s1.addProduct(tp, g)
                        if steps != nil {
                            for r in 0..<nTr {
                                var acc = [Double](repeating: 0, count: k)
                                let row = r * m3
                                for abc in 0..<m3 {
                                    let w = tp.storage[row + abc] * fu[t][row + abc]
                                    for i in 0..<k { acc[i] += w * fac[part][abc * k + i] }
                                }
                                for i in 0..<k { su[r, i] += coef * acc[i] }
                            }
                        }
                    }
                }
            }
            return try respond(s1, su)
        }

        /// Θ̃ for a matrix over all inputs, rows δ (mixed basis, N) × columns q (training eigenbasis).
        func rotated2(_ m: Matrix) throws -> Matrix {
            var cols = Matrix(rows: n, cols: nTr)
            for d in 0..<n { for a in 0..<nTr { cols[d, a] = m[d, a] } }
            let right = try Matrix.product(cols, v)                         // (M V)_{δ q}, δ original
            var out = Matrix(rows: n, cols: nTr)
            var top = Matrix(rows: nTr, cols: nTr)
            for a in 0..<nTr { for q in 0..<nTr { top[a, q] = right[a, q] } }
            let rotTop = try Matrix.product(v, top, transposeA: true)
            for p in 0..<nTr { for q in 0..<nTr { out[p, q] = rotTop[p, q] } }
            for b in 0..<nTe { for q in 0..<nTr { out[nTr + b, q] = right[nTr + b, q] } }
            return out
        }
    }

    /// The blocks of a flat N⁴ tensor that the formula reads, in the mixed basis: all four indices over the
    /// training eigenmodes (nTr⁴), and, for each axis j in `testAxes`, that axis over the test inputs and
    /// the other three over the training eigenmodes (nTe·nTr³).
    struct Blocks {
        let nTr: Int, nTe: Int, n: Int
        let train: [Double]
        let test: [[Double]]

        init(_ data: [Double], _ ctx: Context, testAxes: [Int]) throws {
            nTr = ctx.nTr; nTe = ctx.nTe; n = ctx.n
            train = try Blocks.rotate(data, n: ctx.n, nTr: ctx.nTr, v: ctx.v, testAxis: nil)
            var t = [[Double]](repeating: [], count: 4)
            if ctx.nTe > 0 {
                for axis in testAxes { t[axis] = try Blocks.rotate(data, n: ctx.n, nTr: ctx.nTr, v: ctx.v, testAxis: axis) }
            }
            test = t
        }

        /// X̃_{i₀i₁i₂i₃}, where the index on `deltaAxis` is an all-inputs index (< nTr: eigenmode, else the test
        /// input δ − nTr) and the other three are eigenmodes.
        @inline(__always)
        func value(_ i0: Int, _ i1: Int, _ i2: Int, _ i3: Int, deltaAxis: Int) -> Double {
            let delta: Int
            switch deltaAxis {
            case 0: delta = i0
            case 1: delta = i1
            case 2: delta = i2
            default: delta = i3
            }
            if delta < nTr { return train[((i0 * nTr + i1) * nTr + i2) * nTr + i3] }
            let d1 = deltaAxis == 1 ? nTe : nTr, d2 = deltaAxis == 2 ? nTe : nTr, d3 = deltaAxis == 3 ? nTe : nTr
            let j0 = deltaAxis == 0 ? i0 - nTr : i0, j1 = deltaAxis == 1 ? i1 - nTr : i1
            let j2 = deltaAxis == 2 ? i2 - nTr : i2, j3 = deltaAxis == 3 ? i3 - nTr : i3
            return test[deltaAxis][((j0 * d1 + j1) * d2 + j2) * d3 + j3]
        }

        /// T[δ, a, b, c] (N × nTr³) with label l ∈ (i, a, b, c) on tensor axis axisOf[l], δ the index of label i.
        func gather(axisOf: [Int]) -> Matrix {
            let m3 = nTr * nTr * nTr
            var out = Matrix(rows: n, cols: m3)
            let strideTrain = [nTr * nTr * nTr, nTr * nTr, nTr, 1]
            var dims = [nTr, nTr, nTr, nTr]
            dims[axisOf[0]] = nTe
            let strideTest = [dims[1] * dims[2] * dims[3], dims[2] * dims[3], dims[3], 1]
            let testData = test[axisOf[0]]
            for d in 0..<n {
                let isTrain = d < nTr
                let st = isTrain ? strideTrain : strideTest
                let base = (isTrain ? d : d - nTr) * st[axisOf[0]]
                let sa = st[axisOf[1]], sb = st[axisOf[2]], sc = st[axisOf[3]]
                let row = d * m3
                if isTrain {
                    for a in 0..<nTr { for b in 0..<nTr { for c in 0..<nTr {
                        out.storage[row + (a * nTr + b) * nTr + c] = train[base + a * sa + b * sb + c * sc]
                    } } }
                } else {
                    for a in 0..<nTr { for b in 0..<nTr { for c in 0..<nTr {
                        out.storage[row + (a * nTr + b) * nTr + c] = testData[base + a * sa + b * sb + c * sc]
                    } } }
                }
            }
            return out
        }

        /// The block (every axis over the training inputs except `testAxis`, over the test inputs), each
        /// training axis rotated: X̃_{p…} = Σ_a V_ap X_{a…}. Four rounds of "rotate the last axis (one DGEMM),
        /// then move it to the front".
        static func rotate(_ x: [Double], n: Int, nTr: Int, v: Matrix, testAxis: Int?) throws -> [Double] {
            var dims = [nTr, nTr, nTr, nTr]
            if let j = testAxis { dims[j] = n - nTr }
            let off = (0..<4).map { $0 == testAxis ? nTr : 0 }
            let count = dims.reduce(1, *)
            var cur = [Double](repeating: 0, count: count)
            if count == 0 { return cur }
            for i0 in 0..<dims[0] { for i1 in 0..<dims[1] { for i2 in 0..<dims[2] { for i3 in 0..<dims[3] {
                cur[((i0 * dims[1] + i1) * dims[2] + i2) * dims[3] + i3] =
                    x[(((i0 + off[0]) * n + i1 + off[1]) * n + i2 + off[2]) * n + i3 + off[3]]
            } } } }
            var cd = dims, ids = [0, 1, 2, 3]
            for _ in 0..<4 {
                if ids[3] != testAxis {
                    cur = try Matrix.product(try Matrix(rows: count / cd[3], cols: cd[3], storage: cur), v).storage
                }
                var next = [Double](repeating: 0, count: count)
                let (d0, d1, d2, d3) = (cd[0], cd[1], cd[2], cd[3])
                for a in 0..<d0 { for b in 0..<d1 { for c in 0..<d2 { for d in 0..<d3 {
                    next[((d * d0 + a) * d1 + b) * d2 + c] = cur[((a * d1 + b) * d2 + c) * d3 + d]
                } } } }
                cur = next
                cd = [d3, d0, d1, d2]
                ids = [ids[3], ids[0], ids[1], ids[2]]
            }
            return cur
        }
    }

    // MARK: the ddNTK source terms (derivation §4)

    enum DDKind: Sendable { case d3, d4 }
    enum Label: Int, Sendable { case i = 0, a, b, c }

    /// Time structures of the ddNTK sources: `a` all three residuals at the source step t; `b` a, b at t and
    /// c at s < t; `c1` c at t and a, b at s < t; `c2` a at r < b at s < c at t.
    enum DDTime: Int, CaseIterable, Sendable {
        case a = 0, b, c1, c2

        /// (head rates of the segments before the last, their count m, the prefactor Π of the inner rates).
        func head(_ ua: Double, _ ub: Double, _ uc: Double) -> (SIMD4<Double>, Int, Double) {
            let all = ua * ub * uc
            switch self {
            case .a: return (SIMD4(all, 0, 0, 0), 1, 1)
            case .b: return (SIMD4(all, ua * ub, 0, 0), 2, ua * ub)
            case .c1: return (SIMD4(all, uc, 0, 0), 2, uc)
            case .c2: return (SIMD4(all, ub * uc, uc, 0), 3, ub * uc * uc)
            }
        }
    }

    struct DDPiece: Sendable {
        let kind: DDKind
        let labels: [Label]          // the output/sample label of each of the four slots
        let coefficient: Double      // in units of X³
        let time: DDTime
    }

    /// z update −(X³/6) dd_I ε³; dNTK update 𝒥 = dd_I + dd_II + dd_II(slots 1↔2) felt by the z update
    /// (X²/2) dĤ ε ε (−X³/2) and, through the NTK update, by −X Ĥ ε (−X³, 𝒥 and its transpose); NTK
    /// second-order update 𝒦 = ½dd_I + ½dd_I(slots 0↔1) + dd_II (−X³).
    static let ddPieces: [DDPiece] = {
        func j(_ l: [Label], _ c: Double, _ t: DDTime) -> [DDPiece] {
            [DDPiece(kind: .d3, labels: l, coefficient: c, time: t), DDPiece(kind: .d4, labels: l, coefficient: c, time: t),
             DDPiece(kind: .d4, labels: [l[0], l[2], l[1], l[3]], coefficient: c, time: t)]
        }
        var out = [DDPiece(kind: .d3, labels: [.i, .a, .b, .c], coefficient: -1.0 / 6, time: .a)]
        out += j([.i, .a, .b, .c], -0.5, .b)
        out += [DDPiece(kind: .d3, labels: [.i, .c, .a, .b], coefficient: -0.5, time: .c1),
                DDPiece(kind: .d3, labels: [.c, .i, .a, .b], coefficient: -0.5, time: .c1),
                DDPiece(kind: .d4, labels: [.i, .c, .a, .b], coefficient: -1, time: .c1)]
        out += j([.i, .c, .b, .a], -1, .c2) + j([.c, .i, .b, .a], -1, .c2)
        return out
    }()

    /// (J^N)_{0, m−1} for the m × m bidiagonal J = diag(rates) + superdiagonal ones (m ≤ 4), by repeated
    /// squaring: h_{N−m+1}(rates), the complete homogeneous symmetric polynomial (Opitz: f(J)_{0,m−1} is the
    /// divided difference f[r₀, …, r_{m−1}], and for f = x^N that is h_{N−m+1}); exact for repeated rates.
    static func bidiagonalPower(_ rates: SIMD4<Double>, size m: Int, exponent: Int) -> Double {
        var result = SIMD16<Double>(repeating: 0)
        var power = SIMD16<Double>(repeating: 0)
        for i in 0..<m {
            result[i * 4 + i] = 1
            power[i * 4 + i] = rates[i]
            if i + 1 < m { power[i * 4 + i + 1] = 1 }
        }
        @inline(__always) func mul(_ a: SIMD16<Double>, _ b: SIMD16<Double>) -> SIMD16<Double> {
            var c = SIMD16<Double>(repeating: 0)
            for i in 0..<m { for j in i..<m {
                var s = 0.0
                for l in i...j { s += a[i * 4 + l] * b[l * 4 + j] }
                c[i * 4 + j] = s
            } }
            return c
        }
        var e = exponent
        while e > 0 {
            if e & 1 == 1 { result = mul(result, power) }
            e >>= 1
            if e > 0 { power = mul(power, power) }
        }
        return result[m - 1]
    }
}
