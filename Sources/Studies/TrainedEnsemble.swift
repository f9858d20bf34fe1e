import Architecture
import DataIO
import Foundation
import Linalg
import SampledNetworks
import Training

/// `dlt train`: an ensemble of networks (or their linearized / quadratic truncations) trained by
/// full-batch gradient descent, beside the infinite-width NTK prediction at the same time (PDLT
/// ch. 10, ∞). Estimators over the M networks (independent): test mean with standard error
/// sd/√M; test covariance with divisor M − 1, averaged over the k output columns; the train loss
/// averaged over networks at every step; the relative NTK change with its standard error.
/// "theory" is gradient flow at time T (the contract, `dlt predict --time T`); "theory_discrete" the
/// infinite-width ensemble after T discrete steps, which is what the trained networks should approach.
public struct TrainedEnsemble: Sendable {
    public var networks: Int
    public var steps: Int
    public var testMean: Matrix
    public var testMeanSE: Matrix
    public var testCovariance: Matrix
    public var trainLoss: [Double]
    public var ntkChange: Double
    public var ntkChangeSE: Double
    public var theory: InfiniteWidthPrediction.Result
    /// The infinite-width prediction for the same number of discrete steps (what the ensemble does).
    public var theoryDiscrete: InfiniteWidthPrediction.Result
    /// 2Nk/λ_max(Θ): discrete gradient descent at infinite width is stable below this learning rate.
    public var stabilityBound: Double
    public var learningRate: Double
    func learningRate(above bound: Double) -> Bool { learningRate > bound }

    /// Train networks `indices` of the ensemble `seed` of `spec` (output width = target columns).
    public static func run(spec: NetworkSpec, train x: Matrix, targets y: Matrix, test: Matrix, steps: Int, learningRate: Double,
                           model: TrainedModel, seed: UInt64, networks: Int, progress: (@Sendable (Int) -> Void)? = nil) throws -> TrainedEnsemble {
        guard y.rows == x.rows else { throw TrainingError.shape("the targets have \(y.rows) rows but there are \(x.rows) training inputs") }
        guard y.isFinite else { throw TrainingError.nonFinite("the targets contain NaN or infinite values") }
        guard test.cols == x.cols else { throw TrainingError.shape("the test inputs have \(test.cols) columns, the training inputs \(x.cols)") }
        guard steps >= 0 else { throw TrainingError.invalid("--steps must be ≥ 0, got \(steps)") }
        guard networks >= 2 else { throw TrainingError.invalid("--networks must be at least 2 (for standard errors), got \(networks)") }
        guard learningRate > 0, learningRate.isFinite else { throw TrainingError.invalid("--learning-rate must be > 0, got \(learningRate)") }
        let runs = try trainRuns(spec: spec, train: x, targets: y, test: test, steps: steps, learningRate: learningRate, model: model,
                                 seed: seed, indices: Array(0..<networks), progress: progress)
        return try assemble(spec: spec, train: x, targets: y, test: test, steps: steps, learningRate: learningRate, runs: runs)
    }

    /// Train networks `indices` of the ensemble (on all cores; results in index order). Each run depends only on the
    /// network's index, so the runs of a split ensemble (checkpoints, MPI ranks) assemble to the same result.
    public static func trainRuns(spec: NetworkSpec, train x: Matrix, targets y: Matrix, test: Matrix, steps: Int, learningRate: Double,
                                 model: TrainedModel, seed: UInt64, indices: [Int],
                                 progress: (@Sendable (Int) -> Void)? = nil) throws -> [TrainingRun] {
        let spec = spec.with(inputDimension: x.cols).with(outputWidth: y.cols)
        let counter = ProgressCounter(progress)
        return try Ensemble.map(spec: spec, seed: seed, indices: indices) { net -> TrainingRun in
            let r = try net.train(x: x, y: y, test: test, steps: steps, learningRate: learningRate, model: model)
            counter.tick()
            return r
        }
    }

