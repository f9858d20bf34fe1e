import Architecture
import FiniteWidth
import Foundation
import Linalg
import SampledNetworks
import Statistics
import Training

/// The mean test output of finite-width networks after gradient descent, measured against the
/// infinite-width prediction m^∞ at the same step count (PDLT §∞.2–∞.3): at width n the shift
/// E[z(T)] − m^∞ is m¹/n + O(1/n²). The measurement splits it into two pieces, each with a small variance:
/// - the network minus its own linearization (same initialization, same steps): the dNTK and ddNTK
///   effects, O(1/n) per network, so n·E[z − z_lin] has a standard error ~1/√M. The linearized model's
///   output is exact in closed form, z_lin(T) = z₀(β) + g(Ĥ)(y − z₀(A)) with the kernel-regression operator
///   of the empirical NTK g(Ĥ) = Ĥ_{βA} Ĥ̃⁻¹[1 − (1 − aĤ̃)^T] (a = η/N; `LinearModel`, `InfiniteWidthPrediction`);
/// - the linearized network minus m^∞: its mean is exactly E[g(Ĥ)] y − m^∞ (the z₀ terms drop out by the
///   symmetry W^(L), b^(L) → −W^(L), −b^(L), under which z → −z and Ĥ is unchanged): the NTK mean
///   correction and the NTK fluctuations. It needs only Ĥ at initialization, so it is estimated on a
///   separate, larger ensemble of untrained networks (its per-network spread is O(1/√n)).
/// The two ensembles are disjoint (networks 0..<M are trained, M..<M + M_init are not), so the standard
/// errors of the sum add in quadrature. Estimates are in units of 1/n: n·(sample mean) ± n·sd/√M.
public struct TrainedMeanStudy: Sendable {
    public struct Point: Sendable {
        public var width: Int
        public var learningRate: Double
        public var steps: Int
        /// Per test input: n·E[z − z_lin], n·E[g(Ĥ)y − m^∞] and their sum n·E[z(T) − m^∞].
        public var networkMinusLinearized: [MomentAccumulator.Estimate]
        public var linearizedShift: [MomentAccumulator.Estimate]
        public var total: [MomentAccumulator.Estimate]
        /// n·E[z_first schedule − z_this schedule] per test input (paired: the same networks); zero for the first.
        public var differenceFromFirst: [MomentAccumulator.Estimate]
        /// The largest final train loss relative to its start, over the trained networks (convergence check).
        public var worstFinalLoss: Double
    }

