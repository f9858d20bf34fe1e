import Foundation
import Gaussian
import Linalg
import Statistics
import WidthScaling

/// The report's mean-field study (Mei, Montanari & Nguyen, "A mean field view of the landscape of two-layer neural
/// networks", PNAS 115, E7665, 2018; Chizat & Bach, "On the global convergence of gradient descent for
/// over-parameterized models using optimal transport", NeurIPS 2018).
///
/// A two-layer ReLU network on one input, h(x) = (1/m) Σ_j a_j relu(w_j x + b_j), is a function of the empirical
/// measure ρ̂ = (1/m) Σ_j δ_{θ_j} of its particles θ_j = (a_j, w_j, b_j). Full-batch gradient descent on the square
/// loss L = (1/2N) Σ_i (h(x_i) − y_i)² at rate η·m per particle (the `meanField` scheme of `WidthScheme`, base width 1)
/// is θ_j ← θ_j − η ∇_θ Ψ(θ_j; ρ̂), Ψ(θ; ρ) = (1/N) Σ_i (h_ρ(x_i) − y_i) a relu(w x_i + b): every particle moves by O(1)
/// in the field of all the others, and as m → ∞ the measure follows a deterministic limit (MMN's distributional
/// dynamics; CB's Wasserstein gradient flow) from ρ₀ = N(0, 1)³. At finite m the network differs from that limit by
/// the fluctuation of an average of m independent particles, O(m^{−1/2}) (h itself starts at O(m^{−1/2}), not 0).
/// Under the NTK scaling (`ntk` scheme) the same particles give h = (1/√m) Σ_j a_j relu(w_j x + b_j) trained at rate η:
/// each particle moves by O(m^{−1/2}) (the kernel regime, Jacot et al. 2018; Chizat, Oyallon & Bach 2019), and h at
/// t = 0 is an O(1) Gaussian-process draw, so the trajectories converge in law but not path by path.
///
/// Task: N = 40 equally spaced x on [−2, 2] (an N × 1 input matrix; the biases place the knots), y = sin(2x)/2.
/// Initialization a_j, w_j, b_j ~ N(0, 1) in both scalings (C_W = 1 in both layers, C_b = 1 in the first; for a given
/// seed the two scalings start from the very same numbers). The output bias is held at 0 (the model is exactly the
/// sum above); otherwise the step is `ScaledMLP.train`'s SGD with each tensor's rate from `LayerRule`. Each width m is
/// trained from `seeds[k]` independent initializations (⌈seedBudget/m⌉, between 2 and maxSeeds), with different seeds
/// at different widths.
///
/// Computed, per scaling and width: the train loss every `recordEvery` steps; h on a grid of 61 points on [−2.5, 2.5]
/// at `checkpoints` (t = 0, T/10, T/5, 2T/5, 3T/5, 4T/5, T); the particles of the first seed at t = 0 and t = T; and
/// - the reference trajectory, the mean over the seeds of the largest width m_max of h (per checkpoint) and of the loss;
/// - `trajectoryDistance` (m < m_max): the RMS over seeds of max over checkpoints t > 0 of the RMS over the grid of
///   h_m − h_ref (t = 0 is reported apart as `initialDistance`: there it is only the central limit theorem for the
///   random initial function); `lossDistance`: the same with max over recorded steps t > 0 of |L_m − L_ref|;
///   mean field: ∝ m^{−1/2} (the reference's own (seeds·m_max)^{−1/2} noise flattens the last point slightly);
///   NTK: O(1), no decrease;
/// - `displacement`: the mean over seeds of (1/m) Σ_j ‖θ_j(T) − θ_j(0)‖₂ in the trained parameters (a_j, w_j, b_j):
///   O(1) and m-independent in mean field, ∝ m^{−1/2} under NTK;
/// - log–log slopes of these against m (`PowerLaw.slope`).
public struct MeanFieldStudy: Sendable {
    /// The particles θ_j = (a_j, w_j, b_j), j = 1 … m: output weights, input weights, input biases (trained parameters).
    public struct Particles: Sendable {
        public var a: [Double], w: [Double], b: [Double]
        /// Knots −b_j/w_j, where unit j's ReLU bends.
        public var knots: [Double] { zip(w, b).map { -$0.1 / $0.0 } }
        /// a_j|w_j|: in mean field h''(x) = (1/m) Σ_j a_j|w_j| δ(x − knot_j), so these are the curvature masses.
        public var masses: [Double] { zip(a, w).map { $0.0 * Swift.abs($0.1) } }
    }

