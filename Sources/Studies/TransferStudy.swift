import Foundation
import Linalg
import WidthScaling

/// Learning-rate transfer across width (Yang et al., "Tensor Programs V", arXiv 2203.03466, §3 and Fig. 1): a
/// two-hidden-layer ReLU MLP trained on the digits (cross-entropy, minibatch SGD or Adam) over a grid of widths ×
/// learning rates × seeds, in SP and in μP (base width = the smallest width, where the two coincide). Under SP the
/// best learning rate moves with the width; under μP it stays put (TP5's claim, measured here).
///
/// The sweep is a list of independent points, so it can be split across processes and merged.
public struct TransferStudy: Sendable {
    public struct Config: Sendable {
        public var widths: [Int]
        /// log₂ of the learning rates, per optimizer.
        public var log2Rates: [WidthOptimizer: [Double]]
        public var seeds: Int, steps: Int, batchSize: Int
        public var schemes: [WidthScheme], optimizers: [WidthOptimizer]
        public var depth: Int
        /// The full-training-set loss is recorded this many times along each run.
        public var checkpoints: Int

        /// `dlt study transfer` and the report: widths 64–512, 9 rates an octave apart per optimizer, 3 seeds, 400 steps
        /// of batch 64 (≈ 4–5 min on two cores).
        public static let full = Config(widths: [64, 128, 256, 512],
                                        log2Rates: [.sgd: (-5...3).map(Double.init), .adam: (-13...(-5)).map(Double.init)],
                                        seeds: 3, steps: 400, batchSize: 64, schemes: [.standard, .mup], optimizers: [.sgd, .adam],
                                        depth: 3, checkpoints: 8)
        /// The report's size (`dlt report`, `make run`): the full grid with 2 seeds and 300 steps (about half the time).
        public static let report: Config = {
            var c = full
            c.seeds = 2
            c.steps = 300
            return c
        }()
        /// `--quick` and tests: two widths far apart, fewer rates and steps.
        public static let quick = Config(widths: [32, 256],
                                         log2Rates: [.sgd: (-4...2).map(Double.init), .adam: (-12...(-4)).map(Double.init)],
                                         seeds: 1, steps: 150, batchSize: 64, schemes: [.standard, .mup], optimizers: [.sgd, .adam],
                                         depth: 3, checkpoints: 3)

        public var baseWidth: Int { widths.min() ?? 1 }
    }

    /// One run of the sweep.
    public struct Point: Sendable, Hashable {
        public var scheme: WidthScheme, optimizer: WidthOptimizer
        public var width: Int, log2Rate: Double, seed: Int
        public var learningRate: Double { Foundation.pow(2, log2Rate) }
        public init(scheme: WidthScheme, optimizer: WidthOptimizer, width: Int, log2Rate: Double, seed: Int) {
            self.scheme = scheme; self.optimizer = optimizer; self.width = width; self.log2Rate = log2Rate; self.seed = seed
        }
    }

    public struct Outcome: Sendable {
        public var point: Point
        /// Steps and full-training-set loss along the run.
        public var steps: [Int], trainLoss: [Double]
        public var testLoss: Double, testAccuracy: Double
        public var diverged: Bool
        public init(point: Point, steps: [Int], trainLoss: [Double], testLoss: Double, testAccuracy: Double, diverged: Bool) {
            self.point = point; self.steps = steps; self.trainLoss = trainLoss
            self.testLoss = testLoss; self.testAccuracy = testAccuracy; self.diverged = diverged
        }
        /// The final training loss (+∞ when diverged).
        public var finalLoss: Double { diverged ? .infinity : (trainLoss.last ?? .infinity) }
    }

    /// Per (scheme, optimizer, width): the learning rate with the lowest seed-averaged final training loss.
    public struct Optimum: Sendable {
        public var scheme: WidthScheme, optimizer: WidthOptimizer, width: Int
        /// The grid rate with the lowest loss, its loss and test accuracy.
        public var log2Rate: Double, loss: Double, testAccuracy: Double
        /// The vertex of the parabola through log loss at the best grid rate and its two neighbours (the grid rate
        /// itself at an edge of the grid or when the neighbours are missing): a continuous estimate of the optimum,
        /// steadier than the grid's argmin where the curve is flat near its minimum.
        public var interpolatedLog2Rate: Double
    }

    public var config: Config
    public var outcomes: [Outcome]
    public var trainSize: Int, testSize: Int

    /// The digits split used here and by `DeepOptimizersStudy`.
    public typealias DigitsSplit = (x: Matrix, y: Matrix, xTest: Matrix, yTest: Matrix, labelsTest: [Int])

