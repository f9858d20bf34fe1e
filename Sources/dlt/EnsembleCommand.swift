import ArgumentParser
import DeepTheory
import Foundation
#if DEEPTHEORY_MPI
import MPISupport
#endif

struct EnsembleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ensemble",
        abstract: "Monte-Carlo twin of `dlt finite-width`: the same quantities measured on M sampled networks, with standard errors.",
        discussion: """
            Example: dlt ensemble --activation relu --depth 5 --width 64 --cw 2 --cb 0 --inputs X.csv --networks 4000 --seed 1
            Keys: nngp, vertex (N ≤ 4), excess_kurtosis, ntk_mean, ntk_variance, input_gradient_norm2, kappa6/8_normalized,
            each with a standard error under KEY_se (jackknife over 32 groups of networks), and networks.
            --shard k/K measures networks k, k+K, …; `dlt merge` combines shard files into the result of one run.
            """
    )

    @OptionGroup var network: NetworkOptions
    @OptionGroup var out: OutputOptions
    @OptionGroup var sampling: SamplingOptions

    @Option(help: "Measure only shard k of K (networks k, k+K, …), as k/K with 0 ≤ k < K.")
    var shard: String?

    @OptionGroup var checkpoints: CheckpointOptions

    func run() throws {
        let (checkpoint, resume) = (checkpoints.checkpoint, checkpoints.resume)
        let (networks, seed) = (sampling.networks, sampling.seed)
        guard networks >= 2 else { throw ValidationError("--networks must be at least 2, got \(networks)") }
        var shardIndex = 0, shardCount = 1
        if let shard {
            let parts = shard.split(separator: "/").map { Int($0) }
            guard parts.count == 2, let k = parts[0], let kk = parts[1], kk >= 1, k >= 0, k < kk else {
                throw ValidationError("--shard must be k/K with 0 ≤ k < K, got '\(shard)'")
            }
            (shardIndex, shardCount) = (k, kk)
        }
        // Under mpirun (the DEEPTHEORY_MPI build) rank r of K measures shard r/K; rank 0 sums the states and writes.
        var ranks = 1, rank = 0
        #if DEEPTHEORY_MPI
        if let world = MPI.start(), world.size > 1 {
            guard shard == nil else { throw ValidationError("under mpirun the ranks split the networks: drop --shard") }
            guard checkpoint == nil else { throw ValidationError("--checkpoint is not available under mpirun (each rank's shard would need its own file)") }
            (ranks, rank) = (world.size, world.rank)
            (shardIndex, shardCount) = (world.rank, world.size)
        }
        #endif
        let x = try readInputs(sampling.inputs, what: "--inputs")
        var spec = try network.networkSpec(defaultOutputWidth: 0)
        if let n0 = spec.inputDimension, n0 != x.cols {
            throw ValidationError("mismatched input dimensions: the inputs have \(x.cols) columns, the spec \(n0)")
        }
        spec = spec.with(inputDimension: x.cols)
        try checkSampleable(spec)
        let indices = Array(stride(from: shardIndex, to: networks, by: shardCount))
        var m = EnsembleMeasurement(spec: spec, inputs: x.rows)
        let runID = try EnsembleRecord.runID(spec: spec, seed: seed, inputs: x)
        let shardName = "\(shardIndex)/\(shardCount)"
        var done = 0
        if resume, let checkpoint {
            let saved = try EnsembleRecord.read(path: checkpoint)
            guard saved.runID == runID, saved.shards == [shardName] else {
                throw ValidationError("\(checkpoint) is a checkpoint of another run (run id \(saved.runID), shard \(saved.shards.joined(separator: ", "))): "
                                      + "resume with the flags that started it")
            }
            guard let progress = Self.checkpointProgress(path: checkpoint), progress.total == indices.count,
                  progress.done == saved.measurement.networks, progress.done <= indices.count else {
                throw ValidationError("\(checkpoint) does not record progress for --networks \(networks) (or is corrupted)")
            }
            m = saved.measurement
            done = progress.done
        }
        func save(_ path: String) throws {
            let record = EnsembleRecord(measurement: m, seed: seed, runID: runID, shards: [shardName])
            guard case .object(let fields) = try record.json() else { return }
            let doc = JSONValue.object(fields + [("checkpoint", .object([("done", .int(done)), ("total", .int(indices.count))]))])
            try AtomicFile.write(path, data: Data((doc.serialized() + "\n").utf8))
        }
        Interrupt.shared.install()
        let bar = ProgressBar(total: indices.count, label: "networks")
        // Blocks of networks, added in network order: the accumulator sees the same additions in the same order
        // whether the run is split by checkpoints or not.
        let block = 8 * ProcessInfo.processInfo.activeProcessorCount * 16
        var lastSave = Date()
        while done < indices.count {
            let end = min(done + block, indices.count)
            let offset = done
            try m.run(x: x, seed: seed, indices: Array(indices[done..<end])) { bar.update(offset + $0) }
            done = end
            try checkpoints.afterBlock("ensemble", done: done, total: indices.count, lastSave: &lastSave, bar: bar, save: save)
        }
        bar.finish()
        if ranks > 1 {
            #if DEEPTHEORY_MPI
            var (a, b, count) = (m.perNetwork.state, m.perComponent.state, [Double(m.networks)])
            MPI.sumOntoRoot(&a)
            MPI.sumOntoRoot(&b)
            MPI.sumOntoRoot(&count)
            guard rank == 0 else { return }
            m.perNetwork = try MomentAccumulator(channels: m.perNetwork.channels, order: m.perNetwork.order, batches: m.perNetwork.batches, state: a)
            m.perComponent = try MomentAccumulator(channels: m.perComponent.channels, order: m.perComponent.order, batches: m.perComponent.batches, state: b)
            m.networks = Int(count[0])
            let record = EnsembleRecord(measurement: m, seed: seed, runID: runID, shards: ["0/1"])
            try out.emit(json: try record.json())
            return
            #endif
        }
        let record = EnsembleRecord(measurement: m, seed: seed, runID: runID, shards: [shardName])
        try out.emit(json: try record.json())
    }

    /// The "checkpoint" fields of a checkpoint file: networks done and the shard's total.
    static func checkpointProgress(path: String) -> (done: Int, total: Int)? {
        guard let data = FileManager.default.contents(atPath: path), let doc = try? JSONValue.parse(data),
              case .number(let done)? = doc["checkpoint"]?["done"], case .number(let total)? = doc["checkpoint"]?["total"] else { return nil }
        return (Int(done), Int(total))
    }
}

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine `dlt ensemble --shard` files of one run into the result of a single run."
    )

    @Argument(help: "Shard files written by dlt ensemble.")
    var files: [String]

    @OptionGroup var out: OutputOptions

    func run() throws {
        guard !files.isEmpty else { throw ValidationError("give the shard files to merge") }
        let merged = try EnsembleRecord.merge(try files.map { try EnsembleRecord.read(path: $0) })
        try out.emit(json: try merged.json())
    }
}

/// A progress bar on standard error, shown only when it is a terminal and the run has taken more
/// than a second.
final class ProgressBar: @unchecked Sendable {
    let total: Int
    let label: String
    let start = Date()
    let enabled = isatty(2) != 0
    private var shown = false
    private var last = Date.distantPast
    private let lock = NSLock()

    init(total: Int, label: String) { self.total = total; self.label = label }

    func update(_ done: Int) {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(start) > 1, now.timeIntervalSince(last) > 0.1 || done == total else { return }
        last = now
        shown = true
        let width = 30, filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total) \(label)".utf8))
    }

    func finish() {
        lock.lock(); defer { lock.unlock() }
        if shown { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

/// The flags shared by the commands that sample networks.
struct SamplingOptions: ParsableArguments {
    @Option(help: "Inputs (rows are inputs): CSV, .npy or .npz.")
    var inputs: String

    @Option(help: "Number of sampled networks M.")
    var networks: Int = 1000

    @Option(help: "Seed of the ensemble (network k is the same for any thread count or shard).")
    var seed: UInt64 = 1
}
