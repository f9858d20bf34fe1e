import Foundation
import Testing
@testable import Lazy
@testable import Linalg

/// A hash-like pseudo-random number in [0, 1) (as in OptimizersTests): the tests need no generator.
private func hashUniform(_ k: Int, seed: Double) -> Double {
    let v = sin(Double(k + 1) * 12.9898 * seed + 78.233) * 43758.5453
    return v - v.rounded(.down)
}

private func euclidean(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }

/// 16 inputs evenly spaced on the unit circle, a teacher with three neurons (directions at 0.3, 2.4, 4.4 rad, output signs
/// +1, −1, +1), 40 test points, and a start w̄₀ of m = 10 neurons: a_j on the circle at hashed angles, b̄_j ∈ [0.2, 1), in
/// symmetric pairs (a_j, b̄_j), (a_j, −b̄_j), so h(w̄₀) = 0; with `symmetric: false` the second half of the a_j get their own
/// angles and h(w̄₀) ≠ 0. Every |a_jᵀx_i| ≥ 0.02.
private struct SmallTask {
    var x: Matrix, y: [Double], testX: Matrix, testY: [Double], start: LazyTraining.Parameters

    init(symmetric: Bool = true) throws {
        func circle(_ angles: [Double]) throws -> Matrix { try Matrix(angles.map { [cos($0), sin($0)] }) }
        let teacher = try circle([0.3, 2.4, 4.4]), signs = [1.0, -1.0, 1.0]
        func targets(_ x: Matrix) -> [Double] {
            (0..<x.rows).map { i in
                (0..<3).reduce(0.0) { $0 + signs[$1] * max(x[i, 0] * teacher[$1, 0] + x[i, 1] * teacher[$1, 1], 0) }
            }
        }
        let train = try circle((0..<16).map { 2 * Double.pi * (Double($0) + 0.37) / 16 })
        let test = try circle((0..<40).map { 2 * Double.pi * (Double($0) + 0.5) / 40 })
        let first = (0..<5).map { 2 * Double.pi * hashUniform($0, seed: 0.61) }
        let second = symmetric ? first : (0..<5).map { 2 * Double.pi * hashUniform($0 + 200, seed: 0.61) }
        let magnitudes = (0..<5).map { 0.2 + 0.8 * hashUniform($0 + 100, seed: 0.61) }
        x = train
        y = targets(train)
        testX = test
        testY = targets(test)
        start = try LazyTraining.Parameters(a: circle(first + second), b: magnitudes + magnitudes.map { -$0 })
    }
}

@Suite struct LazyTrainingTests {
    /// ∂L/∂a and ∂L/∂b against central differences (ε = 1e-6, no kink crossed: every |a_jᵀx_i| > 1e-3; L is quadratic in
    /// each coordinate between kinks, so only rounding, ~1e-10, remains) at a point that is neither symmetric nor w₀, with
    /// α = 1.7 and the reference h₀ of another point; Dh against differences of h; the closed-form relative Jacobian change
    /// against the explicit matrices.
    @Test func gradientAndJacobianMatchFiniteDifferences() throws {
        let task = try SmallTask(symmetric: false)
        var w = task.start.scaled(by: 0.8)
        for k in w.a.storage.indices { w.a.storage[k] += 0.3 * (hashUniform(k + 300, seed: 0.29) - 0.5) }
        for j in w.b.indices { w.b[j] += 0.4 * (hashUniform(j + 400, seed: 0.29) - 0.5) }
        let w0 = task.start.scaled(by: 0.7), h0 = try w0.outputs(task.x), alpha = 1.7, eps = 1e-6
        #expect(try Matrix.product(task.x, w.a, transposeB: true).storage.allSatisfy { abs($0) > 1e-3 })
        let (_, gradA, gradB) = try LazyTraining.lossAndGradient(w, x: task.x, y: task.y, reference: h0, alpha: alpha)
        func loss(_ v: LazyTraining.Parameters) throws -> Double {
            try LazyTraining.lossAndGradient(v, x: task.x, y: task.y, reference: h0, alpha: alpha).loss
        }
        let m = w.width, d = w.inputDimension
        let jac = try w.jacobian(task.x)
        var worstGradient = 0.0, worstJacobian = 0.0
        for p in 0..<(m * d + m) {
            var plus = w, minus = w
            if p < m * d {
                plus.a.storage[p] += eps
                minus.a.storage[p] -= eps
            } else {
                plus.b[p - m * d] += eps
                minus.b[p - m * d] -= eps
            }
            let fd = (try loss(plus) - loss(minus)) / (2 * eps)
            worstGradient = max(worstGradient, abs(fd - (p < m * d ? gradA.storage[p] : gradB[p - m * d])))
            let hp = try plus.outputs(task.x), hm = try minus.outputs(task.x)
            for i in 0..<task.x.rows { worstJacobian = max(worstJacobian, abs((hp[i] - hm[i]) / (2 * eps) - jac[i, p])) }
        }
        #expect(worstGradient < 1e-8, "gradient off by \(worstGradient)")
        #expect(worstJacobian < 1e-8, "Jacobian off by \(worstJacobian)")
        let jac0 = try w0.jacobian(task.x)
        let explicit = euclidean((jac - jac0).storage) / euclidean(jac0.storage)
        let closed = try LazyTraining.relativeJacobianChange(w, from: w0, x: task.x)
        #expect(abs(closed - explicit) < 1e-12 * explicit, "\(closed) vs \(explicit)")
    }