    /// One trained network.
    public struct Run: Sendable {
        public var seed: UInt64
        /// Train loss at `lossSteps`.
        public var loss: [Double]
        /// h on `grid` at each of `checkpoints`: h[c][g].
        public var h: [[Double]]
        /// (1/m) Σ_j ‖θ_j(T) − θ_j(0)‖₂.
        public var displacement: Double
    }

    public struct Width: Sendable {
        public var width: Int
        public var runs: [Run]
        /// The particles of the first seed at t = 0 and t = T.
        public var initial: Particles, trained: Particles
        /// Mean over the seeds of the particle displacement.
        public var displacement: Double
        /// Distances to the reference trajectory (nil at the largest width, which defines it).
        public var trajectoryDistance: Double?, lossDistance: Double?, initialDistance: Double?
    }

    public struct Scaling: Sendable {
        public var scheme: WidthScheme
        public var widths: [Width]
        /// Mean over the seeds of the largest width: h per checkpoint, and the loss curve.
        public var referenceH: [[Double]], referenceLoss: [Double]
        /// Log–log slopes against m: trajectory and loss distances (widths below the largest), displacement (all).
        public var trajectorySlope: Double, lossSlope: Double, displacementSlope: Double
        /// L(0)/L(T) of the reference loss curve.
        public var lossDecrease: Double
    }

    public var meanField: Scaling, ntk: Scaling
    /// Training inputs and targets; the grid and the target on it.
    public var x: [Double], y: [Double], grid: [Double], target: [Double]
    public var steps: Int, learningRate: Double
    public var lossSteps: [Int], checkpoints: [Int]
    /// Seeds per width (same order as the widths).
    public var seeds: [Int]
    /// The width whose particles the report draws.
    public var scatterWidth: Int

    public var scalings: [Scaling] { [meanField, ntk] }
    public static let targetName = "sin(2x)/2"
    public static func teacher(_ x: Double) -> Double { Foundation.sin(2 * x) / 2 }