    /// Train M networks of `spec` at width n for every (η, T) in `schedules` (the same initializations for
    /// every schedule: network k of ensemble `seed + n`), and evaluate g(Ĥ) on `initNetworks` more.
    public static func measure(spec base: NetworkSpec, train x: Matrix, targets y: Matrix, test: Matrix, width n: Int,
                               schedules: [(learningRate: Double, steps: Int)], networks: Int, initNetworks: Int,
                               seed: UInt64) throws -> [Point] {
        precondition(y.cols == 1 && !schedules.isEmpty, "the trained-mean study is for one output and at least one schedule")
        var spec = base.with(inputDimension: x.cols).with(outputWidth: 1)
        spec.hiddenWidths = [Int](repeating: n, count: spec.depth - 1)
        let infinite = try InfiniteWidthPrediction.Kernels(spec: spec, train: x, test: test)
        let all = try Matrix(x.rowArrays + test.rowArrays)
        let (nA, nB) = (x.rows, test.rows)
        let mInf = try schedules.map {
            try InfiniteWidthPrediction.discreteGradientDescentEnsemble(infinite, targets: y, steps: $0.steps, learningRate: $0.learningRate, kernel: .ntk).mean
        }
        /// g(Ĥ) r for every schedule, from the empirical NTK on train ∪ test.
        @Sendable func kernelRegression(_ net: SampledNetwork, _ r: (Matrix) -> Matrix) throws -> [Matrix] {
            let h = try net.empiricalNTK(all)
            let hTrain = try Matrix((0..<nA).map { a in (0..<nA).map { h[a, $0] } })
            let hTestTrain = try Matrix((0..<nB).map { b in (0..<nA).map { h[nA + b, $0] } })
            let k = InfiniteWidthPrediction.Kernels(nngpTrain: hTrain, nngpTestTrain: hTestTrain, nngpTest: Matrix(rows: nB, cols: nB),
                                                    ntkTrain: hTrain, ntkTestTrain: hTestTrain)
            let z0 = try net.forward(x).last!
            return try schedules.map {
                try InfiniteWidthPrediction.discreteGradientDescentEnsemble(k, targets: r(z0), steps: $0.steps, learningRate: $0.learningRate,
                                                                            kernel: .ntk).mean
            }
        }
        let ensembleSeed = seed &+ UInt64(n)
        let trained = try Ensemble.map(spec: spec, seed: ensembleSeed, indices: Array(0..<networks)) { net -> [[Double]] in
            let z0Test = try net.forward(test).last!
            let g = try kernelRegression(net) { y - $0 }
            return try schedules.enumerated().map { s, schedule in
                let run = try net.train(x: x, y: y, test: test, steps: schedule.steps, learningRate: schedule.learningRate,
                                        model: .network, measureNTK: false)
                return (run.testOutputs - z0Test - g[s]).storage + run.testOutputs.storage
                    + [run.trainLoss.last! / max(run.trainLoss.first!, .leastNormalMagnitude)]
            }
        }
        let untrained = try Ensemble.map(spec: spec, seed: ensembleSeed, indices: Array(networks..<(networks + initNetworks))) { net in
            try kernelRegression(net) { _ in y }.enumerated().map { ($1 - mInf[$0]).storage }
        }
        let scale = Double(n)
        return schedules.enumerated().map { s, schedule in
            var shift = MomentAccumulator(channels: 2 * nB, order: 2), lin = MomentAccumulator(channels: nB, order: 2)
            var worst = 0.0
            for (k, v) in trained.enumerated() {
                let row = v[s], first = v[0]
                shift.add(index: k, values: Array(row[0..<nB]) + (0..<nB).map { first[nB + $0] - row[nB + $0] })
                worst = max(worst, row[2 * nB])
            }
            for (k, v) in untrained.enumerated() { lin.add(index: k, values: v[s]) }
            let a = (0..<nB).map { shift.mean($0).scaled(by: scale) }, b = (0..<nB).map { lin.mean($0).scaled(by: scale) }
            return Point(width: n, learningRate: schedule.learningRate, steps: schedule.steps, networkMinusLinearized: a, linearizedShift: b,
                         total: zip(a, b).map { MomentAccumulator.Estimate(value: $0.value + $1.value,
                                                                          standardError: ($0.standardError * $0.standardError + $1.standardError * $1.standardError).squareRoot()) },
                         differenceFromFirst: (0..<nB).map { shift.mean(nB + $0).scaled(by: scale) }, worstFinalLoss: worst)
        }
    }
}

extension TrainedMeanStudy {
    /// The report's task: three training images (two of digit 0, one of digit 1; targets ±1) and two test
    /// images from the shipped digits, standardized and put on the unit sphere (q₀ = 1): five inputs, so
    /// that every order-1/n tensor with up to four distinct inputs is computable.
    public static func digitsTask() throws -> (x: Matrix, y: Matrix, test: Matrix) {
        let digits = try Datasets.digits()
        let (xAll, _) = Datasets.firstExamples(digits, classes: [0, 1], perClass: 3)
        let x0 = Datasets.normalizeRows(Datasets.standardizeColumns(xAll))
        return (try Matrix([x0.row(0), x0.row(1), x0.row(3)]), try Matrix([[1.0], [1.0], [-1.0]]), try Matrix([x0.row(2), x0.row(4)]))
    }
}