    /// The digits split used here: every sixth image is a test image (299), the rest train (1498); rows scaled to
    /// |x|²/n₀ = 1; targets one-hot (train and test).
    public static func digitsSplit() throws -> DigitsSplit {
        let d = try Datasets.digits()
        let x = Datasets.normalizeRows(d.inputs)
        var train: [[Double]] = [], test: [[Double]] = [], yTrain: [Int] = [], yTest: [Int] = []
        for i in 0..<x.rows {
            if i % 6 == 5 { test.append(x.row(i)); yTest.append(d.labels[i]) } else { train.append(x.row(i)); yTrain.append(d.labels[i]) }
        }
        func oneHot(_ labels: [Int]) -> Matrix {
            var m = Matrix(rows: labels.count, cols: 10)
            for (i, c) in labels.enumerated() { m[i, c] = 1 }
            return m
        }
        return (try Matrix(train), oneHot(yTrain), try Matrix(test), oneHot(yTest), yTest)
    }

    /// The fraction of rows of `outputs` (logits) whose largest entry is at the row's label.
    public static func accuracy(_ outputs: Matrix, labels: [Int]) -> Double {
        let correct = labels.enumerated().filter { i, c in (0..<outputs.cols).max { outputs[i, $0] < outputs[i, $1] }! == c }.count
        return Double(correct) / Double(outputs.rows)
    }

    public static func points(_ c: Config) -> [Point] {
        c.schemes.flatMap { s in c.optimizers.flatMap { o in c.widths.flatMap { w in (c.log2Rates[o] ?? []).flatMap { r in
            (0..<c.seeds).map { Point(scheme: s, optimizer: o, width: w, log2Rate: r, seed: $0) } } } } }
    }

    /// Train one point of the sweep (the network of `seed` is the same for every learning rate).
    public static func run(_ p: Point, config c: Config, data: DigitsSplit) throws -> Outcome {
        var net = try ScaledMLP(scheme: p.scheme, depth: c.depth, inputDimension: data.x.cols, width: p.width, outputWidth: 10,
                                baseWidth: c.baseWidth, activation: .relu, cw: [Double](repeating: 2, count: c.depth - 1) + [1], cb: [0],
                                optimizer: p.optimizer, seed: UInt64(100 + p.seed))
        let o = WidthTrainingOptions(optimizer: p.optimizer, learningRate: p.learningRate, steps: c.steps, batchSize: c.batchSize,
                                     seed: UInt64(7 + p.seed), recordEvery: max(c.steps / c.checkpoints, 1))
        let h = try net.train(x: data.x, y: data.y, loss: .crossEntropy, options: o)
        var testLoss = Double.infinity, accuracy = 0.0
        if !h.diverged {
            let f = try net.outputs(data.xTest)
            testLoss = WidthLoss.crossEntropy.valueAndCotangent(f, data.yTest, weights: nil, count: f.rows).0
            accuracy = Self.accuracy(f, labels: data.labelsTest)
        }
        return Outcome(point: p, steps: h.steps, trainLoss: h.loss, testLoss: testLoss, testAccuracy: accuracy, diverged: h.diverged)
    }

    /// Thrown when `shouldStop` asks the sweep to stop between blocks (Ctrl-C); the outcomes so far were handed to
    /// `saved`.
    public struct Stopped: Error, CustomStringConvertible {
        public let done: Int, total: Int
        public var description: String { "the sweep stopped after \(done) of \(total) points" }
    }

    /// Run the whole sweep (or the points `shard` selects: point i goes to shard i mod K). Points already in `completed`
    /// (a checkpoint) are not run again; the rest run in blocks of a few points, and after each block `saved` gets
    /// every outcome so far (to write a checkpoint) and `shouldStop` may end the sweep (`Stopped`). Outcomes come back
    /// in point order, so a resumed sweep equals an uninterrupted one.
    public static func run(_ c: Config, shard: (index: Int, count: Int) = (0, 1), completed: [Outcome] = [],
                           saved: (([Outcome]) throws -> Void)? = nil, shouldStop: (() -> Bool)? = nil) throws -> TransferStudy {
        let data = try digitsSplit()
        let all = points(c)
        let mine = all.indices.filter { $0 % shard.count == shard.index }.map { all[$0] }
        let mineSet = Set(mine)
        var done = Dictionary(completed.filter { mineSet.contains($0.point) }.map { ($0.point, $0) }, uniquingKeysWith: { a, _ in a })
        let todo = mine.filter { done[$0] == nil }
        // Points in parallel, one BLAS thread each (the products are small: two points at once beat one point on two
        // BLAS threads). Every point is computed the same way whatever the split.
        BLAS.setThreads(1)
        defer { BLAS.setThreads(ProcessInfo.processInfo.activeProcessorCount) }
        let block = 4 * ProcessInfo.processInfo.activeProcessorCount
        for start in stride(from: 0, to: todo.count, by: block) {
            let results = try Array(todo[start..<min(start + block, todo.count)]).concurrentMap { try run($0, config: c, data: data) }
            for r in results { done[r.point] = r }
            let soFar = mine.compactMap { done[$0] }
            try saved?(soFar)
            if start + block < todo.count, shouldStop?() == true { throw Stopped(done: soFar.count, total: mine.count) }
        }
        return TransferStudy(config: c, outcomes: mine.compactMap { done[$0] }, trainSize: data.x.rows, testSize: data.xTest.rows)
    }

