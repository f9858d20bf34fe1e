import DataIO
import Foundation

/// The processes of a distributed tiled run (MPI ranks): process `rank` of `size` computes tiles rank, rank + size, …
/// of the plan. Rank 0 lays out the file and finishes it; the others write their tiles into the same file, which must
/// be on a file system every process sees. `broadcast` hands rank 0's string to every rank; `all` is true on every
/// rank when the flag is true on every rank (and waits for all of them).
public protocol TileCoordinator {
    var rank: Int { get }
    var size: Int { get }
    func broadcast(_ text: String) -> String
    func all(_ flag: Bool) -> Bool
}

/// Checkpointing of a single-process tiled run: the tiles are computed in plan order, the partial file keeps a fixed
/// name next to the output (`.NAME.partial`) and the checkpoint (JSON: the plan's fingerprint, the tiles done, the
/// partial file) is written every `every` seconds and on a stop. A resumed run checks the fingerprint, reopens the
/// partial file and continues with the next tile; the finished file is byte-identical to an uninterrupted run's.
public struct TileCheckpoint: Sendable {
    public var path: String
    public var every: Double
    public var resume: Bool
    public init(path: String, every: Double = 120, resume: Bool = false) { self.path = path; self.every = every; self.resume = resume }
}

/// A run stopped between tiles (Ctrl-C): the output does not exist; with a checkpoint the partial file and the
/// checkpoint are kept, without one everything is removed.
public struct TiledRunStopped: Error, CustomStringConvertible {
    public var done: Int, total: Int
    public var checkpoint: String?
    public var description: String {
        "stopped after \(done) of \(total) tiles; " + (checkpoint.map { "checkpoint written to \($0) (continue with --resume)" }
                                                       ?? "nothing written (use --checkpoint FILE to keep progress)")
    }
}

/// One tiled computation into one file: in one process, optionally checkpointed, or split across the processes of a
/// `TileCoordinator`. `shouldStop` is polled between tiles.
public struct TiledKernelRun {
    public let plan: TiledKernels.Plan
    public let path: String
    public var checkpoint: TileCheckpoint?
    public var coordinator: (any TileCoordinator)?
    public var shouldStop: () -> Bool = { false }

    public init(plan: TiledKernels.Plan, path: String, checkpoint: TileCheckpoint? = nil, coordinator: (any TileCoordinator)? = nil) {
        self.plan = plan
        self.path = path
        self.checkpoint = checkpoint
        self.coordinator = coordinator
    }

    /// Run it; `progress(done, total, seconds)` after each of this process's tiles. Returns the summary (on rank 0 of
    /// a distributed run; nil on the other ranks). Throws `TiledRunStopped` when stopped, and the first error otherwise;
    /// nothing is left at `path` unless the run completed.
    @discardableResult
    public func run(progress: ((Int, Int, Double) -> Void)? = nil) throws -> TiledKernels.Summary? {
        if let coordinator, coordinator.size > 1 {
            guard checkpoint == nil else {
                throw DataError.unsupported(path: path, reason: "checkpoints of a run split across processes are not supported (each process would need its own)")
            }
            return try distributed(coordinator, progress: progress)
        }
        return try single(progress: progress)
    }

    func summary(computed: [Int], seconds: Double) -> TiledKernels.Summary {
        let entries = computed.reduce(0) { $0 + plan.entries($1) }
        return TiledKernels.Summary(rows: plan.rows, cols: plan.cols, tileSize: plan.tileSize, tiles: plan.tiles.count, layers: plan.spec.depth,
                                    computed: computed.count, seconds: seconds,
                                    entryLayersPerSecond: Double(entries * plan.spec.depth) / max(seconds, 1e-9))
    }