    /// Run the study (each network is independent; they are spread over the cores, results do not depend on it).
    public static func run(widths: [Int] = [100, 316, 1000, 3162, 10000], steps: Int = 300, learningRate: Double = 0.4,
                           recordEvery: Int = 5, seedBudget: Int = 10_000, maxSeeds: Int = 16,
                           scatterWidth: Int = 1000) throws -> MeanFieldStudy {
        guard widths.count >= 3, widths[0] >= 1, zip(widths, widths.dropFirst()).allSatisfy({ $0.0 < $0.1 }) else {
            throw ParameterizationError.invalid("give at least three increasing widths, got \(widths)")
        }
        guard steps >= 10, recordEvery >= 1, learningRate > 0, learningRate.isFinite, seedBudget >= 1, maxSeeds >= 2 else {
            throw ParameterizationError.invalid("need steps ≥ 10, recordEvery ≥ 1, a positive learning rate, seedBudget ≥ 1, maxSeeds ≥ 2")
        }
        let points = 40
        let xs = (0..<points).map { -2 + 4 * Double($0) / Double(points - 1) }
        let grid = (0...60).map { -2.5 + 5 * Double($0) / 60 }
        let checkpoints = Array(Set([0, steps / 10, steps / 5, 2 * steps / 5, 3 * steps / 5, 4 * steps / 5, steps])).sorted()
        let lossSteps = (0...steps).filter { $0 % recordEvery == 0 || $0 == steps }
        let xMatrix = try Matrix(xs.map { [$0] }), gridMatrix = try Matrix(grid.map { [$0] })
        let setup = Setup(x: xMatrix, y: xs.map { MeanFieldStudy.teacher($0) }, grid: gridMatrix,
                          learningRate: learningRate, steps: steps, recordEvery: recordEvery, checkpoints: checkpoints)
        let seeds = widths.map { min(maxSeeds, max(2, (seedBudget + $0 - 1) / $0)) }
        var jobs: [Job] = []
        for scheme in [WidthScheme.meanField, .ntk] {
            for (k, m) in widths.enumerated() { for s in 0..<seeds[k] { jobs.append(Job(scheme: scheme, widthIndex: k, width: m, seedIndex: s)) } }
        }
        // Widest first, so that the cores finish together; results go back to job order.
        let order = jobs.indices.sorted { jobs[$0].width > jobs[$1].width }
        let done = try order.map { jobs[$0] }.concurrentMap { job in try MeanFieldStudy.train(job, setup) }
        var outcomes = [Outcome?](repeating: nil, count: jobs.count)
        for (i, o) in zip(order, done) { outcomes[i] = o }

        func scaling(_ scheme: WidthScheme) -> Scaling {
            var groups = [[Outcome]](repeating: [], count: widths.count)
            for (job, o) in zip(jobs, outcomes) where job.scheme == scheme { groups[job.widthIndex].append(o!) }
            let top = groups[widths.count - 1].map(\.run)
            let refH = checkpoints.indices.map { c in MeanFieldStudy.average(top.map { $0.h[c] }) }
            let refLoss = MeanFieldStudy.average(top.map(\.loss))
            var ws: [Width] = []
            for k in widths.indices {
                let runs = groups[k].map(\.run)
                let isReference = k == widths.count - 1
                func overSeeds(_ v: [Double]) -> Double? { isReference ? nil : (v.reduce(0) { $0 + $1 * $1 } / Double(v.count)).squareRoot() }
                var hGap: [Double] = [], lossGap: [Double] = [], startGap: [Double] = []
                for r in runs {
                    hGap.append((1..<checkpoints.count).map { MeanFieldStudy.rms(r.h[$0], refH[$0]) }.max()!)
                    lossGap.append((1..<lossSteps.count).map { Swift.abs(r.loss[$0] - refLoss[$0]) }.max()!)
                    startGap.append(MeanFieldStudy.rms(r.h[0], refH[0]))
                }
                let displacement = runs.reduce(0.0) { $0 + $1.displacement } / Double(runs.count)
                ws.append(Width(width: widths[k], runs: runs, initial: groups[k][0].initial!, trained: groups[k][0].trained!,
                                displacement: displacement, trajectoryDistance: overSeeds(hGap), lossDistance: overSeeds(lossGap),
                                initialDistance: overSeeds(startGap)))
            }
            let below = ws.dropLast()
            let mBelow = below.map { Double($0.width) }
            return Scaling(scheme: scheme, widths: ws, referenceH: refH, referenceLoss: refLoss,
                           trajectorySlope: PowerLaw.slope(mBelow, below.map { $0.trajectoryDistance! }),
                           lossSlope: PowerLaw.slope(mBelow, below.map { $0.lossDistance! }),
                           displacementSlope: PowerLaw.slope(ws.map { Double($0.width) }, ws.map(\.displacement)),
                           lossDecrease: refLoss[0] / refLoss[refLoss.count - 1])
        }
        return MeanFieldStudy(meanField: scaling(.meanField), ntk: scaling(.ntk), x: xs, y: setup.y, grid: grid,
                              target: grid.map { MeanFieldStudy.teacher($0) }, steps: steps, learningRate: learningRate, lossSteps: lossSteps,
                              checkpoints: checkpoints, seeds: seeds,
                              scatterWidth: widths.contains(scatterWidth) ? scatterWidth : widths[widths.count / 2])
    }

