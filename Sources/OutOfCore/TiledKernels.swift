import Architecture
import DataIO
import Foundation
import InfiniteWidth
import Linalg

/// Infinite-width NNGP and NTK kernels (PDLT ch. 4 and 9, the recursion of `InfiniteWidth.kernels`) for more inputs
/// than fit in memory: the N₁ × N₂ output is cut into T × T tiles, each tile is one call of the in-memory recursion on
/// its rows' and columns' inputs (entry (i, j) of every layer depends on inputs i and j alone), and each finished tile
/// is written at its place in an .npy/.npz file (`TiledArrayFile`). For a symmetric kernel only tiles on and above
/// the diagonal are computed; each is written twice (itself and its transpose). Resident memory is the inputs plus
/// one tile's recursion state, ≈ 32 bytes per tile entry, so T is chosen from the memory budget.
public enum TiledKernels {
    /// Peak bytes per tile entry of the recursion (pair state, NTK, and the output conversion).
    public static let bytesPerEntry = 32

    public struct Summary: Sendable {
        public var rows: Int, cols: Int, tileSize: Int, tiles: Int, layers: Int
        /// Tiles computed by this run (fewer than `tiles` when it resumed a checkpoint).
        public var computed: Int
        public var seconds: Double
        /// Kernel entries computed by this run (each tile entry once, symmetric tiles counted once, all processes)
        /// times layers, per second of wall time.
        public var entryLayersPerSecond: Double
    }

    /// The tile side for a memory budget in bytes (at least 64, at most the larger side).
    public static func tileSize(memoryBudget: Int, rows: Int, cols: Int) -> Int {
        let t = Int((Double(memoryBudget) / Double(bytesPerEntry)).squareRoot())
        return max(64, min(t, max(rows, cols)))
    }

    /// One tile of the output: rows × cols of the kernel; a diagonal tile of a symmetric kernel is itself symmetric.
    public struct Tile: Sendable, Equatable {
        public var rows: Range<Int>, cols: Range<Int>
        public var diagonal: Bool
    }

    /// The tiles of one computation in a fixed order, the same in every process that builds the plan from the same
    /// inputs and budget (MPI ranks and resumed runs rely on it).
    public struct Plan: Sendable {
        public let spec: NetworkSpec
        public let x1: Matrix, x2: Matrix?
        /// The arrays written, in file order: "nngp" and/or "ntk".
        public let arrays: [String]
        public let tileSize: Int
        public let tiles: [Tile]

        /// Validate the network, the inputs and the budget (before any file exists) and cut the output into tiles.
        public init(spec: NetworkSpec, x1: Matrix, x2: Matrix? = nil, arrays: [String], memoryBudget: Int) throws {
            guard !arrays.isEmpty, arrays.allSatisfy({ $0 == "nngp" || $0 == "ntk" }), Set(arrays).count == arrays.count else {
                throw DataError.unsupported(path: "kernel", reason: "the arrays are nngp and ntk, each at most once")
            }
            guard memoryBudget >= 64 * 64 * bytesPerEntry else {
                throw DataError.unsupported(path: "kernel", reason: "memory budget \(memoryBudget) bytes is below one 64 × 64 tile (\(64 * 64 * bytesPerEntry) bytes)")
            }
            guard x1.rows > 0, (x2?.rows ?? 1) > 0 else { throw DataError.unsupported(path: "kernel", reason: "no inputs") }
            // The recursion's own checks (input dimension, non-finite inputs, the spec) on one input of each side; the
            // whole inputs are checked for non-finite values here, before hours of tiles.
            _ = try InfiniteWidth.kernels(spec: spec, x1: try Matrix([x1.row(0)]), x2: try x2.map { try Matrix([$0.row(0)]) })
            for (name, x) in [("inputs", x1), ("second inputs", x2 ?? x1)] {
                if let bad = x.storage.firstIndex(where: { !$0.isFinite }) {
                    throw DataError.malformed(path: name, reason: "input \(bad / x.cols) has a non-finite value (\(x.storage[bad])) in column \(bad % x.cols)")
                }
            }
            self.spec = spec
            self.x1 = x1
            self.x2 = x2
            self.arrays = arrays
            let symmetric = x2 == nil
            let (n1, n2) = (x1.rows, (x2 ?? x1).rows)
            let t = TiledKernels.tileSize(memoryBudget: memoryBudget, rows: n1, cols: n2)
            tileSize = t
            let rowTiles = stride(from: 0, to: n1, by: t).map { $0..<min($0 + t, n1) }
            let colTiles = stride(from: 0, to: n2, by: t).map { $0..<min($0 + t, n2) }
            var tiles: [Tile] = []
            for (a, r) in rowTiles.enumerated() {
                for (b, c) in colTiles.enumerated() where !symmetric || b >= a { tiles.append(Tile(rows: r, cols: c, diagonal: symmetric && a == b)) }
            }
            self.tiles = tiles
        }

