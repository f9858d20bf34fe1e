import Foundation
import Linalg
import Optimizers
import Sampling

/// The losses a `ScaledMLP` is trained on, each a weighted mean over the N examples (weights default to 1):
/// - `meanSquared`: (1/(2Nk)) Σ_i w_i ‖f(x_i) − y_i‖² (PDLT §7.2 and neural-tangents' convention);
/// - `crossEntropy`: (1/N) Σ_i w_i (−Σ_c y_ic log softmax(f(x_i))_c), targets one-hot (or probabilities);
/// - `logistic`: (1/N) Σ_i w_i log(1 + exp(−y_i f(x_i))), one output, labels ±1.
public enum WidthLoss: String, Sendable, CaseIterable, Codable {
    case meanSquared = "mse", crossEntropy = "cross-entropy", logistic

    /// The loss and ∂loss/∂f for outputs f (B × k) and targets y (B × k), sample weights w, mean over `count` examples.
    public func valueAndCotangent(_ f: Matrix, _ y: Matrix, weights w: [Double]?, count: Int) -> (Double, Matrix) {
        let (b, k) = (f.rows, f.cols)
        var g = Matrix(rows: b, cols: k)
        var total = 0.0
        let norm = 1 / Double(count)
        for i in 0..<b {
            let wi = w?[i] ?? 1
            switch self {
            case .meanSquared:
                for c in 0..<k {
                    let r = f[i, c] - y[i, c]
                    total += wi * 0.5 * r * r / Double(k)
                    g[i, c] = wi * norm * r / Double(k)
                }
            case .crossEntropy:
                var top = -Double.infinity
                for c in 0..<k { top = max(top, f[i, c]) }
                var s = 0.0
                for c in 0..<k { s += Foundation.exp(f[i, c] - top) }
                let logZ = top + Foundation.log(s)
                var mass = 0.0
                for c in 0..<k {
                    total -= wi * y[i, c] * (f[i, c] - logZ)
                    mass += y[i, c]
                }
                for c in 0..<k { g[i, c] = wi * norm * (mass * Foundation.exp(f[i, c] - logZ) - y[i, c]) }
            case .logistic:
                let m = y[i, 0] * f[i, 0]
                // log(1 + e^{−m}) and its slope without overflow.
                total += wi * (m > 0 ? Foundation.log1p(Foundation.exp(-m)) : -m + Foundation.log1p(Foundation.exp(m)))
                let s = m > 0 ? Foundation.exp(-m) / (1 + Foundation.exp(-m)) : 1 / (1 + Foundation.exp(m))
                g[i, 0] = -wi * norm * y[i, 0] * s
            }
        }
        return (total * norm, g)
    }
}

/// How a `ScaledMLP` is trained.
public struct WidthTrainingOptions: Sendable {
    public var optimizer: WidthOptimizer
    /// η; each tensor's step uses η times its `LayerRule` rate.
    public var learningRate: Double
    public var steps: Int
    /// Minibatch size (nil: full batch). Step t's batch is drawn without replacement from the counter-based
    /// generator keyed by (seed, t), so it does not depend on threads or on how a sweep is split.
    public var batchSize: Int?
    /// L2 penalty (λ/2)‖θ‖² on the trained parameters (weight decay in the loss).
    public var l2: Double
    public var seed: UInt64
    /// The full-data loss is recorded every `recordEvery` steps (and at the start and end).
    public var recordEvery: Int

    public init(optimizer: WidthOptimizer, learningRate: Double, steps: Int, batchSize: Int? = nil, l2: Double = 0,
                seed: UInt64 = 0, recordEvery: Int = 1) {
        self.optimizer = optimizer
        self.learningRate = learningRate
        self.steps = steps
        self.batchSize = batchSize
        self.l2 = l2
        self.seed = seed
        self.recordEvery = max(recordEvery, 1)
    }
}

public struct WidthTrainingHistory: Sendable {
    /// Steps at which the full-data loss was recorded, and that loss (data term only).
    public var steps: [Int], loss: [Double]
    /// The step at which the loss became non-finite or exceeded 10⁶ times its start (training stopped there).
    public var divergedAt: Int?
    public var diverged: Bool { divergedAt != nil }
}

