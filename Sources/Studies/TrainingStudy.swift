import Architecture
import Foundation
import Linalg
import SampledNetworks
import Statistics
import Training

/// The report's training study (PDLT ch. 10, ∞): ReLU networks trained by gradient descent on a
/// two-class digits task beside their own linearizations (same initialization), over a range of
/// widths. At infinite width the two coincide and the ensemble is the NTK prediction; at finite width
/// the trained network leaves its linearization by the dNTK/ddNTK effects: per network by O(1/√n), on
/// average by O(1/n) (PDLT §∞.2–∞.3). Pairing each network with its own linearization cancels the
/// initialization noise, so the O(1/n) mean shift is measurable with a few dozen networks.
public struct TrainingStudy: Sendable {
    public struct WidthPoint: Sendable {
        public var width: Int
        /// mean over test points of |E[f_net − f_lin]| (the systematic shift), with its standard error.
        public var meanShift: MomentAccumulator.Estimate
        /// √E[(f_net − f_lin)²] averaged over test points (the per-network deviation).
        public var rmsShift: Double
        /// ‖Ĥ_T − Ĥ_0‖_F/‖Ĥ_0‖_F of the trained networks.
        public var ntkChange: MomentAccumulator.Estimate
    }

    public var points: [WidthPoint]
    /// The widest ensemble's test predictions and the infinite-width ensemble after the same steps.
    public var widest: TrainedEnsemble
    public var trainSize: Int, testSize: Int, steps: Int, networks: Int, learningRate: Double
    public var seconds: Double

    public static func run(widths: [Int] = [32, 64, 128, 256, 512], networks: Int = 32, steps: Int = 50) throws -> TrainingStudy {
        let start = Date()
        let digits = try Datasets.digits()
        let (xAll, labels) = Datasets.firstExamples(digits, classes: [0, 1], perClass: 30)
        let x0 = Datasets.normalizeRows(Datasets.standardizeColumns(xAll))
        // 20 per class to train, 10 per class to test; targets ±1.
        let trainRows = Array(0..<20) + Array(30..<50), testRows = Array(20..<30) + Array(50..<60)
        let x = try Matrix(trainRows.map { x0.row($0) }), test = try Matrix(testRows.map { x0.row($0) })
        let y = try Matrix(trainRows.map { [labels[$0] == 0 ? 1.0 : -1.0] })
        let base = try NetworkSpec(inputDimension: x.cols, depth: 3, width: widths[0], outputWidth: 1, activation: .relu, cb: 0.1, cw: 2)
        let kernels = try InfiniteWidthPrediction.Kernels(spec: base, train: x, test: test)
        let eta = 0.5 * (try InfiniteWidthPrediction.stabilityBound(kernels, outputs: 1, kernel: .ntk))
        var points: [WidthPoint] = []
        for n in widths {
            var spec = base
            spec.hiddenWidths = [Int](repeating: n, count: base.depth - 1)
            let pairs = try Ensemble.map(spec: spec, seed: UInt64(700 + n), indices: Array(0..<networks)) { net -> ([Double], Double) in
                let trained = try net.train(x: x, y: y, test: test, steps: steps, learningRate: eta, model: .network)
                let linear = try net.train(x: x, y: y, test: test, steps: steps, learningRate: eta, model: .linearized)
                return ((trained.testOutputs - linear.testOutputs).storage, trained.ntkChange)
            }
            var shift = MomentAccumulator(channels: test.rows, order: 2)
            var change = MomentAccumulator(channels: 1, order: 2)
            for (k, p) in pairs.enumerated() {
                shift.add(index: k, values: p.0)
                change.add(index: k, values: [p.1])
            }
            // |E[d]| averaged over test points (jackknife over the average of |·| of the channel means).
            let mean = shift.estimate(channels: Array(0..<test.rows)) { m in m.map { abs($0[1]) }.reduce(0, +) / Double(m.count) }
            let rms = (0..<test.rows).map { shift.estimate($0) { $0[2] }.value.squareRoot() }.reduce(0, +) / Double(test.rows)
            points.append(WidthPoint(width: n, meanShift: mean, rmsShift: rms, ntkChange: change.mean(0)))
        }
        var widestSpec = base
        widestSpec.hiddenWidths = [Int](repeating: widths.last!, count: base.depth - 1)
        let widest = try TrainedEnsemble.run(spec: widestSpec, train: x, targets: y, test: test, steps: steps, learningRate: eta,
                                             model: .network, seed: 99, networks: networks)
        return TrainingStudy(points: points, widest: widest, trainSize: x.rows, testSize: test.rows, steps: steps, networks: networks,
                             learningRate: eta, seconds: Date().timeIntervalSince(start))
    }
}
