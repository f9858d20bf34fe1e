import Foundation
import Linalg

/// A two-layer ReLU network without biases, f(x) = Σⱼ aⱼ relu(wⱼᵀx) — positively homogeneous of degree
/// q = 2 in θ = (a, W) — trained by gradient descent on the logistic loss F(θ) = (1/n) Σᵢ log(1 + exp(−yᵢf(xᵢ)))
/// (the lecture's implicit-bias experiment for networks; Lyu & Li 2020: once the data is fitted, the
/// normalized margin γ̄(θ) = minᵢ yᵢf(xᵢ)/‖θ‖² increases along gradient flow and θ/‖θ‖ converges in direction to
/// a KKT point of the max-margin problem). The forward and backward passes are DGEMMs.
public struct TwoLayerHomogeneous: Sendable {
    public struct Snapshot: Sendable {
        public var step: Int
        public var loss: Double
        /// minᵢ yᵢf(xᵢ)/‖θ‖² (q = 2).
        public var normalizedMargin: Double
        public var norm: Double
    }
    public var a: [Double]
    public var w: Matrix
    public var snapshots: [Snapshot]

    /// `width` hidden units, initialization W ~ N(0, scale²/n₀), a ~ N(0, scale²/width) from `normals`
    /// (width·(n₀ + 1) standard normals, e.g. from a counter-based generator).
    public init(x: Matrix, labels y: [Double], width: Int, normals: [Double], scale: Double, steps: Int, learningRate eta: Double,
                records: Int = 60) throws {
        try ImplicitBiasError.checkLabels(x: x, labels: y)
        guard width >= 1 else { throw ImplicitBiasError.invalid("the width must be ≥ 1, got \(width)") }
        guard steps >= 1, eta > 0 else { throw ImplicitBiasError.invalid("need steps ≥ 1 and a positive learning rate") }
        let n = x.rows, d = x.cols
        precondition(normals.count >= width * (d + 1), "need width·(n₀ + 1) normals")
        var w = try Matrix(rows: width, cols: d, storage: normals.prefix(width * d).map { $0 * scale / Double(d).squareRoot() })
        var a = normals[(width * d)..<(width * (d + 1))].map { $0 * scale / Double(width).squareRoot() }
        var recordAt = Set<Int>([steps])
        for k in 0..<max(records, 2) { recordAt.insert(max(1, Int(pow(Double(steps), Double(k) / Double(max(records, 2) - 1)).rounded()))) }
        var snaps: [Snapshot] = []
        for t in 1...steps {
            let pre = try Matrix.product(x, w, transposeB: true)                 // n × m
            let h = pre.hadamard(pre) { v, _ in max(v, 0) }
            let f = try h.apply(a)
            let margins = zip(y, f).map { $0 * $1 }
            // r_i = −yᵢ σ(−yᵢfᵢ)/n: ∂F/∂fᵢ.
            let r = zip(y, margins).map { yi, m in -yi * Logistic.slope(m) / Double(n) }
            let ga = try h.transposed.apply(r)                                     // ∂F/∂a = hᵀr
            var back = Matrix(rows: n, cols: width)                                // (r aᵀ) ⊙ 1{pre > 0}
            for i in 0..<n { for j in 0..<width where pre[i, j] > 0 { back[i, j] = r[i] * a[j] } }
            let gw = try Matrix.product(back, x, transposeA: true)                 // m × d
            for j in 0..<width { a[j] -= eta * ga[j] }
            for k in w.storage.indices { w.storage[k] -= eta * gw.storage[k] }
            if recordAt.contains(t) || t == steps {
                let pre2 = try Matrix.product(x, w, transposeB: true)
                let f2 = try pre2.hadamard(pre2) { v, _ in max(v, 0) }.apply(a)
                let m2 = zip(y, f2).map { $0 * $1 }
                let norm2 = a.reduce(0) { $0 + $1 * $1 } + w.storage.reduce(0) { $0 + $1 * $1 }
                let loss = m2.reduce(0) { $0 + Logistic.loss($1) } / Double(n)
                snaps.append(Snapshot(step: t, loss: loss, normalizedMargin: m2.min()! / norm2, norm: norm2.squareRoot()))
            }
            guard a.allSatisfy(\.isFinite) else { throw ImplicitBiasError.nonFinite("gradient descent diverged at step \(t): lower the learning rate") }
        }
        self.a = a
        self.w = w
        snapshots = snaps
    }
}