    /// What every network shares.
    struct Setup: Sendable {
        var x: Matrix, y: [Double], grid: Matrix
        var learningRate: Double, steps: Int, recordEvery: Int, checkpoints: [Int]
    }

    struct Job: Sendable {
        var scheme: WidthScheme, widthIndex: Int, width: Int, seedIndex: Int
        /// Independent across widths and seeds, the same for both scalings.
        var seed: UInt64 { 0x3EA_F1E1D &+ UInt64(1_000 * widthIndex + seedIndex) }
    }

    struct Outcome: Sendable {
        var run: Run
        /// Kept for the first seed only.
        var initial: Particles?, trained: Particles?
    }

    /// Train one network: full-batch SGD, per tensor η times its `LayerRule` rate (as `ScaledMLP.train`), output bias
    /// held at 0; the loss is that of the forward pass each step starts with.
    static func train(_ job: Job, _ s: Setup) throws -> Outcome {
        var net = try ScaledMLP(scheme: job.scheme, depth: 2, inputDimension: 1, width: job.width, outputWidth: 1, baseWidth: 1,
                                activation: .relu, cw: [1, 1], cb: [1, 0], optimizer: .sgd, seed: job.seed)
        let start = particles(net)
        let n = s.x.rows
        let rateW = s.learningRate * net.rules[0].weightRate, rateB = s.learningRate * net.rules[0].biasRate
        let rateA = s.learningRate * net.rules[1].weightRate
        var loss: [Double] = [], h: [[Double]] = []
        for t in 0...s.steps {
            if s.checkpoints.contains(t) { h.append(try net.outputs(s.grid).storage) }
            let zs = try net.forward(s.x)
            var cotangent = Matrix(rows: n, cols: 1)
            var value = 0.0
            for i in 0..<n {
                let r = zs[1][i, 0] - s.y[i]
                value += 0.5 * r * r / Double(n)
                cotangent[i, 0] = r / Double(n)
            }
            guard value.isFinite, value < 1e6 else {
                throw ParameterizationError.invalid("\(job.scheme.displayName), m = \(job.width): training diverged at step \(t)")
            }
            if t % s.recordEvery == 0 || t == s.steps { loss.append(value) }
            if t == s.steps { break }
            let g = try net.gradients(s.x, preactivations: zs, outputCotangent: cotangent)
            descend(&net.weights[0].storage, g.weights[0].storage, rateW)
            descend(&net.biases[0], g.biases[0], rateB)
            descend(&net.weights[1].storage, g.weights[1].storage, rateA)
        }
        let end = particles(net)
        var moved = 0.0
        for j in 0..<job.width {
            let da = end.a[j] - start.a[j], dw = end.w[j] - start.w[j], db = end.b[j] - start.b[j]
            moved += (da * da + dw * dw + db * db).squareRoot()
        }
        let run = Run(seed: job.seed, loss: loss, h: h, displacement: moved / Double(job.width))
        return Outcome(run: run, initial: job.seedIndex == 0 ? start : nil, trained: job.seedIndex == 0 ? end : nil)
    }

    static func particles(_ net: ScaledMLP) -> Particles {
        Particles(a: net.weights[1].storage, w: net.weights[0].storage, b: net.biases[0])
    }

    static func descend(_ p: inout [Double], _ g: [Double], _ rate: Double) {
        p.withUnsafeMutableBufferPointer { pp in g.withUnsafeBufferPointer { gp in for k in 0..<pp.count { pp[k] -= rate * gp[k] } } }
    }

    static func average(_ v: [[Double]]) -> [Double] {
        (0..<v[0].count).map { i in v.reduce(0) { $0 + $1[i] } / Double(v.count) }
    }

    static func rms(_ u: [Double], _ v: [Double]) -> Double {
        (zip(u, v).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(u.count)).squareRoot()
    }
}
