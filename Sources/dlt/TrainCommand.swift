import ArgumentParser
import DeepTheory
import Foundation
#if DEEPTHEORY_MPI
import MPISupport
#endif

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an ensemble of finite networks by gradient descent beside the infinite-width prediction (PDLT ch. 10, ∞).",
        discussion: """
            Example: dlt train --activation relu --depth 3 --width 512 --cw 2 --cb 0.1 --train Xtr.csv --targets Ytr.csv \
            --test Xte.csv --networks 32 --steps 30 --learning-rate 1 --seed 1 --format json
            prints {"test_mean", "test_mean_se", "test_covariance", "train_loss", "ntk_change", "ntk_change_se",
            "theory": {"mean", "covariance"}}: full-batch gradient descent on L = (1/2Nk) Σ (z − y)² with the
            learning-rate tensor λ, T steps at rate η on the clock of `dlt predict --time T --learning-rate η` (whose NTK
            prediction is "theory"). --model linearized trains z₀ + J₀Δθ, --model quadratic adds ½Δθᵀ H₀ Δθ.
            The output width is the number of target columns.
            """
    )

    @OptionGroup var network: NetworkOptions
    @OptionGroup var out: OutputOptions

    @OptionGroup var data: TrainingDataOptions

    @Option(help: "Number of networks in the ensemble.")
    var networks: Int = 32

    @Option(help: "Gradient-descent steps T.")
    var steps: Int = 100

    @Option(help: "Learning rate η.")
    var learningRate: Double = 1

    @Option(help: "Seed of the ensemble (network k is the same for any thread count).")
    var seed: UInt64 = 1

    @Option(help: "What is trained: network (default), linearized or quadratic.")
    var model: String = "network"

    @OptionGroup var checkpoints: CheckpointOptions

    func run() throws {
        let (checkpoint, resume) = (checkpoints.checkpoint, checkpoints.resume)
        guard let trained = TrainedModel(rawValue: model.lowercased()) else {
            throw ValidationError("--model must be network, linearized or quadratic, got '\(model)'")
        }
        guard networks >= 2 else { throw ValidationError("--networks must be at least 2, got \(networks)") }
        guard steps >= 0 else { throw ValidationError("--steps must be ≥ 0, got \(steps)") }
        let spec = try network.networkSpec()
        let (x, y, xTest) = try data.read()
        try checkSampleable(spec.with(inputDimension: x.cols))
        let fingerprint = try TrainedEnsemble.fingerprint(spec: spec, train: x, targets: y, test: xTest, steps: steps, learningRate: learningRate,
                                                          model: trained, seed: seed, networks: networks)
        func train(_ indices: [Int], progress: (@Sendable (Int) -> Void)? = nil) throws -> [(index: Int, run: TrainingRun)] {
            let runs = try TrainedEnsemble.trainRuns(spec: spec, train: x, targets: y, test: xTest, steps: steps, learningRate: learningRate,
                                                     model: trained, seed: seed, indices: indices, progress: progress)
            return Array(zip(indices, runs)).map { (index: $0.0, run: $0.1) }
        }
        func assemble(_ done: [Int: TrainingRun]) throws {
            let result = try TrainedEnsemble.assemble(spec: spec, train: x, targets: y, test: xTest, steps: steps, learningRate: learningRate,
                                                      runs: (0..<networks).map { done[$0]! })
            try out.emit(json: .object(result.json()))
        }
        // Under mpirun (the DEEPTHEORY_MPI build) rank r trains networks r, r+K, …; rank 0 gathers the runs and writes.
        #if DEEPTHEORY_MPI
        if let world = MPI.start(), world.size > 1 {
            guard checkpoint == nil else { throw ValidationError("--checkpoint is not available under mpirun") }
            let mine = try train(Array(stride(from: world.rank, to: networks, by: world.size)))
            guard let parts = MPI.gatherOntoRoot(Data(TrainedEnsemble.encode(mine).serialized().utf8)) else { return }
            var done: [Int: TrainingRun] = [:]
            for part in parts {
                guard let doc = try? JSONValue.parse(part), let runs = TrainedEnsemble.decode(doc) else {
                    throw ValidationError("a rank sent unreadable training runs")
                }
                for r in runs { done[r.index] = r.run }
            }
            try assemble(done)
            return
        }
        #endif
        var done: [Int: TrainingRun] = [:]
        if resume, let checkpoint {
            guard let data = FileManager.default.contents(atPath: checkpoint), let doc = try? JSONValue.parse(data),
                  case .string(let f)? = doc["fingerprint"], let runs = TrainedEnsemble.decode(doc["runs"]) else {
                throw ValidationError("\(checkpoint) is not a dlt train checkpoint")
            }
            guard f == fingerprint else { throw ValidationError("\(checkpoint) is a checkpoint of another run: resume with the flags that started it") }
            for r in runs where r.index < networks { done[r.index] = r.run }
        }
        func save(_ path: String) throws {
            let runs = done.keys.sorted().map { (index: $0, run: done[$0]!) }
            let doc = JSONValue.object([("fingerprint", .string(fingerprint)), ("runs", TrainedEnsemble.encode(runs))])
            try AtomicFile.write(path, data: Data((doc.serialized() + "\n").utf8))
        }
        Interrupt.shared.install()
        let todo = (0..<networks).filter { done[$0] == nil }
        let bar = ProgressBar(total: networks, label: "networks")
        let block = 4 * ProcessInfo.processInfo.activeProcessorCount
        var lastSave = Date()
        for start in stride(from: 0, to: todo.count, by: block) {
            let already = done.count
            for r in try train(Array(todo[start..<min(start + block, todo.count)]), progress: { bar.update(already + $0) }) { done[r.index] = r.run }
            try checkpoints.afterBlock("train", done: done.count, total: networks, lastSave: &lastSave, bar: bar, save: save)
        }
        bar.finish()
        try assemble(done)
    }
}
