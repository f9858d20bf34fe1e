import Foundation
import Lazy
import Linalg
import Sampling
import Statistics

/// The report's lazy-training study: the two-layer ReLU experiment of Chizat, Oyallon & Bach (2019), "On lazy training in
/// differentiable programming" (its figure of neuron paths for τ = 0.1, not lazy, and τ = 2, lazy, and its test loss
/// against τ), with `LazyTraining`.
///
/// The setup, as in the paper's code: a teacher h*(x) = Σ_{k≤3} s_k relu(t_kᵀx) with unit directions t_k and random signs
/// s_k = ±1; inputs uniform on the unit circle (normalized Gaussians); square loss, full-batch gradient descent with α = 1
/// and the step size min(10, 0.1/τ²); the student starts from the symmetric pairs (a_j, b̄_j), (a_j, −b̄_j) with a_j uniform
/// on the circle and b̄_j uniform on [0, 1], all scaled by τ, so h(w₀) = 0; the neurons are drawn at |b_j|·a_j.
/// Deviations: h = (1/√m) Σ_j (the paper: Σ_j, with m = 16 for the picture); m = 100 neurons, N = 100 training and 500 test
/// points (the picture: 15 and 20); the τ sweep is in d = 2 too, one draw (the paper's: d = 100, m = 50, N = 1000,
/// 10⁴ steps, 10 draws); its "best throughout training" is the best of the log-spaced checkpoints.
public struct LazyTrainingStudy: Sendable {
    public struct SweepPoint: Sendable {
        public var tau: Double
        /// Train and test loss after the last step, and the smallest test loss over the checkpoints.
        public var trainLoss: Double, testLoss: Double, bestTestLoss: Double
        /// ‖Dh(w_T) − Dh(w₀)‖_F/‖Dh(w₀)‖_F, ‖w_T − w₀‖/‖w₀‖ and the fraction of flipped activations after the last step.
        public var jacobianChange: Double, parameterChange: Double, activationFlips: Double
    }

    /// The teacher's unit directions t_k (rows, 3 × 2) and output signs s_k.
    public var teacherDirections: Matrix, teacherSigns: [Double]
    /// τ = 0.1 (not lazy: the neurons move to the teacher's directions) and τ = 2 (lazy: they stay).
    public var rich: LazyTraining, lazy: LazyTraining
    /// Eight log-spaced τ from 0.05 to 5.
    public var sweep: [SweepPoint]
    /// Log–log slopes against τ over the sweep points with τ ≥ 1: of the parameter change (lazy theory: −2, it is ∝ 1/(ατ²))
    /// and of the Jacobian change (−2 without activation flips, −1 when the flips dominate).
    public var parameterSlope: Double, jacobianSlope: Double
    public var width: Int, trainSize: Int, testSize: Int, steps: Int
    public var learningRate: Double, maxStepSize: Double
    /// The test loss of the centred model at initialization (F = 0): the scale of the test losses.
    public var initialTestLoss: Double

    public static let seed: UInt64 = 10
    public static let taus = (0..<8).map { 0.05 * Foundation.pow(100, Double($0) / 7) }

    /// The teacher–student problem: inputs, targets, and the unscaled start w̄₀.
    public struct Problem: Sendable {
        public var x: Matrix, y: [Double], testX: Matrix, testY: [Double]
        public var teacherDirections: Matrix, teacherSigns: [Double]
        public var start: LazyTraining.Parameters
    }

    public static func problem(width: Int = 100, trainSize: Int = 100, testSize: Int = 500) throws -> Problem {
        precondition(width >= 2 && width % 2 == 0, "the symmetric start needs an even width")
        func normals(_ n: Int, stream: UInt64) -> [Double] {
            var g = [Double](repeating: 0, count: n)
            g.withUnsafeMutableBufferPointer { Philox4x32(seed: seed, stream: stream).fillNormals($0) }
            return g
        }
        func unitRows(_ rows: Int, stream: UInt64) throws -> Matrix {
            var m = try Matrix(rows: rows, cols: 2, storage: normals(2 * rows, stream: stream))
            for i in 0..<rows {
                let r = (m[i, 0] * m[i, 0] + m[i, 1] * m[i, 1]).squareRoot()
                m[i, 0] /= r
                m[i, 1] /= r
            }
            return m
        }
        let teacher = try unitRows(3, stream: 1)
        let signs = normals(3, stream: 2).map { $0 >= 0 ? 1.0 : -1.0 }
        func targets(_ x: Matrix) throws -> [Double] {
            let pre = try Matrix.product(x, teacher, transposeB: true)
            return (0..<x.rows).map { i in (0..<3).reduce(0.0) { $0 + signs[$1] * Swift.max(pre[i, $1], 0) } }
        }
        let x = try unitRows(trainSize, stream: 3), testX = try unitRows(testSize, stream: 4)
        let half = width / 2
        let directions = try unitRows(half, stream: 5)
        let magnitudes = normals(half, stream: 6).map { 0.5 * erfc(-$0 / 2.0.squareRoot()) }   // uniform on [0, 1]
        var a = Matrix(rows: width, cols: 2), b = [Double](repeating: 0, count: width)
        for j in 0..<half {
            for k in 0..<2 { a[j, k] = directions[j, k]; a[half + j, k] = directions[j, k] }
            b[j] = magnitudes[j]
            b[half + j] = -magnitudes[j]
        }
        let y = try targets(x), testY = try targets(testX), start = try LazyTraining.Parameters(a: a, b: b)
        return Problem(x: x, y: y, testX: testX, testY: testY, teacherDirections: teacher, teacherSigns: signs, start: start)
    }

    /// The full run: 10⁴ steps (the paper's count); `quick`: 2000.
    public static func run(quick: Bool) throws -> LazyTrainingStudy {
        let width = 100, trainSize = 100, testSize = 500, steps = quick ? 2000 : 10_000
        let eta = 0.1, cap = 10.0
        let p = try problem(width: width, trainSize: trainSize, testSize: testSize)
        func train(_ tau: Double) throws -> LazyTraining {
            try LazyTraining(x: p.x, y: p.y, testX: p.testX, testY: p.testY, start: p.start,
                             configuration: .init(alpha: 1, tau: tau, learningRate: eta, maxStepSize: cap, steps: steps))
        }
        let rich = try train(0.1), lazy = try train(2)
        let sweep = try taus.map { tau -> SweepPoint in
            let run = try train(tau), last = run.last
            return SweepPoint(tau: tau, trainLoss: last.loss, testLoss: last.testLoss,
                              bestTestLoss: run.checkpoints.map(\.testLoss).min() ?? .nan,
                              jacobianChange: last.jacobianChange, parameterChange: last.parameterChange, activationFlips: last.activationFlips)
        }
        let tail = sweep.filter { $0.tau >= 1 }
        return LazyTrainingStudy(teacherDirections: p.teacherDirections, teacherSigns: p.teacherSigns, rich: rich, lazy: lazy, sweep: sweep,
                                 parameterSlope: PowerLaw.slope(tail.map(\.tau), tail.map(\.parameterChange)),
                                 jacobianSlope: PowerLaw.slope(tail.map(\.tau), tail.map(\.jacobianChange)),
                                 width: width, trainSize: trainSize, testSize: testSize, steps: steps, learningRate: eta, maxStepSize: cap,
                                 initialTestLoss: rich.checkpoints[0].testLoss)
    }
}
