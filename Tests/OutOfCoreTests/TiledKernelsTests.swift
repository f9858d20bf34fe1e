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

    @Test func memorySizes() {
        #expect(TiledKernels.parseMemory("4G") == 4 << 30)
        #expect(TiledKernels.parseMemory("512M") == 512 << 20)
        #expect(TiledKernels.parseMemory("1.5GiB") == 3 << 29)
        #expect(TiledKernels.parseMemory("1000") == 1000)
        #expect(TiledKernels.parseMemory("lots") == nil && TiledKernels.parseMemory("-1G") == nil)
        #expect(TiledKernels.tileSize(memoryBudget: 4 << 30, rows: 20_000, cols: 20_000) == 11_585)
    }
}