extension ScaledMLP {
    /// Train in place on (x, y) with `loss` (PDLT §7.2 for gradient descent; the other optimizers as in
    /// `WidthOptimizer`). Per tensor the step is η·rate times: the gradient (sgd); its sign (sign); Adam's
    /// m̂/(√v̂ + 10⁻⁸) with β = (0.9, 0.999); for Muon the Newton–Schulz orthogonalization (5 quintic steps) of
    /// the Nesterov momentum (β = 0.95) times √max(1, n_out/n_in) for weights, Adam for biases.
    @discardableResult
    /// `observe(t, network)` is called after every step t = 1 … steps.
    public mutating func train(x: Matrix, y: Matrix, loss: WidthLoss, sampleWeights: [Double]? = nil,
                               options o: WidthTrainingOptions,
                               observe: ((Int, ScaledMLP) throws -> Void)? = nil) throws -> WidthTrainingHistory {
        guard x.rows == y.rows, y.cols == widths.last! else {
            throw ParameterizationError.invalid("targets must be \(x.rows) × \(widths.last!), got \(y.rows) × \(y.cols)")
        }
        guard x.rows > 0 else { throw ParameterizationError.invalid("no training examples") }
        if let w = sampleWeights, w.count != x.rows || w.contains(where: { !($0 >= 0 && $0.isFinite) }) {
            throw ParameterizationError.invalid("give one finite, non-negative sample weight per example")
        }
        guard o.learningRate > 0 && o.learningRate.isFinite else { throw ParameterizationError.invalid("learning rate must be positive") }
        guard o.l2 >= 0 else { throw ParameterizationError.invalid("L2 penalty must be ≥ 0") }
        if loss == .logistic && y.cols != 1 { throw ParameterizationError.invalid("the logistic loss needs one output") }
        let n = x.rows
        let batch = min(o.batchSize ?? n, n)
        var history = WidthTrainingHistory(steps: [], loss: [], divergedAt: nil)
        func fullLoss() throws -> Double {
            loss.valueAndCotangent(try outputs(x), y, weights: sampleWeights, count: n).0
        }
        history.steps.append(0)
        history.loss.append(try fullLoss())
        let start = history.loss[0]
        var m1w = weights.map { Matrix(rows: $0.rows, cols: $0.cols) }, m2w = m1w
        var m1b = biases.map { [Double](repeating: 0, count: $0.count) }, m2b = m1b
        for t in 0..<o.steps {
            let rows = batch == n ? Array(0..<n) : Self.batchRows(n: n, batch: batch, seed: o.seed, step: t)
            let xb = batch == n ? x : try Matrix(rows.map { x.row($0) })
            let yb = batch == n ? y : try Matrix(rows.map { y.row($0) })
            let wb = sampleWeights.map { w in rows.map { w[$0] } }
            let zs = try forward(xb)
            let (_, cot) = loss.valueAndCotangent(zs.last!, yb, weights: wb, count: batch)
            var (gw, gb) = try gradients(xb, preactivations: zs, outputCotangent: cot)
            if o.l2 > 0 {
                for l in 0..<depth {
                    gw[l] = gw[l] + o.l2 * weights[l]
                    for j in gb[l].indices { gb[l][j] += o.l2 * biases[l][j] }
                }
            }
            let step = Double(t + 1)
            let c1 = 1 / (1 - Foundation.pow(0.9, step)), c2 = 1 / (1 - Foundation.pow(0.999, step))
            // Muon orthogonalizes the weight matrices and takes Adam for the biases; the others are elementwise.
            let elementwise: ElementwiseRule = o.optimizer == .sgd ? .sgd : (o.optimizer == .sign ? .sign : .adam)
            for l in 0..<depth {
                let rw = o.learningRate * rules[l].weightRate, rb = o.learningRate * rules[l].biasRate
                if o.optimizer == .muon {
                    m1w[l] = 0.95 * m1w[l] + gw[l]
                    let nesterov = gw[l] + 0.95 * m1w[l]
                    let orth = try SteepestDescent.newtonSchulz(nesterov, iterations: 5, quintic: true)
                    let scale = rw * max(1, Double(weights[l].rows) / Double(weights[l].cols)).squareRoot()
                    weights[l] = weights[l] + (-scale) * orth
                } else {
                    Self.step(&weights[l].storage, gw[l].storage, rate: rw, rule: elementwise, m: &m1w[l].storage, v: &m2w[l].storage, c1: c1, c2: c2)
                }
                Self.step(&biases[l], gb[l], rate: rb, rule: o.optimizer == .muon ? .adam : elementwise, m: &m1b[l], v: &m2b[l], c1: c1, c2: c2)
            }
            try observe?(t + 1, self)
            if (t + 1) % o.recordEvery == 0 || t + 1 == o.steps {
                let value = try fullLoss()
                history.steps.append(t + 1)
                history.loss.append(value)
                if !value.isFinite || value > 1e6 * max(start, 1e-12) {
                    history.divergedAt = t + 1
                    break
                }
            }
        }
        return history
    }

    @inline(__always) static func sign(_ v: Double) -> Double { v > 0 ? 1 : (v < 0 ? -1 : 0) }

    enum ElementwiseRule { case sgd, sign, adam }

    /// One elementwise step on parameters p with gradient g at `rate`: p −= rate·g (sgd), rate·sign(g) (sign), or
    /// Adam's rate·m̂/(√v̂ + 10⁻⁸) with β = (0.9, 0.999), updating the moments m, v (bias corrections c1, c2).
    static func step(_ p: inout [Double], _ g: [Double], rate: Double, rule: ElementwiseRule, m: inout [Double], v: inout [Double],
                     c1: Double, c2: Double) {
        p.withUnsafeMutableBufferPointer { w in
            g.withUnsafeBufferPointer { gp in
                switch rule {
                case .sgd: for k in 0..<w.count { w[k] -= rate * gp[k] }
                case .sign: for k in 0..<w.count { w[k] -= rate * sign(gp[k]) }
                case .adam:
                    m.withUnsafeMutableBufferPointer { mp in
                        v.withUnsafeMutableBufferPointer { vp in
                            for k in 0..<w.count {
                                mp[k] = 0.9 * mp[k] + 0.1 * gp[k]
                                vp[k] = 0.999 * vp[k] + 0.001 * gp[k] * gp[k]
                                w[k] -= rate * (mp[k] * c1) / ((vp[k] * c2).squareRoot() + 1e-8)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Rows of step `step`'s minibatch: a partial Fisher–Yates shuffle driven by Philox keyed by (seed, step).
    static func batchRows(n: Int, batch: Int, seed: UInt64, step: Int) -> [Int] {
        var idx = Array(0..<n)
        let g = Philox4x32(seed: seed, stream: 0xBA7C_4000_0000 | UInt64(step))
        for i in 0..<batch {
            let b = g.block(UInt32(truncatingIfNeeded: i), 0, 0, 0)
            let u = (UInt64(b.0) << 32 | UInt64(b.1))
            let j = i + Int(u % UInt64(n - i))
            idx.swapAt(i, j)
        }
        return Array(idx[0..<batch])
    }
}
