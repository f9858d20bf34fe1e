import Foundation
import Linalg
import Optimizers
import WidthScaling

/// The optimizer comparison on a deeper net (the last lecture's steepest-descent view, on a real task): an MLP with
/// three hidden ReLU layers of width 128 (SP) on the digits, cross-entropy, minibatch 128, trained by SGD (ℓ₂),
/// sign descent (ℓ∞), Adam and Muon (spectral norm per weight matrix); each from two starts that are the same
/// function, (5W¹, W², W³, W⁴) and (W¹, W², W³, 5W⁴) with zero initial biases (relu is positively homogeneous).
/// Per optimizer the learning rate is the best of a small log₂ grid (lowest final training loss from the first start).
public struct DeepOptimizersStudy: Sendable {
    public struct Result: Sendable {
        public var optimizer: WidthOptimizer
        public var log2Rate: Double
        /// Full-training-set loss at the recorded steps, from the two starts.
        public var steps: [Int], lossA: [Double], lossB: [Double]
        public var testAccuracyA: Double
        /// RMS over the test inputs of f_A − f_B (all 10 logits) relative to the RMS of f_A, after training.
        public var functionGap: Double
        /// Mean over steps of each layer's update size (from start A) in ℓ₂ (Frobenius), ℓ∞ (largest entry) and
        /// spectral norm, divided by the step's learning rate for that layer.
        public var updateSizes: [(l2: Double, max: Double, spectral: Double)]
    }
    public var results: [Result]
    public var width: Int, depth: Int, steps: Int, batchSize: Int
    public static let grids: [WidthOptimizer: [Double]] = [.sgd: [-3, -1, 1], .sign: [-13, -11, -9], .adam: [-11, -9, -7], .muon: [-7, -5, -3]]

    public static func run(steps: Int = 400, width: Int = 128) throws -> DeepOptimizersStudy {
        let data = try TransferStudy.digitsSplit()
        let depth = 4, batch = 128
        func start(_ optimizer: WidthOptimizer, scaleFirst: Bool) throws -> ScaledMLP {
            var n = try ScaledMLP(scheme: .standard, depth: depth, inputDimension: data.x.cols, width: width, outputWidth: 10, baseWidth: width,
                                  activation: .relu, cw: [2, 2, 2, 1], cb: [0], optimizer: optimizer, seed: 31)
            let l = scaleFirst ? 0 : depth - 1
            n.weights[l] = 5 * n.weights[l]
            return n
        }
        let results = try WidthOptimizer.allCases.map { opt -> Result in
            func train(_ r: Double, scaleFirst: Bool, sizes: Bool) throws -> (ScaledMLP, WidthTrainingHistory, [(Double, Double, Double)]) {
                var net = try start(opt, scaleFirst: scaleFirst)
                var previous = net.weights
                var acc = [(Double, Double, Double)](repeating: (0, 0, 0), count: depth)
                let o = WidthTrainingOptions(optimizer: opt, learningRate: Foundation.pow(2, r), steps: steps, batchSize: batch, seed: 5,
                                             recordEvery: max(steps / 20, 1))
                let h = try net.train(x: data.x, y: data.y, loss: .crossEntropy, options: o) { _, current in
                    guard sizes else { return }
                    for l in 0..<depth {
                        let d = current.weights[l] - previous[l]
                        let eta = o.learningRate * current.rules[l].weightRate
                        acc[l].0 += try SteepestDescent.size(d, norm: .euclidean) / eta / Double(steps)
                        acc[l].1 += try SteepestDescent.size(d, norm: .maxNorm) / eta / Double(steps)
                        acc[l].2 += try SteepestDescent.size(d, norm: .spectral) / eta / Double(steps)
                    }
                    previous = current.weights
                }
                return (net, h, acc)
            }
            let candidates = try grids[opt]!.map { r in (r, try train(r, scaleFirst: true, sizes: false).1) }
            let best = candidates.filter { !$0.1.diverged }.min { $0.1.loss.last! < $1.1.loss.last! }?.0 ?? grids[opt]![0]
            let (a, ha, sizes) = try train(best, scaleFirst: true, sizes: true)
            let (b, hb, _) = try train(best, scaleFirst: false, sizes: false)
            let fa = try a.outputs(data.xTest), fb = try b.outputs(data.xTest)
            func rms(_ v: [Double]) -> Double { (v.reduce(0) { $0 + $1 * $1 } / Double(max(v.count, 1))).squareRoot() }
            return Result(optimizer: opt, log2Rate: best, steps: ha.steps, lossA: ha.loss, lossB: hb.loss,
                          testAccuracyA: TransferStudy.accuracy(fa, labels: data.labelsTest), functionGap: rms((fa - fb).storage) / rms(fa.storage),
                          updateSizes: sizes.map { (l2: $0.0, max: $0.1, spectral: $0.2) })
        }
        return DeepOptimizersStudy(results: results, width: width, depth: depth, steps: steps, batchSize: batch)
    }
}