    var partialPath: String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().path + "/." + url.lastPathComponent + ".partial"
    }

    func single(progress: ((Int, Int, Double) -> Void)?) throws -> TiledKernels.Summary {
        let total = plan.tiles.count
        var done = 0
        let file: TiledArrayFile
        let fingerprint = try plan.fingerprint()
        if let checkpoint, checkpoint.resume {
            let saved = try Self.readCheckpoint(checkpoint.path)
            guard saved.fingerprint == fingerprint, saved.total == total, saved.partial == partialPath else {
                throw DataError.malformed(path: checkpoint.path, reason: "a checkpoint of another kernel computation or output (resume with the flags and --output that started it)")
            }
            done = saved.done
            guard FileManager.default.fileExists(atPath: partialPath) else {
                throw DataError.unreadable(path: checkpoint.path, reason: "its partial file \(partialPath) is gone (start again without --resume)")
            }
            file = try TiledArrayFile(attaching: partialPath, path: path, members: plan.members)
        } else {
            file = try TiledArrayFile(path: path, members: plan.members, temporary: checkpoint == nil ? nil : partialPath)
        }
        func save() throws {
            guard let checkpoint else { return }
            try file.sync()
            let doc = JSONValue.object([("kernel_checkpoint", .object([
                ("fingerprint", .string(fingerprint)), ("done", .int(done)), ("total", .int(total)), ("partial", .string(partialPath)),
            ]))])
            try AtomicFile.write(checkpoint.path, data: Data((doc.serialized() + "\n").utf8))
        }
        let start = Date()
        var lastSave = start
        let first = done
        do {
            while done < total {
                if shouldStop() {
                    if checkpoint != nil {
                        try save()
                        try file.release()
                    } else {
                        file.cancel()
                    }
                    throw TiledRunStopped(done: done, total: total, checkpoint: checkpoint?.path)
                }
                try plan.write(tile: done, into: file)
                done += 1
                progress?(done, total, Date().timeIntervalSince(start))
                if let checkpoint, done < total, Date().timeIntervalSince(lastSave) >= checkpoint.every {
                    try save()
                    lastSave = Date()
                }
            }
            try file.finish()
        } catch let stop as TiledRunStopped {
            throw stop
        } catch {
            file.cancel()
            throw error
        }
        // The partial file became the output: the checkpoint has nothing left to continue.
        if let checkpoint { try? FileManager.default.removeItem(atPath: checkpoint.path) }
        return summary(computed: Array(first..<total), seconds: Date().timeIntervalSince(start))
    }

    func distributed(_ world: any TileCoordinator, progress: ((Int, Int, Double) -> Void)?) throws -> TiledKernels.Summary? {
        let start = Date()
        // Rank 0 lays out the file; an empty name tells the others it could not.
        var file: TiledArrayFile?
        var failure: (any Error)?
        if world.rank == 0 {
            do { file = try TiledArrayFile(path: path, members: plan.members) } catch { failure = error }
        }
        let temporary = world.broadcast(file?.temporaryPath ?? "")
        if world.rank != 0 && !temporary.isEmpty {
            do { file = try TiledArrayFile(attaching: temporary, path: path, members: plan.members) } catch { failure = error }
        }
        let mine = Array(stride(from: world.rank, to: plan.tiles.count, by: world.size))
        var stopped = false, done = 0
        if let file, failure == nil {
            do {
                for k in mine {
                    if shouldStop() { stopped = true; break }
                    try plan.write(tile: k, into: file)
                    done += 1
                    progress?(done, mine.count, Date().timeIntervalSince(start))
                }
                try file.release()
            } catch { failure = error }
        }
        // Every rank reaches this point whatever happened, so no rank waits forever for one that failed.
        let everyone = world.all(failure == nil && !stopped && !temporary.isEmpty)
        if world.rank == 0 && !temporary.isEmpty {
            if everyone {
                // Reopened after every rank has closed it: on a network file system (NFS's close-to-open consistency)
                // only a fresh open is sure to see the other ranks' blocks when the checksums read the file back.
                do { try TiledArrayFile(attaching: temporary, path: path, members: plan.members).finish() } catch { unlink(temporary); throw error }
            } else {
                file?.cancel()
                unlink(temporary)
            }
        }
        if let failure { throw failure }
        if stopped { throw TiledRunStopped(done: done, total: mine.count, checkpoint: nil) }
        guard everyone else {
            throw DataError.unwritable(path: path, reason: "another process failed (its error is in its output); nothing was written")
        }
        return world.rank == 0 ? summary(computed: Array(plan.tiles.indices), seconds: Date().timeIntervalSince(start)) : nil
    }

    static func readCheckpoint(_ path: String) throws -> (fingerprint: String, done: Int, total: Int, partial: String) {
        guard let data = FileManager.default.contents(atPath: path) else { throw DataError.unreadable(path: path, reason: "no such file") }
        guard let doc = try? JSONValue.parse(data), let c = doc["kernel_checkpoint"],
              case .string(let fingerprint)? = c["fingerprint"], case .string(let partial)? = c["partial"],
              let done = c["done"]?.number(), let total = c["total"]?.number(),
              done >= 0, total >= done, done == done.rounded(), total == total.rounded(), total < 1e15 else {
            throw DataError.malformed(path: path, reason: "not a dlt kernel checkpoint")
        }
        return (fingerprint, Int(done), Int(total), partial)
    }
}