    /// At step 0 nothing has moved, and the centred model is 0 even though h(w₀) ≠ 0: the loss is Σy²/(2N).
    @Test func nothingHasChangedAtStepZero() throws {
        let task = try SmallTask(symmetric: false)
        let run = try LazyTraining(x: task.x, y: task.y, testX: task.testX, testY: task.testY, start: task.start,
                                   configuration: .init(alpha: 3, tau: 0.7, learningRate: 0.5, steps: 5, checkpoints: 3))
        let c0 = run.checkpoints[0]
        #expect(c0.step == 0 && c0.jacobianChange == 0 && c0.objectiveChange == 0 && c0.parameterChange == 0 && c0.activationFlips == 0)
        let y2 = task.y.reduce(0) { $0 + $1 * $1 } / (2 * Double(task.y.count))
        #expect(abs(c0.loss - y2) <= 1e-15 * y2)
        #expect(try task.start.outputs(task.x).contains { abs($0) > 0.1 })
        #expect(run.checkpoints.map(\.step) == [0, 1, 2, 5])
        #expect(run.last.jacobianChange > 0 && run.last.objectiveChange > 0 && run.last.parameterChange > 0)
        #expect(run.initial == task.start.scaled(by: 0.7))
    }

    /// The lazy limit at fixed time ηk = 50 (η = 0.5, 100 steps of η/α²), α = 100, 1000, 10⁴, no activation flips (the a_j
    /// move by ≲ 1e-2 < 0.02): the relative Jacobian change falls as α^−1, and the distance of α(h(w_T) − h(w₀)) to the
    /// linearized model's kernel gradient descent F ← F − (η/N)·Dh(w₀)Dh(w₀)ᵀ(F − y) as α^−1 in general, as α^−2 from the
    /// symmetric start (the second-order terms cancel within each pair (a, b), (a, −b)). Slopes within 0.01 (NumPy: 3e-3).
    @Test(arguments: [true, false])
    func lazyLimit(_ symmetric: Bool) throws {
        let task = try SmallTask(symmetric: symmetric)
        let eta = 0.5, steps = 100, n = Double(task.x.rows)
        let j0 = try task.start.jacobian(task.x)
        let kernel = try Matrix.product(j0, j0, transposeB: true)
        var linear = [Double](repeating: 0, count: task.x.rows)
        for _ in 0..<steps {
            let r = try Matrix(rows: linear.count, cols: 1, storage: zip(linear, task.y).map { $0 - $1 })
            let kr = try Matrix.product(kernel, r).storage
            for i in linear.indices { linear[i] -= eta / n * kr[i] }
        }
        let alphas = [100.0, 1000, 10_000]
        var jacobian: [Double] = [], distance: [Double] = []
        for alpha in alphas {
            let run = try LazyTraining(x: task.x, y: task.y, testX: task.testX, testY: task.testY, start: task.start,
                                       configuration: .init(alpha: alpha, tau: 1, learningRate: eta, steps: steps, checkpoints: 2))
            #expect(run.last.activationFlips == 0)
            jacobian.append(run.last.jacobianChange)
            let f = try run.predictions(task.x)
            distance.append(euclidean(zip(f, linear).map { $0 - $1 }) / euclidean(linear))
        }
        let expected = symmetric ? -2.0 : -1.0
        for i in 1..<alphas.count {
            let decade = log(alphas[i] / alphas[i - 1])
            #expect(abs(log(jacobian[i] / jacobian[i - 1]) / decade + 1) < 0.01, "Jacobian changes \(jacobian)")
            #expect(abs(log(distance[i] / distance[i - 1]) / decade - expected) < 0.01, "distances \(distance)")
        }
    }

    /// h(τu) = τ²h(u) with the step η/(α²τ²): (α, τ) = (4, 1) and (1, 2) are the same run with w = 2u (here to the last
    /// bit, every factor being a power of 2; checked to 1e-12).
    @Test func tauActsAsAlphaTauSquared() throws {
        let task = try SmallTask(symmetric: false)
        func train(_ alpha: Double, _ tau: Double) throws -> LazyTraining {
            try LazyTraining(x: task.x, y: task.y, testX: task.testX, testY: task.testY, start: task.start,
                             configuration: .init(alpha: alpha, tau: tau, learningRate: 0.5, steps: 50, checkpoints: 10))
        }
        let a = try train(4, 1), b = try train(1, 2)
        #expect(a.checkpoints.count == b.checkpoints.count)
        for (p, q) in zip(a.checkpoints, b.checkpoints) {
            #expect(p.step == q.step && p.activationFlips == q.activationFlips)
            for (u, v) in [(p.loss, q.loss), (p.testLoss, q.testLoss), (p.jacobianChange, q.jacobianChange), (p.parameterChange, q.parameterChange)] {
                #expect(abs(u - v) <= 1e-12 * abs(u), "step \(p.step): \(u) vs \(v)")
            }
        }
        #expect((2 * a.trained.a).relativeDistance(to: b.trained.a) < 1e-12)
        #expect(zip(a.trained.b, b.trained.b).allSatisfy { abs(2 * $0 - $1) <= 1e-12 * abs($1) })
    }

