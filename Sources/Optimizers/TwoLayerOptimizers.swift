import Foundation
import Linalg

/// Gradient descent, sign descent, Adam and Muon on one two-layer ReLU model, and the lecture's rescaling
/// question: f_A(x) = w₂·relu(c W₁x) and f_B(x) = c w₂·relu(W₁x) are the same function of the same (W₁, w₂)
/// (relu is positively homogeneous), but their gradients differ, so each optimizer takes them to different
/// places. Full batch, L = (1/(2N)) Σ (f(xᵢ) − yᵢ)²; forward and backward passes are DGEMMs.
public enum TwoLayerOptimizers {
    public enum Method: String, Sendable, CaseIterable { case gd, sign, adam, muon }

    public struct Run: Sendable {
        public var loss: [Double]
        /// Per step, the sizes of the W₁ update in ℓ₂ (Frobenius), ℓ∞ and spectral norm.
        public var updateSizes: [(l2: Double, max: Double, spectral: Double)]
        public var w1: Matrix, w2: Matrix
    }

    /// f on the rows of x for parameters (W₁: m × d, w₂: 1 × m) with the multipliers (inner, outer).
    public static func outputs(_ x: Matrix, w1: Matrix, w2: Matrix, inner: Double, outer: Double) throws -> [Double] {
        let pre = try Matrix.product(x, w1, transposeB: true)
        let h = pre.hadamard(pre) { v, _ in max(inner * v, 0) }
        return try Matrix.product(h, w2, transposeB: true).storage.map { outer * $0 }
    }

    /// Train from (W₁, w₂) for `steps` steps with `method` at learning rate η.
    public static func train(x: Matrix, y: [Double], w1 start1: Matrix, w2 start2: Matrix, inner: Double, outer: Double,
                             method: Method, learningRate eta: Double, steps: Int) throws -> Run {
        var w1 = start1, w2 = start2
        let n = Double(x.rows)
        var m1 = [Matrix(rows: w1.rows, cols: w1.cols), Matrix(rows: w2.rows, cols: w2.cols)], m2 = m1
        var losses: [Double] = [], sizes: [(Double, Double, Double)] = []
        for t in 0...steps {
            let pre = try Matrix.product(x, w1, transposeB: true)                   // N × m
            let h = pre.hadamard(pre) { v, _ in max(inner * v, 0) }
            let f = try Matrix.product(h, w2, transposeB: true).storage.map { outer * $0 }
            let r = zip(f, y).map { $0 - $1 }
            losses.append(r.reduce(0) { $0 + $1 * $1 } / (2 * n))
            guard t < steps else { break }
            guard losses.last!.isFinite else { throw OptimizerError.diverged(method: method.rawValue, step: t) }
            // ∂L/∂w₂ = (outer/N) rᵀh; ∂L/∂W₁ = (outer·inner/N) [(r w₂) ⊙ 1{pre > 0}]ᵀ x.
            let rm = try Matrix(rows: x.rows, cols: 1, storage: r.map { $0 * outer / n })
            let g2 = try Matrix.product(rm, h, transposeA: true)                      // 1 × m
            var back = try Matrix.product(rm, w2)                                     // N × m
            for i in 0..<back.rows { for j in 0..<back.cols where pre[i, j] * inner <= 0 { back[i, j] = 0 } }
            let g1 = inner * (try Matrix.product(back, x, transposeA: true))         // m × d
            var updates: [Matrix] = []
            for (k, g) in [g1, g2].enumerated() {
                switch method {
                case .gd: updates.append(-eta * g)
                case .sign: updates.append(g.hadamard(g) { v, _ in v > 0 ? -eta : (v < 0 ? eta : 0) })
                case .adam:
                    let (b1, b2) = (0.9, 0.999), step = Double(t + 1)
                    m1[k] = 0.9 * m1[k] + 0.1 * g
                    m2[k] = 0.999 * m2[k] + 0.001 * g.hadamard(g, *)
                    let c1 = 1 / (1 - Foundation.pow(b1, step)), c2 = 1 / (1 - Foundation.pow(b2, step))
                    updates.append(m1[k].hadamard(m2[k]) { a, b in -eta * (a * c1) / ((b * c2).squareRoot() + 1e-8) })
                case .muon:
                    // Momentum as in Muon (β = 0.95, Nesterov), then five quintic Newton–Schulz steps.
                    m1[k] = 0.95 * m1[k] + g
                    let nesterov = g + 0.95 * m1[k]
                    updates.append(-eta * (try SteepestDescent.newtonSchulz(nesterov, iterations: 5, quintic: true)))
                }
            }
            sizes.append((try SteepestDescent.size(updates[0], norm: .euclidean), try SteepestDescent.size(updates[0], norm: .maxNorm),
                          try SteepestDescent.size(updates[0], norm: .spectral)))
            w1 = w1 + updates[0]
            w2 = w2 + updates[1]
        }
        return Run(loss: losses, updateSizes: sizes.map { (l2: $0.0, max: $0.1, spectral: $0.2) }, w1: w1, w2: w2)
    }
}

public enum OptimizerError: Error, CustomStringConvertible {
    case diverged(method: String, step: Int)
    public var description: String {
        switch self {
        case let .diverged(m, s): return "\(m) diverged at step \(s): lower its learning rate"
        }
    }
}
