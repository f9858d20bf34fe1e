import Architecture
import DataIO
import Gaussian
import Foundation
import InfiniteWidth
import Linalg
import Testing
@testable import OutOfCore

@Suite struct TiledKernelsTests {
    static func inputs(_ n: Int, d: Int = 5, shift: Int = 0) throws -> Matrix {
        var x = Matrix(rows: n, cols: d)
        for i in 0..<n { for j in 0..<d { x[i, j] = sin(Double(7 * (i + shift) + 3 * j + 1)) * 1.3 } }
        return x
    }

    static func directory() throws -> String {
        let dir = NSTemporaryDirectory() + "tiled-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Tiles of 64 (the smallest budget) on 150 inputs: 3 × 3 tiles, the upper 6 computed; the file equals the
    /// in-memory kernels (1e-12 relative: the off-diagonal tiles take the cross-kernel path, DGEMM instead of DSYRK).
    @Test(arguments: [Activation.relu, .erf])
    func symmetricNPZEqualsInMemory(activation: Activation) throws {
        let spec = try NetworkSpec(depth: 4, activation: activation, cb: 0.1, cw: activation == .relu ? 2 : 1.5)
        let x = try Self.inputs(150)
        let path = try Self.directory() + "/k.npz"
        let s = try TiledKernels.write(spec: spec, x1: x, arrays: ["nngp", "ntk"], path: path, memoryBudget: 64 * 64 * TiledKernels.bytesPerEntry)
        #expect(s.tileSize == 64 && s.tiles == 6)
        let read = try NPZ.read(path: path)
        let reference = try InfiniteWidth.kernels(spec: spec, x1: x).output
        #expect(read.map(\.name) == ["nngp", "ntk"])
        #expect(read[0].matrix.relativeDistance(to: reference.nngp) < 1e-12)
        #expect(read[1].matrix.relativeDistance(to: reference.ntk) < 1e-12)
        #expect(read[0].matrix.asymmetry == 0, "each transposed tile is written from the same numbers")
    }

    @Test func crossKernelNPY() throws {
        let spec = try NetworkSpec(depth: 3, activation: .gelu, cb: 0.2, cw: 1.2)
        let (x1, x2) = (try Self.inputs(130), try Self.inputs(70, shift: 500))
        let path = try Self.directory() + "/k.npy"
        let s = try TiledKernels.write(spec: spec, x1: x1, x2: x2, arrays: ["ntk"], path: path, memoryBudget: 64 * 64 * TiledKernels.bytesPerEntry)
        #expect(s.tiles == 3 * 2)
        let m = try NPY.decode(try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(m.rows == 130 && m.cols == 70)
        #expect(m.relativeDistance(to: try InfiniteWidth.kernels(spec: spec, x1: x1, x2: x2).output.ntk) < 1e-12)
    }

    /// A failure leaves no file and no temporary file behind.
    @Test func failuresLeaveNothing() throws {
        let dir = try Self.directory()
        let spec = try NetworkSpec(depth: 3, activation: .relu, cb: 0, cw: 2)
        var bad = try Self.inputs(100)
        bad[70, 2] = .nan
        #expect(throws: (any Error).self) { try TiledKernels.write(spec: spec, x1: bad, arrays: ["nngp"], path: dir + "/k.npy", memoryBudget: 1 << 20) }
        #expect(throws: (any Error).self) { try TiledKernels.write(spec: spec, x1: try Self.inputs(10), arrays: ["nngp"], path: dir + "/k.npy", memoryBudget: 100) }
        #expect(throws: (any Error).self) { try TiledKernels.write(spec: spec, x1: try Self.inputs(10), arrays: ["nngp", "ntk"], path: dir + "/k.npy", memoryBudget: 1 << 20) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    static func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    /// Ctrl-C after 2 of 6 tiles with a checkpoint keeps the partial file and the checkpoint (no output); --resume
    /// finishes with a file byte-identical to an uninterrupted run's and removes the checkpoint. Another plan's
    /// checkpoint is refused. Without a checkpoint a stop leaves nothing.
    @Test func stopAndResume() throws {
        let dir = try Self.directory()
        let spec = try NetworkSpec(depth: 3, activation: .relu, cb: 0.1, cw: 2)
        let x = try Self.inputs(150)
        let budget = 64 * 64 * TiledKernels.bytesPerEntry
        let plan = try TiledKernels.Plan(spec: spec, x1: x, arrays: ["nngp", "ntk"], memoryBudget: budget)
        try TiledKernelRun(plan: plan, path: dir + "/full.npz").run()

        let (out, ckpt) = (dir + "/k.npz", dir + "/k.ckpt")
        var tilesRun = 0
        var first = TiledKernelRun(plan: plan, path: out, checkpoint: TileCheckpoint(path: ckpt))
        first.shouldStop = { tilesRun += 1; return tilesRun > 2 }
        #expect(throws: TiledRunStopped.self) { try first.run() }
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(FileManager.default.fileExists(atPath: ckpt) && FileManager.default.fileExists(atPath: dir + "/.k.npz.partial"))

        let other = try TiledKernels.Plan(spec: spec, x1: x, arrays: ["nngp", "ntk"], memoryBudget: 4 * budget)
        #expect(throws: DataError.self) { try TiledKernelRun(plan: other, path: out, checkpoint: TileCheckpoint(path: ckpt, resume: true)).run() }
        let summary = try #require(try TiledKernelRun(plan: plan, path: out, checkpoint: TileCheckpoint(path: ckpt, resume: true)).run())
        #expect(summary.computed == 4 && summary.tiles == 6)
        #expect(try Self.bytes(out) == Self.bytes(dir + "/full.npz"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["full.npz", "k.npz"])

        var plain = TiledKernelRun(plan: plan, path: dir + "/plain.npz")
        plain.shouldStop = { true }
        #expect(throws: TiledRunStopped.self) { try plain.run() }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["full.npz", "k.npz"])
    }

    /// In-process stand-in for MPI ranks: threads that meet at broadcasts and all-reductions.
    final class ThreadWorld: @unchecked Sendable {
        let size: Int
        let condition = NSCondition()
        var arrived = 0, generation = 0
        var pendingValue = "", pendingFlags = true
        /// The outcome of each completed meeting. A thread woken late must read its own meeting's outcome: rank 0 may
        /// already have arrived at the next meeting (and set the next broadcast value) by then.
        var outcomes: [Int: (String, Bool)] = [:]
        init(size: Int) { self.size = size }

        /// Every rank contributes; the last to arrive publishes the outcome and releases the others.
        func meet(rank: Int, text: String, flag: Bool) -> (String, Bool) {
            condition.lock(); defer { condition.unlock() }
            let g = generation
            if rank == 0 { pendingValue = text }
            pendingFlags = pendingFlags && flag
            arrived += 1
            if arrived == size {
                outcomes[g] = (pendingValue, pendingFlags)
                (arrived, pendingFlags, generation) = (0, true, generation + 1)
                condition.broadcast()
            } else {
                while generation == g { condition.wait() }
            }
            return outcomes[g]!
        }

        struct Rank: TileCoordinator {
            let world: ThreadWorld, rank: Int
            var size: Int { world.size }
            func broadcast(_ text: String) -> String { world.meet(rank: rank, text: text, flag: true).0 }
            func all(_ flag: Bool) -> Bool { world.meet(rank: rank, text: "", flag: flag).1 }
        }

        /// Run `body(rank)` on `size` threads and wait for all of them.
        func run(_ body: @escaping @Sendable (Rank) -> Void) {
            let group = DispatchGroup()
            for r in 0..<size {
                group.enter()
                Thread { body(Rank(world: self, rank: r)); group.leave() }.start()
            }
            group.wait()
        }
    }

    /// Tiles split across 2 and 3 processes (threads standing in for MPI ranks, same protocol) give the single
    /// process's file byte for byte; a rank that fails makes every rank fail, with nothing left behind.
    @Test(arguments: [2, 3])
    func splitAcrossProcesses(size: Int) throws {
        let dir = try Self.directory()
        let spec = try NetworkSpec(depth: 3, activation: .erf, cb: 0.1, cw: 1.5)
        let plan = try TiledKernels.Plan(spec: spec, x1: try Self.inputs(200), arrays: ["ntk", "nngp"], memoryBudget: 64 * 64 * TiledKernels.bytesPerEntry)
        try TiledKernelRun(plan: plan, path: dir + "/one.npz").run()

        let outcomes = Outcomes()
        ThreadWorld(size: size).run { rank in
            do {
                let s = try TiledKernelRun(plan: plan, path: dir + "/split.npz", coordinator: rank).run()
                outcomes.add(rank.rank, s == nil ? "ok" : "summary \(s!.tiles)")
            } catch { outcomes.add(rank.rank, "error") }
        }
        #expect(outcomes.sorted == ["ok"] * (size - 1) + ["summary 10"])
        #expect(try Self.bytes(dir + "/split.npz") == Self.bytes(dir + "/one.npz"))

        let failing = Outcomes()
        ThreadWorld(size: size).run { rank in
            var run = TiledKernelRun(plan: plan, path: dir + "/failed.npz", coordinator: rank)
            run.shouldStop = { rank.rank == size - 1 }
            do { try run.run(); failing.add(rank.rank, "ok") } catch { failing.add(rank.rank, "error") }
        }
        #expect(failing.sorted == ["error"] * size)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["one.npz", "split.npz"])
    }

    final class Outcomes: @unchecked Sendable {
        let lock = NSLock()
        var items: [(Int, String)] = []
        func add(_ rank: Int, _ s: String) { lock.lock(); items.append((rank, s)); lock.unlock() }
        var sorted: [String] { lock.lock(); defer { lock.unlock() }; return items.sorted { $0.0 > $1.0 }.map(\.1) }
    }

    @Test func memorySizes() {
        #expect(TiledKernels.parseMemory("4G") == 4 << 30)
        #expect(TiledKernels.parseMemory("512M") == 512 << 20)
        #expect(TiledKernels.parseMemory("1.5GiB") == 3 << 29)
        #expect(TiledKernels.parseMemory("1000") == 1000)
        #expect(TiledKernels.parseMemory("lots") == nil && TiledKernels.parseMemory("-1G") == nil)
        #expect(TiledKernels.tileSize(memoryBudget: 4 << 30, rows: 20_000, cols: 20_000) == 11_585)
    }
}

private func * (a: [String], n: Int) -> [String] { Array((0..<n).flatMap { _ in a }) }
