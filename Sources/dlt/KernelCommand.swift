import ArgumentParser
import DeepTheory
import Foundation
#if DEEPTHEORY_MPI
import MPISupport
#endif

struct KernelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel",
        abstract: "Infinite-width NNGP kernel K^(L) and frozen NTK Θ^(L) of an MLP (PDLT ch. 4, 9).",
        discussion: """
            Example: dlt kernel --activation relu --depth 3 --cw 2 --cb 0 --inputs X.csv --format json
            prints {"nngp": [[…]], "ntk": [[…]]} for the output layer (N × N; N1 × N2 with --inputs2).
            Inputs are CSV (rows = inputs, header optional), .npy or .npz.
            Out of core: --memory 4G --output K.npz computes tiles within the budget (per process) and streams them into
            the file; --checkpoint FILE keeps progress across Ctrl-C (--resume continues it), and under mpirun (the
            DEEPTHEORY_MPI build) the ranks split the tiles and write into the same file, which must be on a file
            system every rank sees.
            """
    )

    @OptionGroup var network: NetworkOptions
    @OptionGroup var out: OutputOptions

    @Option(help: "Inputs (rows are inputs): CSV, .npy or .npz.")
    var inputs: String

    @Option(help: "Second inputs for the cross-kernel K(x1, x2).")
    var inputs2: String?

    @Flag(help: "Also output every layer ℓ = 1 … L (JSON key \"layers\"; .npz arrays nngp_ℓ, ntk_ℓ).")
    var allLayers = false

    @Option(help: "Memory budget for out-of-core tiles (e.g. 4G, 512M): compute in tiles and stream into --output (.npy or .npz).")
    var memory: String?

    @OptionGroup var checkpoints: CheckpointOptions

    func run() throws {
        let spec = try network.networkSpec()
        let x1 = try readInputs(inputs, what: "--inputs")
        let x2 = try inputs2.map { try readInputs($0, what: "--inputs2") }
        if memory == nil && checkpoints.checkpoint != nil {
            throw ValidationError("--checkpoint is for the out-of-core path: add --memory SIZE")
        }
        if let memory {
            try runTiled(spec: spec, x1: x1, x2: x2, memory: memory)
            return
        }
        let result = try InfiniteWidth.kernels(spec: spec, x1: x1, x2: x2,
                                               keepLayers: allLayers ? Set(1...spec.depth) : nil)
        var arrays: [(name: String, matrix: Matrix)] = [("nngp", result.output.nngp), ("ntk", result.output.ntk)]
        var extra: [(String, JSONValue)] = []
        if allLayers {
            let fmt = try OutputFormat.resolve(explicit: out.format, path: out.output)
            if fmt == .json {
                extra.append(("layers", .array(zip(result.layerIndices, result.layers).map { l, k in
                    .object([("layer", .int(l)), ("nngp", .matrix(k.nngp)), ("ntk", .matrix(k.ntk))])
                })))
            } else {
                for (l, k) in zip(result.layerIndices, result.layers) {
                    arrays.append(("nngp_\(l)", k.nngp))
                    arrays.append(("ntk_\(l)", k.ntk))
                }
            }
        }
        try out.emit(arrays, extra: extra)
    }

    /// The out-of-core path: tiles within the budget, streamed into an .npy/.npz file.
    func runTiled(spec: NetworkSpec, x1: Matrix, x2: Matrix?, memory: String) throws {
        guard let budget = TiledKernels.parseMemory(memory) else {
            throw ValidationError("--memory \(memory) is not a size (give e.g. 4G, 512M or a number of bytes)")
        }
        guard !allLayers else { throw ValidationError("--all-layers is not available with --memory (only the output layer is streamed)") }
        guard let output = out.output else { throw ValidationError("--memory streams into a file: give --output K.npy or K.npz") }
        let fmt = try OutputFormat.resolve(explicit: out.format, path: output)
        let arrays: [String]
        switch fmt {
        case .npz: arrays = out.get.map { [$0] } ?? ["nngp", "ntk"]
        case .npy:
            guard let pick = out.get else { throw ValidationError("an .npy file holds one array: add --get nngp or --get ntk (or write .npz)") }
            arrays = [pick]
        default: throw ValidationError("--memory writes .npy or .npz, not \(fmt.rawValue)")
        }
        guard arrays.allSatisfy({ $0 == "nngp" || $0 == "ntk" }) else { throw ValidationError("--get must be nngp or ntk") }
        let plan = try TiledKernels.Plan(spec: spec, x1: x1, x2: x2, arrays: arrays, memoryBudget: budget)
        var run = TiledKernelRun(plan: plan, path: output,
                                 checkpoint: checkpoints.checkpoint.map { TileCheckpoint(path: $0, every: checkpoints.checkpointEvery, resume: checkpoints.resume) })
        var label = "dlt kernel"
        #if DEEPTHEORY_MPI
        if let world = MPI.start(), world.size > 1 {
            guard checkpoints.checkpoint == nil else { throw ValidationError("--checkpoint is not available under mpirun (the ranks share one partial file)") }
            run.coordinator = MPICoordinator(rank: world.rank, size: world.size)
            label += " (rank \(world.rank) of \(world.size))"
        }
        #endif
        Interrupt.shared.install()
        run.shouldStop = { Interrupt.shared.isRaised }
        let summary: TiledKernels.Summary?
        do {
            summary = try run.run { done, total, seconds in
                FileHandle.standardError.write(Data("\(label): tile \(done)/\(total), \(String(format: "%.1f", seconds)) s\n".utf8))
            }
        } catch let stop as TiledRunStopped {
            FileHandle.standardError.write(Data("\(label): interrupted: \(stop)\n".utf8))
            throw ExitCode(130)
        }
        guard let summary else { return }
        FileHandle.standardError.write(Data(("dlt kernel: wrote \(output) (\(summary.rows) × \(summary.cols), \(summary.tiles) tiles of ≤ \(summary.tileSize)"
            + (summary.computed < summary.tiles ? ", \(summary.computed) computed after resuming" : "")
            + ", \(String(format: "%.3g", summary.entryLayersPerSecond)) entries·layers/s)\n").utf8))
    }
}

#if DEEPTHEORY_MPI
/// The MPI ranks as the tiled run's processes.
struct MPICoordinator: TileCoordinator {
    let rank: Int, size: Int
    func broadcast(_ text: String) -> String { String(decoding: MPI.broadcast(Data(text.utf8)), as: UTF8.self) }
    func all(_ flag: Bool) -> Bool { MPI.all(flag) }
}
#endif