extension TrainedMeanStudy {
    /// The order-1/n theory of the same measurement (`FiniteWidthTrainedMean` on the statistics of
    /// `MultiInputStatistics` for train ∪ test): per schedule, m¹ split into the part the network adds to its
    /// linearization (dNTK, ddNTK) and the part of the linearized network (NTK mean correction Θ¹ and
    /// NTK fluctuations), both in units of 1/n (n·(E[z] − m^∞) → m¹).
    public struct Theory: Sendable {
        public var networkMinusLinearized: [Double], linearizedShift: [Double], total: [Double]
        public var parts: [(name: String, value: [Double])]
    }

    public static func theory(spec base: NetworkSpec, train x: Matrix, targets y: Matrix, test: Matrix, width n: Int,
                              schedules: [(learningRate: Double, steps: Int?)]) throws -> [Theory] {
        var spec = base.with(inputDimension: x.cols).with(outputWidth: 1)
        spec.hiddenWidths = [Int](repeating: n, count: spec.depth - 1)
        let r = try MultiInputStatistics.compute(spec: spec, x: try Matrix(x.rowArrays + test.rowArrays))
        let statistics = FiniteWidthTrainingStatistics(
            nTrain: x.rows, nTest: test.rows, width: r.width, kernel: r.kernel, ntk: r.ntk, ntkCorrection: r.ntkCorrection,
            ntkCovarianceA: r.ntkCovarianceA.storage, ntkCovarianceB: r.ntkCovarianceB.storage,
            p: r.p.storage, q: r.q.storage, r: r.r.storage, s: r.s.storage, t: r.t.storage, u: r.u.storage)
        let scale = Double(r.width)
        return try schedules.map { schedule in
            let result = try FiniteWidthTrainedMean.predict(statistics, targets: y, steps: schedule.steps, learningRate: schedule.learningRate)
            let parts = result.parts.map { (name: $0.name, value: $0.value.storage.map { scale * $0 }) }
            func sum(_ names: [String]) -> [Double] {
                (0..<test.rows).map { b in parts.filter { names.contains($0.name) }.reduce(0) { $0 + $1.value[b] } }
            }
            let linear = sum(parts.map(\.name).filter { $0.hasPrefix("ntk") })
            let network = sum(parts.map(\.name).filter { !$0.hasPrefix("ntk") })
            return Theory(networkMinusLinearized: network, linearizedShift: linear, total: zip(network, linear).map(+), parts: parts)
        }
    }

    public struct Run: Sendable {
        /// points[width][schedule]; theory[schedule].
        public var points: [[Point]], theory: [Theory]
        public var description: String
        public var seconds: Double
    }

    /// The report's study: critical tanh (C_W = 1, C_b = 0), depth 3, on `digitsTask()`, widths `widths`;
    /// two schedules that both converge: η = 0.3 × the infinite-width stability bound for T steps and
    /// η/4 for 4T steps (algorithm dependence: same loss, different m¹).
    public static func run(widths: [Int] = [32, 64, 128, 256], networks: Int = 200, initNetworks: Int = 3000,
                           steps: Int = 200) throws -> Run {
        let start = Date()
        let (x, y, test) = try digitsTask()
        let spec = try NetworkSpec(inputDimension: x.cols, depth: 3, width: widths[0], outputWidth: 1, activation: .tanh, cb: 0, cw: 1)
        let kernels = try InfiniteWidthPrediction.Kernels(spec: spec, train: x, test: test)
        let eta = 0.3 * (try InfiniteWidthPrediction.stabilityBound(kernels, outputs: 1, kernel: .ntk))
        let schedules = [(learningRate: eta, steps: steps), (learningRate: eta / 4, steps: 4 * steps)]
        let theory = try self.theory(spec: spec, train: x, targets: y, test: test, width: widths[0],
                                     schedules: schedules.map { (learningRate: $0.learningRate, steps: Optional($0.steps)) })
        let points = try widths.map { n in
            try measure(spec: spec, train: x, targets: y, test: test, width: n, schedules: schedules, networks: networks,
                        initNetworks: initNetworks, seed: 41)
        }
        return Run(points: points, theory: theory, description: "critical tanh (C_W = 1, C_b = 0), depth 3", seconds: Date().timeIntervalSince(start))
    }
}