    /// The sweep `part` (this process's shard) completed with outcomes computed elsewhere (other ranks), in point order.
    public func assembled(with outcomes: [Outcome]) -> TransferStudy {
        let byPoint = Dictionary((self.outcomes + outcomes).map { ($0.point, $0) }, uniquingKeysWith: { a, _ in a })
        return TransferStudy(config: config, outcomes: Self.points(config).compactMap { byPoint[$0] }, trainSize: trainSize, testSize: testSize)
    }

    /// A fingerprint of the sweep's configuration (checkpoints of another sweep are refused).
    public static func fingerprint(_ c: Config) -> String {
        let rates = c.optimizers.map { "\($0.rawValue):\((c.log2Rates[$0] ?? []).map { String($0) }.joined(separator: ","))" }.joined(separator: ";")
        return "widths=\(c.widths) rates=\(rates) seeds=\(c.seeds) steps=\(c.steps) batch=\(c.batchSize) schemes=\(c.schemes.map(\.rawValue)) depth=\(c.depth) checkpoints=\(c.checkpoints)"
    }

    /// Seed-averaged final training loss per learning rate for one (scheme, optimizer, width), in grid order
    /// (+∞ if any seed diverged).
    public func lossCurve(_ s: WidthScheme, _ o: WidthOptimizer, width: Int) -> [(log2Rate: Double, loss: Double, accuracy: Double)] {
        (config.log2Rates[o] ?? []).map { r in
            let runs = outcomes.filter { $0.point.scheme == s && $0.point.optimizer == o && $0.point.width == width && $0.point.log2Rate == r }
            let loss = runs.isEmpty ? .nan : runs.reduce(0) { $0 + $1.finalLoss } / Double(runs.count)
            let acc = runs.isEmpty ? .nan : runs.reduce(0) { $0 + $1.testAccuracy } / Double(runs.count)
            return (r, loss, acc)
        }
    }

    public var optima: [Optimum] {
        config.schemes.flatMap { s in config.optimizers.flatMap { o in config.widths.compactMap { w -> Optimum? in
            let curve = lossCurve(s, o, width: w)
            guard let i = curve.indices.filter({ curve[$0].loss.isFinite }).min(by: { curve[$0].loss < curve[$1].loss }) else { return nil }
            var vertex = curve[i].log2Rate
            if i > 0, i + 1 < curve.count, curve[i - 1].loss.isFinite, curve[i + 1].loss.isFinite {
                let (x0, x1, x2) = (curve[i - 1].log2Rate, curve[i].log2Rate, curve[i + 1].log2Rate)
                let (y0, y1, y2) = (Foundation.log(curve[i - 1].loss), Foundation.log(curve[i].loss), Foundation.log(curve[i + 1].loss))
                // Vertex of the parabola through three points (x1 is the lowest, so the parabola opens upward).
                let num = (x1 - x0) * (x1 - x0) * (y1 - y2) - (x1 - x2) * (x1 - x2) * (y1 - y0)
                let den = (x1 - x0) * (y1 - y2) - (x1 - x2) * (y1 - y0)
                if den != 0 { vertex = min(max(x1 - 0.5 * num / den, x0), x2) }
            }
            return Optimum(scheme: s, optimizer: o, width: w, log2Rate: curve[i].log2Rate, loss: curve[i].loss,
                           testAccuracy: curve[i].accuracy, interpolatedLog2Rate: vertex)
        } } }
    }

    /// How far the optimum moves from the smallest to the largest width, in octaves (log₂ of the rate ratio), between
    /// the interpolated optima.
    public func optimumShift(_ s: WidthScheme, _ o: WidthOptimizer) -> Double {
        let opt = optima.filter { $0.scheme == s && $0.optimizer == o }
        guard let first = opt.min(by: { $0.width < $1.width }), let last = opt.max(by: { $0.width < $1.width }) else { return .nan }
        return last.interpolatedLog2Rate - first.interpolatedLog2Rate
    }
}
