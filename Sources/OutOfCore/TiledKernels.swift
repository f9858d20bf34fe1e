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
        public var seconds: Double
        /// Kernel entries (each tile entry once, symmetric tiles counted once) times layers, per second.
        public var entryLayersPerSecond: Double
    }

    /// The tile side for a memory budget in bytes (at least 64, at most the larger side).
    public static func tileSize(memoryBudget: Int, rows: Int, cols: Int) -> Int {
        let t = Int((Double(memoryBudget) / Double(bytesPerEntry)).squareRoot())
        return max(64, min(t, max(rows, cols)))
    }

    /// Compute the output layer's kernels for `x1` (and `x2`; nil: the symmetric kernel of x1) and write the arrays
    /// named in `arrays` ("nngp", "ntk") to `path` (.npy: exactly one; .npz: members with those names). Nothing is
    /// left at `path` if anything fails. `progress(done, total, seconds)` after each tile.
    @discardableResult
    public static func write(spec: NetworkSpec, x1: Matrix, x2: Matrix? = nil, arrays: [String], path: String, memoryBudget: Int,
                             progress: ((Int, Int, Double) -> Void)? = nil) throws -> Summary {
        guard !arrays.isEmpty, arrays.allSatisfy({ $0 == "nngp" || $0 == "ntk" }) else {
            throw DataError.unsupported(path: path, reason: "the arrays are nngp and ntk")
        }
        guard memoryBudget >= 64 * 64 * bytesPerEntry else {
            throw DataError.unsupported(path: path, reason: "memory budget \(memoryBudget) bytes is below one 64 × 64 tile (\(64 * 64 * bytesPerEntry) bytes)")
        }
        // Validate everything before creating the file.
        _ = try InfiniteWidth.kernels(spec: spec, x1: try Matrix([x1.row(0)]), x2: try x2.map { try Matrix([$0.row(0)]) })
        let symmetric = x2 == nil
        let xb = x2 ?? x1
        let (n1, n2) = (x1.rows, xb.rows)
        let t = tileSize(memoryBudget: memoryBudget, rows: n1, cols: n2)
        let rowTiles = stride(from: 0, to: n1, by: t).map { $0..<min($0 + t, n1) }
        let colTiles = stride(from: 0, to: n2, by: t).map { $0..<min($0 + t, n2) }
        var jobs: [(Range<Int>, Range<Int>, Bool)] = []
        for (a, r) in rowTiles.enumerated() {
            for (b, c) in colTiles.enumerated() where !symmetric || b >= a { jobs.append((r, c, symmetric && a == b)) }
        }
        let file = try TiledArrayFile(path: path, members: arrays.map { TiledArrayFile.Member(name: $0, rows: n1, cols: n2) })
        let start = Date()
        var entries = 0
        do {
            for (k, (r, c, diagonal)) in jobs.enumerated() {
                let xr = try rows(x1, r)
                let result = try InfiniteWidth.kernels(spec: spec, x1: xr, x2: diagonal ? nil : try rows(xb, c)).output
                for (m, name) in arrays.enumerated() {
                    let tile = name == "nngp" ? result.nngp : result.ntk
                    try tile.storage.withUnsafeBufferPointer { p throws(DataError) in
                        for i in 0..<tile.rows {
                            try file.write(member: m, row: r.lowerBound + i, col: c.lowerBound,
                                           values: UnsafeBufferPointer(rebasing: p[(i * tile.cols)..<((i + 1) * tile.cols)]))
                        }
                    }
                    if symmetric && !diagonal {
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
                entries += r.count * c.count
                progress?(k + 1, jobs.count, Date().timeIntervalSince(start))
            }
            try file.finish()
        } catch {
            file.cancel()
            throw error
        }
        let seconds = Date().timeIntervalSince(start)
        return Summary(rows: n1, cols: n2, tileSize: t, tiles: jobs.count, layers: spec.depth, seconds: seconds,
                       entryLayersPerSecond: Double(entries * spec.depth) / max(seconds, 1e-9))
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
        guard let v = Double(number), v.isFinite, v > 0 else { return nil }
        return Int(v * scale)
    }
}