        public var rows: Int { x1.rows }
        public var cols: Int { (x2 ?? x1).rows }
        public var members: [TiledArrayFile.Member] { arrays.map { TiledArrayFile.Member(name: $0, rows: rows, cols: cols) } }

        /// Entries computed for tile k (a diagonal tile's are all counted).
        public func entries(_ k: Int) -> Int { tiles[k].rows.count * tiles[k].cols.count }

        /// A hash (FNV-1a) of everything the file's numbers depend on: the spec, the inputs' bits, the arrays and the
        /// tile side. A checkpoint of another computation is refused by it.
        public func fingerprint() throws -> String {
            try spec.fingerprint("\(arrays) \(tileSize) \(rows)x\(x1.cols) \(x2.map { "\($0.rows)x\($0.cols)" } ?? "symmetric")",
                                 data: [x1] + (x2.map { [$0] } ?? []))
        }

        /// Compute tile k with the in-memory recursion and write it (and, off the diagonal of a symmetric kernel, its
        /// transpose) into `file`, laid out for `members`.
        public func write(tile k: Int, into file: TiledArrayFile) throws {
            let (r, c, diagonal) = (tiles[k].rows, tiles[k].cols, tiles[k].diagonal)
            let result = try InfiniteWidth.kernels(spec: spec, x1: try TiledKernels.rows(x1, r),
                                                   x2: diagonal ? nil : try TiledKernels.rows(x2 ?? x1, c)).output
            for (m, name) in arrays.enumerated() {
                let tile = name == "nngp" ? result.nngp : result.ntk
                try tile.storage.withUnsafeBufferPointer { p throws(DataError) in
                    for i in 0..<tile.rows {
                        try file.write(member: m, row: r.lowerBound + i, col: c.lowerBound,
                                       values: UnsafeBufferPointer(rebasing: p[(i * tile.cols)..<((i + 1) * tile.cols)]))
                    }
                }
                if x2 == nil && !diagonal {
                    // The transposed tile: row j of the output gets column j − c₀ of the tile.
                    var column = [Double](repeating: 0, count: tile.rows)
                    for j in 0..<tile.cols {
                        for i in 0..<tile.rows { column[i] = tile.storage[i * tile.cols + j] }
                        try column.withUnsafeBufferPointer { p throws(DataError) in
                            try file.write(member: m, row: c.lowerBound + j, col: r.lowerBound, values: p)
                        }
                    }
                }
            }
        }
    }

    /// Compute the output layer's kernels for `x1` (and `x2`; nil: the symmetric kernel of x1) and write the arrays
    /// named in `arrays` ("nngp", "ntk") to `path` (.npy: exactly one; .npz: members with those names), in one
    /// process without checkpoints (`TiledKernelRun` adds them, and MPI ranks). Nothing is left at `path` if anything
    /// fails. `progress(done, total, seconds)` after each tile.
    @discardableResult
    public static func write(spec: NetworkSpec, x1: Matrix, x2: Matrix? = nil, arrays: [String], path: String, memoryBudget: Int,
                             progress: ((Int, Int, Double) -> Void)? = nil) throws -> Summary {
        let plan = try Plan(spec: spec, x1: x1, x2: x2, arrays: arrays, memoryBudget: memoryBudget)
        return try TiledKernelRun(plan: plan, path: path).single(progress: progress)
    }

    static func rows(_ x: Matrix, _ r: Range<Int>) throws -> Matrix {
        try Matrix(rows: r.count, cols: x.cols, storage: Array(x.storage[(r.lowerBound * x.cols)..<(r.upperBound * x.cols)]))
    }

    /// A memory size: bytes, or a number with K, M, G or T (powers of 1024; "4G", "512M", "1.5G").
    public static func parseMemory(_ text: String) -> Int? {
        let s = text.trimmingCharacters(in: .whitespaces).uppercased().replacingOccurrences(of: "IB", with: "").replacingOccurrences(of: "B", with: "")
        let units: [Character: Double] = ["K": 1024, "M": 1024 * 1024, "G": 1024 * 1024 * 1024, "T": 1024 * 1024 * 1024 * 1024]
        var number = s, scale = 1.0
        if let last = s.last, let u = units[last] { number = String(s.dropLast()); scale = u }
        guard let v = Double(number), v.isFinite, v > 0, v * scale < 9e18 else { return nil }
        return Int(v * scale)
    }
}
