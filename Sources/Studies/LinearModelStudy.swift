import Architecture
import Foundation
import Linalg
import Sampling
import Training

/// The report's linear- and quadratic-model study (PDLT §7.1–7.2, §10.4, §11.4, §∞.2.2; the lecture on
/// quadratic models) on a teacher-network task with random ReLU features (more features than points):
/// gradient descent approaches the kernel (minimum-norm) solution as t grows, closed form and iteration
/// agree at every t, a non-zero W(0) changes the t = ∞ answer; the quadratic model's gap to its
/// nearly-kernel solution scales as ε² while its effective features move as ε.
public struct LinearModelStudy: Sendable {
    public var steps: [Int]
    /// max |GD(t) − kernel form| on the test points, and max |closed form − iteration| at the same t.
    public var gapToKernel: [Double], closedVsIterated: [Double]
    /// max |z_∞(W(0)) − z_∞(0)| for W(0) ~ N(0, 1) and the direct-vs-kernel gap (ridge 1e-8).
    public var initialization: Double, directVsKernel: Double
    public var epsilons: [Double]
    public var nearlyKernelGap: [Double], featureChange: [Double]
    /// ‖φ^E(t) − φ^E(0)‖/‖φ^E(0)‖ after every step, one curve per ε (the same runs).
    public var featureChangeCurves: [[Double]]
    /// The effective features moving on a 1-D sine task (ψ = φφᵀ, ε = `snapshotEpsilon`): on the grid
    /// `snapshotGrid`, φ_j(x) = φ^E_j at t = 0 and φ^E_j(x) after `snapshotSteps` steps, for the three features j
    /// that move most.
    public var snapshotGrid: [Double], snapshotBefore: [[Double]], snapshotAfter: [[Double]]
    public var snapshotEpsilon: Double, snapshotSteps: Int
    public var features: Int, trainPoints: Int

    public static func run() throws -> LinearModelStudy {
        // A teacher network on 5-dimensional Gaussian inputs: 20 training and 50 test points.
        let teacher = try NetworkSpec(depth: 2, width: 16, activation: .tanh, cb: 0.1, cw: 1.5)
        let (xAll, yAll) = try Tasks.teacher(spec: teacher, inputDimension: 5, points: 70, seed: 3)
        let x = try Matrix((0..<20).map { xAll.row($0) }), y = try Matrix((0..<20).map { yAll.row($0) })
        let test = try Matrix((20..<70).map { xAll.row($0) })
        let p = 200
        let model = LinearModel(features: .random(count: p, seed: 11))
        let eta = 1.0
        let kernel = try model.kernelPrediction(train: x, targets: y, test: test)
        let steps = [1, 16, 256, 4096, 65_536, 1 << 20, 1 << 24, 1 << 28, 1 << 32, 1 << 36]
        var gap: [Double] = [], agree: [Double] = []
        for t in steps {
            let closed = try model.gradientDescentClosedForm(train: x, targets: y, test: test, steps: t, learningRate: eta)
            gap.append((closed - kernel).maxAbs)
            if t <= 4096 {
                let iterated = try model.gradientDescentIterated(train: x, targets: y, test: test, steps: t, learningRate: eta).predictions
                agree.append((closed - iterated).maxAbs)
            }
        }
        var w0 = Matrix(rows: 1, cols: p)
        w0.storage.withUnsafeMutableBufferPointer { Philox4x32(seed: 5, stream: 1).fillNormals($0) }
        let moved = try model.gradientDescentClosedForm(train: x, targets: y, test: test, steps: nil, learningRate: eta, initial: w0)
        let fromZero = try model.gradientDescentClosedForm(train: x, targets: y, test: test, steps: nil, learningRate: eta)
        let direct = try model.predict(weights: try model.directWeights(train: x, targets: y, ridge: 1e-8), test)
        let kernelRidge = try model.kernelPrediction(train: x, targets: y, test: test, ridge: 1e-8)
        let eps = [0.025, 0.05, 0.1, 0.2, 0.4]
        var nk: [Double] = [], fc: [Double] = [], curves: [[Double]] = []
        for e in eps {
            let q = QuadraticModel(features: .random(count: p, seed: 11), epsilon: e)
            let run = try q.train(train: x, targets: y, test: test, steps: 500, learningRate: eta)
            nk.append((run.predictions - (try q.nearlyKernelPrediction(train: x, targets: y, test: test, steps: 500, learningRate: eta))).maxAbs)
            fc.append(run.featureChange)
            curves.append(run.featureChangeCurve)
        }
        // φ^E on a 1-D task: 40 random ReLU features, 16 points of sin x, ε = 0.5.
        let (sx, sy) = try Tasks.sine(points: 16, seed: 4)
        let q = QuadraticModel(features: .random(count: 40, seed: 2), epsilon: 0.5)
        let grid = (0...120).map { -Double.pi + 2 * Double.pi * Double($0) / 120 }
        let gx = try Matrix(rows: grid.count, cols: 1, storage: grid)
        let run = try q.train(train: sx, targets: sy, test: gx, steps: 2000, learningRate: eta)
        let before = try q.features.map(gx), after = try q.effectiveFeatures(gx, weights: run.weights)
        // The three features whose shape moves most.
        let moved3 = (0..<before.cols).sorted { j1, j2 in
            func change(_ j: Int) -> Double { (0..<gx.rows).reduce(0) { $0 + abs(after[$1, j] - before[$1, j]) } }
            return change(j1) > change(j2)
        }.prefix(3)
        return LinearModelStudy(steps: steps, gapToKernel: gap, closedVsIterated: agree, initialization: (moved - fromZero).maxAbs,
                                directVsKernel: (direct - kernelRidge).maxAbs, epsilons: eps, nearlyKernelGap: nk, featureChange: fc,
                                featureChangeCurves: curves, snapshotGrid: grid,
                                snapshotBefore: moved3.map { j in (0..<gx.rows).map { before[$0, j] } },
                                snapshotAfter: moved3.map { j in (0..<gx.rows).map { after[$0, j] } },
                                snapshotEpsilon: 0.5, snapshotSteps: 2000,
                                features: p, trainPoints: x.rows)
    }
}
