import Foundation
import Testing
@testable import Linalg
@testable import Optimizers
@testable import Influence

func testMatrix(_ r: Int, _ c: Int, seed: Double) -> Matrix {
    var m = Matrix(rows: r, cols: c)
    // A hash-like pseudo-random fill (full rank), entries in [−1, 1).
    for i in 0..<r { for j in 0..<c {
        let v = sin(Double(i * c + j + 1) * 12.9898 * seed + 78.233) * 43758.5453
        m[i, j] = 2 * (v - v.rounded(.down)) - 1
    } }
    return m
}

@Suite struct SteepestDescentTests {
    /// Newton–Schulz (cubic, iterated to convergence) against the polar factor from the eigendecomposition of
    /// gᵀg: equal to 1e-12; the polar factor is a partial isometry with g = P·(Pᵀg), Pᵀg symmetric positive.
    @Test(arguments: [(8, 5), (5, 8), (6, 6)])
    func newtonSchulzIsThePolarFactor(_ shape: (Int, Int)) throws {
        let g = testMatrix(shape.0, shape.1, seed: 0.77)
        let (p, sigma) = try SteepestDescent.polarFactor(g)
        let ns = try SteepestDescent.newtonSchulz(g, iterations: 80)
        #expect((ns - p).maxAbs < 1e-12, "\((ns - p).maxAbs)")
        let small = shape.0 >= shape.1 ? try Matrix.product(p, p, transposeA: true) : try Matrix.product(p, p, transposeB: true)
        #expect((small - Matrix.identity(min(shape.0, shape.1))).maxAbs < 1e-12)
        let h = try Matrix.product(p, g, transposeA: true)                  // Pᵀg = VΣVᵀ
        let lowest = try h.smallestEigenvalue(), back = try Matrix.product(p, h) - g
        let nuclear = try SteepestDescent.sharp(g, norm: .spectral).dualNorm
        #expect(h.asymmetry < 1e-12 * h.maxAbs && lowest > -1e-12)
        #expect(back.maxAbs < 1e-12 * g.maxAbs)
        #expect(abs(sigma.reduce(0, +) - nuclear) < 1e-12)
    }

    /// Muon's quintic iteration does not converge: five steps leave the singular values in a band around 1.
    @Test func muonQuinticBand() throws {
        let g = testMatrix(16, 10, seed: 1.3)
        let x = try SteepestDescent.newtonSchulz(g, iterations: 5, quintic: true)
        let s = try SteepestDescent.polarFactor(x).singularValues
        #expect(s.min()! > 0.6 && s.max()! < 1.25, "\(s)")
    }

    /// The step is the argmin of ⟨g, Δ⟩ + ‖Δ‖²/(2η): its value is −η‖g‖_†²/2 and no perturbation does better.
    @Test(arguments: SteepestDescent.Norm.allCases)
    func stepIsTheMinimizer(_ norm: SteepestDescent.Norm) throws {
        let g = testMatrix(6, 4, seed: 0.41), eta = 0.3
        let d = try SteepestDescent.step(g, norm: norm, learningRate: eta)
        func objective(_ delta: Matrix) throws -> Double {
            let size = try SteepestDescent.size(delta, norm: norm)
            return zip(g.storage, delta.storage).reduce(0) { $0 + $1.0 * $1.1 } + size * size / (2 * eta)
        }
        let dual = try SteepestDescent.sharp(g, norm: norm).dualNorm
        let best = try objective(d)
        #expect(abs(best + eta * dual * dual / 2) < 1e-10 * eta * dual * dual)
        for k in 0..<200 {
            let p = 0.05 * testMatrix(6, 4, seed: 0.13 + Double(k) * 0.071)
            let value = try objective(d + p)
            #expect(value >= best - 1e-12, "norm \(norm), perturbation \(k)")
        }
    }
}

@Suite struct RescalingTests {
    /// The lecture's rescaling question: f = w₂·relu(W₁x) at (5W₁, w₂) and at (W₁, 5w₂) is the same function
    /// (relu is positively homogeneous), but gradient descent from the two points ends at different functions:
    /// the gradient in W₁ scales like w₂ and the one in w₂ like W₁.
    @Test func sameFunctionDifferentTrajectories() throws {
        let x = try Matrix((0..<12).map { [Double($0) / 6 - 1, 1] })
        let y = (0..<12).map { sin(3 * Double($0) / 6) }
        let w1 = 0.3 * testMatrix(16, 2, seed: 0.9), w2 = 0.3 * testMatrix(1, 16, seed: 1.1)
        let fa = try TwoLayerOptimizers.outputs(x, w1: 5 * w1, w2: w2, inner: 1, outer: 1)
        let fb = try TwoLayerOptimizers.outputs(x, w1: w1, w2: 5 * w2, inner: 1, outer: 1)
        #expect(zip(fa, fb).allSatisfy { abs($0 - $1) < 1e-12 })
        let a = try TwoLayerOptimizers.train(x: x, y: y, w1: 5 * w1, w2: w2, inner: 1, outer: 1, method: .gd, learningRate: 0.01, steps: 200)
        let b = try TwoLayerOptimizers.train(x: x, y: y, w1: w1, w2: 5 * w2, inner: 1, outer: 1, method: .gd, learningRate: 0.01, steps: 200)
        #expect(a.loss.last! < a.loss.first! && b.loss.last! < b.loss.first!)
        let ta = try TwoLayerOptimizers.outputs(x, w1: a.w1, w2: a.w2, inner: 1, outer: 1)
        let tb = try TwoLayerOptimizers.outputs(x, w1: b.w1, w2: b.w2, inner: 1, outer: 1)
        #expect(zip(ta, tb).map { abs($0 - $1) }.max()! > 1e-2)
    }
}

@Suite struct InfluenceTests {
    /// Convex case: on a small synthetic logistic problem with L2, influence estimates rank the leave-one-out changes
    /// almost exactly (Spearman > 0.95), and the Newton fit has zero gradient; Spearman of a monotone map is 1.
    @Test func influenceMatchesLeaveOneOut() throws {
        var rows: [[Double]] = [], y: [Double] = []
        for i in 0..<60 {
            let a = sin(Double(i) * 12.9898) * 43758.5453, b = cos(Double(i) * 78.233) * 12345.678
            let p = [2 * (a - a.rounded(.down)) - 1, 2 * (b - b.rounded(.down)) - 1, 1]
            rows.append(p)
            y.append(p[0] + 0.5 * p[1] + 0.3 * sin(Double(i)) > 0 ? 1 : -1)
        }
        let x = try Matrix(Array(rows[0..<40])), test = try Matrix(Array(rows[40...]))
        let r = try InfluenceFunctions.compare(train: x, labels: Array(y[0..<40]), test: test, testLabels: Array(y[40...]), l2: 0.05)
        #expect(r.spearman > 0.95, "\(r.spearman)")
        #expect(abs(InfluenceFunctions.spearman([1, 2, 3, 10], [0.1, 0.5, 0.7, 100]) - 1) < 1e-15)
        #expect(throws: InfluenceError.self) { try InfluenceFunctions.compare(train: x, labels: Array(y[0..<40]), test: test, testLabels: Array(y[40...]), l2: 0) }
    }
}
