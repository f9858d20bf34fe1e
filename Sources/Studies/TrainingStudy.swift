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

    /// Algorithm dependence (PDLT §∞.2–∞.3): the same initialization trained to convergence (train loss
    /// below 1e-14 of its start) with two learning rates, η and η/4 (four times the steps); the test outputs
    /// of the network differ at finite width, those of its linearization do not (kernel regression at any η).
    public struct AlgorithmPoint: Sendable {
        public var width: Int
        /// Networks (of `networks`) that converged with all four runs.
        public var converged: Int
        /// √E[(f_η − f_{η/4})²] over networks and test points, for the network and for its linearization.
        public var networkDifference: Double
        public var linearizedDifference: Double
        /// |E[f_η − f_{η/4}]| averaged over test points, with its standard error.
        public var meanDifference: MomentAccumulator.Estimate
    }

    public var points: [WidthPoint]
    /// Mean train loss per step of the network, its linearization and its quadratic truncation (width
    /// `curveWidth`, the same initializations): the Taylor truncations of PDLT §∞.2.
    public var lossCurves: [(model: TrainedModel, loss: [Double])]
    public var curveWidth: Int
    public var algorithm: [AlgorithmPoint]
    public var algorithmSteps: (Int, Int)
    public var algorithmRates: (Double, Double)
    public var algorithmNetworks: Int
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
        // Algorithm dependence on a small subset (6 training images per class converge in a few hundred steps).
        let smallTrain = Array(0..<6) + Array(30..<36), smallTest = Array(20..<24) + Array(50..<54)
        let xs = try Matrix(smallTrain.map { x0.row($0) }), ts = try Matrix(smallTest.map { x0.row($0) })
        let ys = try Matrix(smallTrain.map { [labels[$0] == 0 ? 1.0 : -1.0] })
        let smallKernels = try InfiniteWidthPrediction.Kernels(spec: base, train: xs, test: ts)
        let eta1 = 0.6 * (try InfiniteWidthPrediction.stabilityBound(smallKernels, outputs: 1, kernel: .ntk)), eta2 = eta1 / 4
        let steps1 = 1200, steps2 = 4800
        let algorithmNetworks = min(networks, 16)
        var algorithm: [AlgorithmPoint] = []
        for n in widths.filter({ $0 <= 128 }) {
            var spec = base
            spec.hiddenWidths = [Int](repeating: n, count: base.depth - 1)
            // A network that does not converge (or diverges: a narrow network's NTK can exceed the
            // infinite-width bound) is left out and counted.
            let all = try Ensemble.map(spec: spec, seed: UInt64(900 + n), indices: Array(0..<algorithmNetworks)) { net -> ([Double], [Double])? in
                func run(_ eta: Double, _ steps: Int, _ model: TrainedModel) -> Matrix? {
                    guard let r = try? net.train(x: xs, y: ys, test: ts, steps: steps, learningRate: eta, model: model, measureNTK: false),
                          r.trainLoss.last! <= 1e-14 * r.trainLoss.first! else { return nil }
                    return r.testOutputs
                }
                guard let n1 = run(eta1, steps1, .network), let n2 = run(eta2, steps2, .network),
                      let l1 = run(eta1, steps1, .linearized), let l2 = run(eta2, steps2, .linearized) else { return nil }
                return ((n1 - n2).storage, (l1 - l2).storage)
            }
            let diffs = all.compactMap { $0 }
            guard diffs.count >= 2 else { continue }
            var acc = MomentAccumulator(channels: ts.rows, order: 2)
            for (k, d) in diffs.enumerated() { acc.add(index: k, values: d.0) }
            func rms(_ v: [[Double]]) -> Double { (v.flatMap { $0 }.reduce(0) { $0 + $1 * $1 } / Double(v.count * ts.rows)).squareRoot() }
            algorithm.append(AlgorithmPoint(
                width: n, converged: diffs.count, networkDifference: rms(diffs.map(\.0)), linearizedDifference: rms(diffs.map(\.1)),
                meanDifference: acc.estimate(channels: Array(0..<ts.rows)) { m in m.map { abs($0[1]) }.reduce(0, +) / Double(m.count) }))
        }
        let curveWidth = widths.count > 1 ? widths[widths.count / 2] : widths[0]
        var curveSpec = base
        curveSpec.hiddenWidths = [Int](repeating: curveWidth, count: base.depth - 1)
        let lossCurves = try TrainedModel.allCases.map { model in
            (model, try TrainedEnsemble.run(spec: curveSpec, train: x, targets: y, test: test, steps: steps, learningRate: eta, model: model,
                                            seed: 77, networks: min(networks, 8)).trainLoss)
        }
        var widestSpec = base
        widestSpec.hiddenWidths = [Int](repeating: widths.last!, count: base.depth - 1)
        let widest = try TrainedEnsemble.run(spec: widestSpec, train: x, targets: y, test: test, steps: steps, learningRate: eta,
                                             model: .network, seed: 99, networks: networks)
        return TrainingStudy(points: points, lossCurves: lossCurves, curveWidth: curveWidth, algorithm: algorithm, algorithmSteps: (steps1, steps2), algorithmRates: (eta1, eta2), algorithmNetworks: algorithmNetworks,
                             widest: widest, trainSize: x.rows, testSize: test.rows, steps: steps, networks: networks,
                             learningRate: eta, seconds: Date().timeIntervalSince(start))
    }
}