    /// τ = 0.1 against τ = 2 (α = 1, the paper's step min(10, 0.1/τ²), 500 steps; both fit, the objective falls by > 97 %).
    /// Lazy theory: ‖w_T − w₀‖/‖w₀‖ ≈ C/τ², C from the linearized dynamics — here a run at α = 1000, τ = 1 (same time ηk):
    /// 1000·change/τ²; the τ = 2 run is within 5 % of it (NumPy: 0.1835 against 0.1836). The τ = 0.1 run cannot be lazy:
    /// on the unit circle |h(x)| ≤ (1/√m) Σ_j |b_j||a_j| ≤ ‖w‖²/(2√m), so the fit needs ‖w_T‖² ≥ 2√m·max_i |h(w_T)(x_i)| and
    /// ‖w_T − w₀‖/‖w₀‖ ≥ ‖w_T‖/‖w₀‖ − 1 (here 5.9; extrapolated lazy theory would say 73; NumPy measures 11.5). Hence the
    /// τ = 0.1 parameters move more by a factor ≥ 5.9/(1.05 × 0.184) ≈ 31 (NumPy: 62).
    @Test func smallInitializationMovesLargeStays() throws {
        let task = try SmallTask()
        func train(_ alpha: Double, _ tau: Double, cap: Double) throws -> LazyTraining {
            try LazyTraining(x: task.x, y: task.y, testX: task.testX, testY: task.testY, start: task.start,
                             configuration: .init(alpha: alpha, tau: tau, learningRate: 0.1, maxStepSize: cap, steps: 500, checkpoints: 5))
        }
        let rich = try train(1, 0.1, cap: 10), lazy = try train(1, 2, cap: 10), linear = try train(1000, 1, cap: .infinity)
        #expect(abs(rich.configuration.stepSize - 10) < 1e-12 && abs(lazy.configuration.stepSize - 0.025) < 1e-15)
        #expect(rich.last.objectiveChange > 0.97 && lazy.last.objectiveChange > 0.97)
        let prediction = 1000 * linear.last.parameterChange / 4
        #expect(abs(lazy.last.parameterChange / prediction - 1) < 0.05, "\(lazy.last.parameterChange) vs \(prediction)")
        let largest = try rich.trained.outputs(task.x).map { abs($0) }.max() ?? 0
        let bound = (2 * Double(task.start.width).squareRoot() * largest).squareRoot() / rich.initial.norm - 1
        #expect(bound > 5)
        #expect(rich.last.parameterChange >= bound)
        #expect(rich.last.parameterChange / lazy.last.parameterChange > bound / (1.05 * prediction))
        #expect(rich.last.jacobianChange > 1 && lazy.last.jacobianChange < 0.5)
    }

    @Test func rejectsBadInput() throws {
        let task = try SmallTask()
        func train(_ cfg: LazyTraining.Configuration, x: Matrix? = nil, y: [Double]? = nil, testY: [Double]? = nil) throws {
            _ = try LazyTraining(x: x ?? task.x, y: y ?? task.y, testX: task.testX, testY: testY ?? task.testY, start: task.start,
                                 configuration: cfg)
        }
        let bad: [LazyTraining.Configuration] = [
            .init(tau: 0, learningRate: 0.1, steps: 3), .init(tau: -1, learningRate: 0.1, steps: 3), .init(tau: .nan, learningRate: 0.1, steps: 3),
            .init(alpha: 0, learningRate: 0.1, steps: 3), .init(learningRate: 0, steps: 3), .init(learningRate: 0.1, steps: -1),
            .init(learningRate: 0.1, maxStepSize: 0, steps: 3),
        ]
        for cfg in bad { #expect(throws: LazyTraining.Failure.self) { try train(cfg) } }
        let ok = LazyTraining.Configuration(learningRate: 0.1, steps: 3)
        #expect(throws: LazyTraining.Failure.self) { try LazyTraining.Parameters(a: Matrix(rows: 0, cols: 2), b: []) }
        #expect(throws: LazyTraining.Failure.self) { try LazyTraining.Parameters(a: Matrix(rows: 4, cols: 0), b: [1, 2, 3, 4]) }
        #expect(throws: LazyTraining.Failure.self) { try LazyTraining.Parameters(a: task.start.a, b: [1, 2]) }
        #expect(throws: LazyTraining.Failure.self) { try train(ok, y: Array(task.y.dropLast())) }
        #expect(throws: LazyTraining.Failure.self) { try train(ok, x: Matrix(rows: task.x.rows, cols: 3)) }
        #expect(throws: LazyTraining.Failure.self) { try train(ok, x: Matrix(rows: 0, cols: 2), y: []) }
        #expect(throws: LazyTraining.Failure.self) { try train(ok, testY: [1]) }
        try train(ok)
    }
}
