import Foundation
import Gaussian
import Linalg
import Statistics

/// The coordinate check of microsoft/mup (Yang et al., TP5 §D; TP4 §5): against the width n, the typical size of
/// each layer's gradient at initialization and of each layer's preactivation update after a few steps. A
/// parameterization is stable and feature-learning when every update stays Θ(1) (TP4's "maximal update").
public enum CoordinateCheck {
    /// One width, averaged over seeds: root-mean-square entries per layer ℓ = 1 … L.
    public struct Point: Sendable {
        public var width: Int
        /// RMS of ∂loss/∂w^(ℓ) at initialization (trained parameters).
        public var gradient: [Double]
        /// RMS of z^(ℓ)_t − z^(ℓ)_0 over the inputs and units after step t = 1 … steps: update[t − 1][ℓ − 1].
        public var updates: [[Double]]
        /// After the first step (what the exponents are fitted to).
        public var update: [Double] { updates[0] }
    }

    public struct Curve: Sendable {
        public var scheme: WidthScheme, optimizer: WidthOptimizer
        public var points: [Point]
        /// Fitted exponents (log–log least squares over the widths) of the gradient and of the first step's update,
        /// per layer, and the predicted ones. The first step is the linear response whose exponents the table
        /// predicts; later steps at a fixed η leave it under SP as the updates grow.
        public var gradientSlopes: [Double], updateSlopes: [Double]
        public var predictedGradient: [Double], predictedUpdate: [Double]
    }

    /// Leading-order exponents of the two quantities in n at fixed η (derived layer by layer from the abc exponents
    /// with O(1) inputs and targets: SGD's update is the gradient times the rate, Adam's and sign descent's first
    /// steps are the gradient's sign times the rate). Per layer kind:
    ///
    /// | scheme | gradient (in, hidden, out) | SGD update | Adam/sign update |
    /// |---|---|---|---|
    /// | SP | −½, −½, 0 | −½, +½, +1 | 0, +1, +3/2 |
    /// | NTK | −½, −1, −½ | −½, −½, 0 | 0, +½, +1 |
    /// | μP | −1, −1, 0 | 0, 0, 0 | 0, 0, 0 |
    /// | mean field (in, out) | −1, −1 | 0, 0 | 0, 0 |
    ///
    /// The output layer's Adam exponents carry an extra +½ under SP and NTK: the last hidden layer moved by
    /// sign(w^(L)ᵀ dz), which is aligned with the output weights, so w^(L)Δa^(L−1) adds n coherent terms of size
    /// n^{−1/2} (Δa's own size); under SGD that product is w^(L)w^(L)ᵀ = O(1) and no extra power appears.
    public static func predicted(_ scheme: WidthScheme, optimizer: WidthOptimizer, depth: Int) -> (gradient: [Double], update: [Double]) {
        let adam = optimizer.scaleInvariant
        let table: [LayerKind: (Double, Double)]
        switch scheme {
        case .standard: table = [.input: (-0.5, adam ? 0 : -0.5), .hidden: (-0.5, adam ? 1 : 0.5), .output: (0, adam ? 1.5 : 1)]
        case .ntk: table = [.input: (-0.5, adam ? 0 : -0.5), .hidden: (-1, adam ? 0.5 : -0.5), .output: (-0.5, adam ? 1 : 0)]
        case .mup: table = [.input: (-1, 0), .hidden: (-1, 0), .output: (0, 0)]
        case .meanField: table = [.input: (-1, 0), .hidden: (-1, 0), .output: (-1, 0)]
        }
        let kinds = (1...depth).map { l -> LayerKind in l == 1 ? .input : (l == depth ? .output : .hidden) }
        return (kinds.map { table[$0]!.0 }, kinds.map { table[$0]!.1 })
    }

    /// Run the check: for each width, `seeds` networks trained `steps` ≥ 1 full-batch steps on (x, y).
    public static func run(scheme: WidthScheme, optimizer: WidthOptimizer, depth: Int, widths: [Int], baseWidth: Int,
                           activation: Activation, cw: [Double], cb: [Double], x: Matrix, y: Matrix, loss: WidthLoss,
                           learningRate: Double, steps: Int, seeds: Int) throws -> Curve {
        guard steps >= 1, seeds >= 1, widths.count >= 2 else {
            throw ParameterizationError.invalid("a coordinate check needs at least one step, one seed and two widths")
        }
        let points = try widths.map { n -> Point in
            var grad = [Double](repeating: 0, count: depth)
            var upd = [[Double]](repeating: grad, count: steps)
            for s in 0..<seeds {
                var net = try ScaledMLP(scheme: scheme, depth: depth, inputDimension: x.cols, width: n, outputWidth: y.cols,
                                        baseWidth: baseWidth, activation: activation, cw: cw, cb: cb, optimizer: optimizer,
                                        seed: UInt64(1000 + s))
                let z0 = try net.forward(x)
                let (_, cot) = loss.valueAndCotangent(z0.last!, y, weights: nil, count: x.rows)
                let g = try net.gradients(x, preactivations: z0, outputCotangent: cot)
                try net.train(x: x, y: y, loss: loss, options: WidthTrainingOptions(optimizer: optimizer, learningRate: learningRate,
                                                                                       steps: steps, recordEvery: steps)) { t, current in
                    let z = try current.forward(x)
                    for l in 0..<depth { upd[t - 1][l] += rms((z[l] - z0[l]).storage) / Double(seeds) }
                }
                for l in 0..<depth { grad[l] += rms(g.weights[l].storage) / Double(seeds) }
            }
            return Point(width: n, gradient: grad, updates: upd)
        }
        let ws = widths.map(Double.init)
        let pred = predicted(scheme, optimizer: optimizer, depth: depth)
        return Curve(scheme: scheme, optimizer: optimizer, points: points,
                     gradientSlopes: (0..<depth).map { l in PowerLaw.slope(ws, points.map { $0.gradient[l] }) },
                     updateSlopes: (0..<depth).map { l in PowerLaw.slope(ws, points.map { $0.update[l] }) },
                     predictedGradient: pred.gradient, predictedUpdate: pred.update)
    }

    static func rms(_ v: [Double]) -> Double { (v.reduce(0) { $0 + $1 * $1 } / Double(max(v.count, 1))).squareRoot() }
}
