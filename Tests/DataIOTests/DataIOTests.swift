import Foundation
import Testing
@testable import DataIO
@testable import Linalg

func fixture(_ name: String) -> String {
    Bundle.module.url(forResource: "Fixtures/" + name, withExtension: nil)!.path
}

let expectedA = try! Matrix([[1.5, -2.25, 3e-300], [4.0, 5.125, -6e300]])

@Suite struct NumPyCompatibility {
    @Test func readsWhatNumPyWrites() throws {
        #expect(try ArrayFiles.readMatrix(path: fixture("f8.npy")) == expectedA)
        #expect(try ArrayFiles.readMatrix(path: fixture("fortran.npy")) == expectedA)
        #expect(try ArrayFiles.readMatrix(path: fixture("be.npy")) == expectedA)
        let f4 = try ArrayFiles.readMatrix(path: fixture("f4.npy"))
        #expect(f4.rows == 2 && f4.cols == 2 && f4[1, 1] == 5.125)
        #expect(try ArrayFiles.readMatrix(path: fixture("i8.npy")) == Matrix([[0, 1, 2], [3, 4, 5]]))
        let v = try ArrayFiles.readMatrix(path: fixture("vec.npy"))
        #expect(v.rows == 3 && v.cols == 1)
        let two = try NPZ.read(path: fixture("two.npz"))
        #expect(two.map(\.name).sorted() == ["nngp", "ntk"])
        #expect(two.first { $0.name == "ntk" }!.matrix == 2 * expectedA)
    }

    /// Our writer produces NumPy's own bytes for the same array (same header padding and layout).
    @Test func writesWhatNumPyWrites() throws {
        let ours = NPY.encode(expectedA)
        let theirs = FileManager.default.contents(atPath: fixture("f8.npy"))!
        #expect(ours == theirs)
    }

    @Test func npzRoundTrips() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dlt-npz-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("k.npz").path
        try NPZ.write([("nngp", expectedA), ("ntk", expectedA.transposed)], to: path)
        let back = try NPZ.read(path: path)
        #expect(back[0].name == "nngp" && back[0].matrix == expectedA)
        #expect(back[1].name == "ntk" && back[1].matrix == expectedA.transposed)
        // No temporary files are left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["k.npz"])
        #expect(CRC32.checksum(Data("123456789".utf8)) == 0xCBF4_3926)
        // One flipped bit in a payload fails the member's CRC-32.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count / 3] ^= 0x10
        #expect(throws: DataError.self) { try NPZ.decode(bytes, name: "k.npz") }
    }

    /// A file filled by blocks in any order (`TiledArrayFile`, the out-of-core writer) is an .npz that numpy and our
    /// reader accept, with CRCs that match; the transposed writes land where they should.
    @Test func tiledArrayFileWritesBlocksInAnyOrder() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dlt-tiled-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("t.npz").path
        let a = try Matrix((0..<7).map { i in (0..<5).map { Double(10 * i + $0) } })
        let file = try TiledArrayFile(path: path, members: [.init(name: "a", rows: 7, cols: 5), .init(name: "b", rows: 5, cols: 7)])
        for i in [6, 0, 3, 1, 5, 2, 4] {
            let row = a.row(i)
            try row.withUnsafeBufferPointer { p throws(DataError) in
                try file.write(member: 0, row: i, col: 2, values: UnsafeBufferPointer(rebasing: p[2..<5]))
                try file.write(member: 0, row: i, col: 0, values: UnsafeBufferPointer(rebasing: p[0..<2]))
            }
        }
        let t = a.transposed
        for j in stride(from: 4, through: 0, by: -1) { try t.row(j).withUnsafeBufferPointer { p throws(DataError) in try file.write(member: 1, row: j, col: 0, values: p) } }
        #expect(!FileManager.default.fileExists(atPath: path), "nothing at the path before finish")
        try file.finish()
        let back = try NPZ.read(path: path)
        #expect(back.map(\.name) == ["a", "b"] && back[0].matrix == a && back[1].matrix == t)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["t.npz"])
        // Cancelled: nothing left.
        let gone = try TiledArrayFile(path: dir.appendingPathComponent("g.npy").path, members: [.init(name: "g", rows: 2, cols: 2)])
        gone.cancel()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["t.npz"])
    }

    @Test func malformedFilesAreRejected() throws {
        #expect(throws: DataError.self) { try ArrayFiles.readMatrix(path: fixture("compressed.npz")) }
        let f8 = FileManager.default.contents(atPath: fixture("f8.npy"))!
        // Truncated data, truncated header, bad magic.
        #expect(throws: DataError.self) { try NPY.decode(f8.prefix(f8.count - 8)) }
        #expect(throws: DataError.self) { try NPY.decode(f8.prefix(40)) }
        #expect(throws: DataError.self) { try NPY.decode(Data("hello world, not numpy".utf8)) }
        #expect(throws: DataError.self) { try NPZ.decode(Data([0x50, 0x4B, 3, 4]), name: "x.npz") }
        #expect(throws: DataError.unreadable(path: "/nonexistent/x.csv", reason: "no such file")) {
            try ArrayFiles.readMatrix(path: "/nonexistent/x.csv")
        }
    }
}

@Suite struct CSVTests {
    @Test func headerIsOptional() throws {
        let a = try CSV.parse("x,y\n1,2\n3,4\n")
        #expect(a.header == ["x", "y"])
        #expect(try a.matrix == Matrix([[1, 2], [3, 4]]))
        let b = try CSV.parse("1, 2\r\n\n3,4.5e-3\n")
        #expect(b.header == nil)
        #expect(try b.matrix == Matrix([[1, 2], [3, 4.5e-3]]))
    }

    @Test func badRowsAreNamed() {
        do { _ = try CSV.parse("1,2\n3\n"); Issue.record("ragged accepted") } catch {
            #expect(error.description.contains("ragged rows: line 2 has 1 fields, expected 2"))
        }
        do { _ = try CSV.parse("1,2\n3,nan\n"); Issue.record("NaN accepted") } catch {
            #expect(error.description.contains("line 2, column 2"))
        }
        #expect(throws: DataError.self) { try CSV.parse("1,2\n3,abc\n") }
        #expect(throws: DataError.self) { try CSV.parse("a,b\n") }
        #expect(throws: DataError.self) { try CSV.parse("") }
    }

    @Test func csvRoundTripsFullPrecision() throws {
        let m = try Matrix([[0.1, 1.0 / 3.0], [-2e-310, 123456789.123456789]])
        #expect(try CSV.parse(CSV.format(m)).matrix == m)
    }

    @Test func formatResolution() throws {
        #expect(try OutputFormat.resolve(explicit: nil, path: "a/k.npz") == .npz)
        #expect(try OutputFormat.resolve(explicit: "csv", path: "a/k.npz") == .csv)
        #expect(try OutputFormat.resolve(explicit: nil, path: nil) == .json)
        #expect(throws: DataError.self) { try OutputFormat.resolve(explicit: "xml", path: nil) }
        #expect(throws: DataError.self) { try OutputFormat.resolve(explicit: nil, path: "k.txt") }
    }

    @Test func jsonValueSerializes() throws {
        let v = JSONValue.object([("a", .number(0.1)), ("b", .array([.number(.nan), .int(3), .string("q\"\n")])), ("c", .number(2))])
        #expect(v.serialized() == #"{"a":0.1,"b":[null,3,"q\"\n"],"c":2.0}"#)
        let back = try JSONValue.parse(Data(v.serialized().utf8))
        #expect(back["a"] == .number(0.1))
    }
}