    /// The ensemble's statistics from the runs of networks 0 … M − 1 (in order), beside the infinite-width theory.
    public static func assemble(spec: NetworkSpec, train x: Matrix, targets y: Matrix, test: Matrix, steps: Int, learningRate: Double,
                                runs: [TrainingRun]) throws -> TrainedEnsemble {
        let spec = spec.with(inputDimension: x.cols).with(outputWidth: y.cols)
        let networks = runs.count
        let m = Double(networks)
        var mean = Matrix(rows: test.rows, cols: y.cols)
        for r in runs { mean = mean + r.testOutputs }
        mean = (1 / m) * mean
        var se = Matrix(rows: test.rows, cols: y.cols)
        var cov = Matrix(rows: test.rows, cols: test.rows)
        for r in runs {
            let d = r.testOutputs - mean
            for k in se.storage.indices { se.storage[k] += d.storage[k] * d.storage[k] }
            try cov.addProduct(d, d, transposeB: true, alpha: 1 / ((m - 1) * Double(y.cols)))
        }
        for k in se.storage.indices { se.storage[k] = (se.storage[k] / (m - 1) / m).squareRoot() }
        let loss = (0...steps).map { s in runs.reduce(0) { $0 + $1.trainLoss[s] } / m }
        let changes = runs.map(\.ntkChange)
        let changeMean = changes.reduce(0, +) / m
        let changeSE = (changes.reduce(0) { $0 + ($1 - changeMean) * ($1 - changeMean) } / (m - 1) / m).squareRoot()
        let kernels = try InfiniteWidthPrediction.Kernels(spec: spec, train: x, test: test)
        let theory = try InfiniteWidthPrediction.gradientDescentEnsemble(kernels, targets: y, time: Double(steps), learningRate: learningRate,
                                                                         kernel: .ntk)
        let discrete = try InfiniteWidthPrediction.discreteGradientDescentEnsemble(kernels, targets: y, steps: steps,
                                                                                  learningRate: learningRate, kernel: .ntk)
        let bound = try InfiniteWidthPrediction.stabilityBound(kernels, outputs: y.cols, kernel: .ntk)
        return TrainedEnsemble(networks: networks, steps: steps, testMean: mean, testMeanSE: se, testCovariance: cov, trainLoss: loss,
                               ntkChange: changeMean, ntkChangeSE: changeSE, theory: theory, theoryDiscrete: discrete, stabilityBound: bound,
                               learningRate: learningRate)
    }

    /// The runs as JSON (a checkpoint or an MPI message): [{"index", "train_loss", "test_outputs", "ntk_change"}].
    public static func encode(_ runs: [(index: Int, run: TrainingRun)]) -> JSONValue {
        .array(runs.map { .object([("index", .int($0.index)), ("train_loss", .vector($0.run.trainLoss)),
                                   ("test_outputs", .matrix($0.run.testOutputs)), ("ntk_change", .number($0.run.ntkChange))]) })
    }

    /// The runs written by `encode`; nil if anything is malformed.
    public static func decode(_ v: JSONValue?) -> [(index: Int, run: TrainingRun)]? {
        guard case .array(let items)? = v else { return nil }
        var out: [(Int, TrainingRun)] = []
        for item in items {
            // Non-finite numbers are written as null: they come back as NaN (a diverged loss, an unmeasured NTK change).
            guard let index = item["index"]?.number(), let loss = item["train_loss"]?.numbers(null: .nan),
                  let change = item["ntk_change"]?.number(null: .nan), case .array(let rows)? = item["test_outputs"] else { return nil }
            let matrixRows = rows.compactMap { $0.numbers(null: .nan) }
            guard matrixRows.count == rows.count, let m = try? Matrix(matrixRows) else { return nil }
            out.append((Int(index), TrainingRun(trainLoss: loss, testOutputs: m, ntkChange: change)))
        }
        return out
    }

    /// A fingerprint of a training ensemble's inputs (checkpoints of another run are refused).
    public static func fingerprint(spec: NetworkSpec, train x: Matrix, targets y: Matrix, test: Matrix, steps: Int, learningRate: Double,
                                   model: TrainedModel, seed: UInt64, networks: Int) throws -> String {
        try spec.fingerprint("\(steps) \(learningRate.bitPattern) \(model.rawValue) \(seed) \(networks)", data: [x, y, test])
    }

    /// The contract keys of `dlt train`.
    public func json() -> [(String, JSONValue)] {
        [("test_mean", .matrix(testMean)), ("test_mean_se", .matrix(testMeanSE)), ("test_covariance", .matrix(testCovariance)),
         ("train_loss", .vector(trainLoss)), ("ntk_change", .number(ntkChange)), ("ntk_change_se", .number(ntkChangeSE)),
         ("theory", .object([("mean", .matrix(theory.mean)), ("covariance", .matrix(theory.covariance))])),
         ("theory_discrete", .object([("mean", .matrix(theoryDiscrete.mean)), ("covariance", .matrix(theoryDiscrete.covariance))])),
         ("stable_learning_rate_bound", .number(stabilityBound)),
         ("notes", .string(stabilityBound < 1e300 && learningRate(above: stabilityBound)
             ? "the learning rate exceeds 2Nk/λ_max(Θ) = \(stabilityBound): discrete gradient descent diverges at infinite width, so the networks are in the large-step (catapult) regime and the kernel theory does not describe them"
             : "theory: gradient flow at time T (dlt predict --time T); theory_discrete: the infinite-width ensemble after T discrete steps")),
         ("networks", .int(networks)), ("steps", .int(steps))]
    }
}
