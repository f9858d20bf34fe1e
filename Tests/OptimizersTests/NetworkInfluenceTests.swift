import Foundation
import Testing
@testable import Influence
@testable import Linalg

/// Two-dimensional points in [−1, 1)² (a hash-like fill) with labels ±1 from a noisy linear rule.
private func influenceToyData(_ range: Range<Int>) throws -> (x: Matrix, y: [Double]) {
    var rows: [[Double]] = [], y: [Double] = []
    for i in range {
        let a = sin(Double(i) * 12.9898) * 43758.5453, b = cos(Double(i) * 78.233) * 12345.678
        let p = [2 * (a - a.rounded(.down)) - 1, 2 * (b - b.rounded(.down)) - 1]
        rows.append(p)
        y.append(p[0] + 0.5 * p[1] + 0.3 * sin(Double(i)) > 0 ? 1 : -1)
    }
    return (try Matrix(rows), y)
}

@Suite struct NetworkInfluenceTests {
    /// The finite-difference Hessian of a depth-3, width-3 tanh MLP (P = 25) with weight decay: symmetric before
    /// symmetrizing to 1e-7, H·v equal to a directional central difference of the gradient (1e-6), and vᵀHv equal to the
    /// second difference of the objective along v, Richardson-extrapolated from steps 10⁻³ and 2·10⁻³ (truncation
    /// O(s⁴) ~ 10⁻¹¹, rounding ~10⁻¹⁵/s² ~ 10⁻⁹; bound 10⁻⁶).
    @Test func hessianMatchesDirectionalDifferences() throws {
        let (x, y) = try influenceToyData(0..<30)
        let objective = try NetworkInfluence.Objective(inputs: x, labels: y, l2: 0.01, depth: 3, width: 3, seed: 7)
        let theta = objective.parameters, p = objective.parameterCount
        #expect(p == 25)
        let (h, asymmetry) = try objective.hessian(at: theta)
        #expect(h.rows == p && h.cols == p && h.asymmetry == 0)
        #expect(asymmetry < 1e-7, "\(asymmetry)")
        var v = (0..<p).map { sin(Double($0) * 1.7 + 0.3) }
        let length = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        v = v.map { $0 / length }
        func shifted(_ t: Double) -> [Double] { (0..<p).map { theta[$0] + t * v[$0] } }
        let hv = try h.apply(v)
        let t = 1e-5
        let gUp = try objective.valueAndGradient(shifted(t)).gradient, gDown = try objective.valueAndGradient(shifted(-t)).gradient
        let worst = (0..<p).map { abs(hv[$0] - (gUp[$0] - gDown[$0]) / (2 * t)) }.max()!
        #expect(worst < 1e-6 * max(hv.map { abs($0) }.max()!, 1), "\(worst)")
        let r0 = try objective.valueAndGradient(theta).value
        func secondDifference(_ s: Double) throws -> Double {
            (try objective.valueAndGradient(shifted(s)).value - 2 * r0 + objective.valueAndGradient(shifted(-s)).value) / (s * s)
        }
        let second = try (4 * secondDifference(1e-3) - secondDifference(2e-3)) / 3      // Richardson: error O(s⁴)
        let vhv = zip(v, hv).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(abs(second - vhv) < 1e-6 * max(abs(vhv), 1), "\(second) vs \(vhv)")
    }

    /// A depth-2, width-2 tanh MLP (P = 9) with weight decay 0.05 on 40 points: θ̂ is a minimum (gradient ≤ 1e-9, no
    /// negative Hessian eigenvalue), every leave-one-out model is converged, and the influence estimates rank the 40
    /// actual changes of the test loss with Spearman > 0.9 (the convex logistic test reaches 0.95). Without weight
    /// decay (damping 0.05) the fixed budget is ⌈1/(ηδ)⌉ = 100 steps and everything stays finite.
    @Test func tinyNetworkInfluenceMatchesLeaveOneOut() throws {
        let (x, y) = try influenceToyData(0..<40), (test, yt) = try influenceToyData(40..<60)
        let decayed = NetworkInfluence.Configuration(depth: 2, width: 2, l2: 0.05, damping: 0, learningRate: 0.2, trainingSteps: 2000, seed: 3)
        let r = try NetworkInfluence.compare(train: x, labels: y, test: test, testLabels: yt, configuration: decayed, examples: Array(0..<40))
        #expect(r.parameterCount == 9)
        #expect(r.gradientNorm <= 1e-9, "\(r.gradientNorm)")
        #expect(r.negativeEigenvalues == 0 && r.smallestEigenvalue > 0 && r.dampingUsed == 0)
        #expect(r.retraining == .newton && r.retrainingGradientNorm <= 1e-9, "\(r.retrainingGradientNorm)")
        #expect(r.spearman > 0.9, "\(r.spearman)")
        let free = NetworkInfluence.Configuration(depth: 2, width: 2, l2: 0, damping: 0.05, learningRate: 0.2, trainingSteps: 2000, seed: 3)
        let q = try NetworkInfluence.compare(train: x, labels: y, test: test, testLabels: yt, configuration: free, examples: Array(0..<10))
        #expect(q.retraining == .gradientDescent && q.retrainingSteps == 100 && q.dampingUsed >= 0.05)
        #expect(q.predicted.allSatisfy(\.isFinite) && q.actual.allSatisfy(\.isFinite) && q.spearman.isFinite)
    }

    /// Mismatched shapes, labels other than ±1, no damping without weight decay and bad example lists are errors.
    @Test func badInputIsRejected() throws {
        let (x, y) = try influenceToyData(0..<20), (test, yt) = try influenceToyData(20..<30)
        let c = NetworkInfluence.Configuration(depth: 2, width: 2, l2: 0.05, damping: 0, trainingSteps: 10)
        func compare(_ x: Matrix, _ y: [Double], _ test: Matrix, _ yt: [Double], _ c: NetworkInfluence.Configuration,
                     _ examples: [Int] = [0, 1]) throws {
            _ = try NetworkInfluence.compare(train: x, labels: y, test: test, testLabels: yt, configuration: c, examples: examples)
        }
        #expect(throws: InfluenceError.self) { try compare(x, Array(y.dropLast()), test, yt, c) }
        #expect(throws: InfluenceError.self) { try compare(x, y.map { $0 > 0 ? 1 : 0 }, test, yt, c) }
        #expect(throws: InfluenceError.self) { try compare(x, y, try Matrix(rows: 10, cols: 3, storage: [Double](repeating: 0, count: 30)), yt, c) }
        let undamped = NetworkInfluence.Configuration(depth: 2, width: 2, l2: 0, damping: 0, trainingSteps: 10)
        #expect(throws: InfluenceError.self) { try compare(x, y, test, yt, undamped) }
        #expect(throws: InfluenceError.self) { try compare(x, y, test, yt, c, [0, 20]) }
        #expect(throws: InfluenceError.self) { try compare(x, y, test, yt, c, [3, 3]) }
        #expect(throws: InfluenceError.self) { try NetworkInfluence.Objective(inputs: x, labels: y.map { 2 * $0 }, l2: 0, depth: 2, width: 2, seed: 1) }
    }
}
