import Foundation
import Testing
import Architecture
@testable import DataIO
@testable import Linalg

/// Mutation fuzzing of the readers (CSV, .npy, .npz, JSON, network spec JSON): valid files are truncated, bit-flipped, spliced, have
/// bytes inserted or numbers replaced, and each mutant must be either read or rejected with an error — never a crash
/// (which would end the test process) and never a hang (each read is timed). Deterministic: mutant i of reader r comes
/// from SplitMix64 seeded with (r, i). `make test` runs FUZZ_ITERATIONS = 1500 per reader (default); `make fuzz` runs
/// 200 000.
@Suite struct FuzzTests {
    static let iterations = Int(ProcessInfo.processInfo.environment["FUZZ_ITERATIONS"] ?? "") ?? 1500

    struct SplitMix64 {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
    }

    /// One mutant of `seed` (1–3 mutations).
    static func mutate(_ seed: Data, _ g: inout SplitMix64) -> Data {
        var b = [UInt8](seed)
        for _ in 0..<(1 + g.below(3)) {
            switch g.below(7) {
            case 0: b = Array(b.prefix(g.below(b.count + 1)))                                   // truncate
            case 1: if !b.isEmpty { let i = g.below(b.count); b[i] ^= UInt8(1 << g.below(8)) } // flip a bit
            case 2: if !b.isEmpty { b[g.below(b.count)] = UInt8(truncatingIfNeeded: g.next()) } // random byte
            case 3:                                                                              // insert bytes
                let at = g.below(b.count + 1)
                b.insert(contentsOf: (0..<(1 + g.below(16))).map { _ in UInt8(truncatingIfNeeded: g.next()) }, at: at)
            case 4:                                                                              // duplicate a chunk
                if b.count > 2 {
                    let s = g.below(b.count), e = min(b.count, s + 1 + g.below(64))
                    b.insert(contentsOf: b[s..<e], at: g.below(b.count + 1))
                }
            case 5:                                                                              // delete a chunk
                if b.count > 2 { let s = g.below(b.count); b.removeSubrange(s..<min(b.count, s + 1 + g.below(64))) }
            default:                                                                             // a hostile token
                let tokens = ["nan", "inf", "-1e999", "1e309", "99999999999999999999", "\"", "[", "{", ",", "\n", "\0", "'shape': (-1, 3)",
                              "'descr': '<c16'", "(4294967296, 4294967296)", "\u{FEFF}", "\r\n"]
                let t = Array(tokens[g.below(tokens.count)].utf8)
                b.insert(contentsOf: t, at: g.below(b.count + 1))
            }
        }
        return Data(b)
    }

    /// Run the reader on every mutant; count what was read and what was rejected; fail on a slow read.
    static func fuzz(_ name: String, reader: Int, seeds: [Data], read: (Data) throws -> Void) -> (read: Int, rejected: Int) {
        var (ok, rejected) = (0, 0)
        var slowest = 0.0
        for i in 0..<iterations {
            var g = SplitMix64(state: UInt64(reader) << 32 | UInt64(i))
            let mutant = mutate(seeds[g.below(seeds.count)], &g)
            let start = DispatchTime.now().uptimeNanoseconds
            do { try read(mutant); ok += 1 } catch { rejected += 1 }
            slowest = max(slowest, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        #expect(slowest < 1, "\(name): a mutant took \(slowest) s to read (a hang?)")
        #expect(rejected > 0, "\(name): the mutations should break some files")
        return (ok, rejected)
    }

    static let matrix = try! Matrix([[1.5, -2, 3e-300], [4, .pi, 6], [0, -0.0, 1e300]])

    @Test func csvReader() {
        let seeds = [Data("a,b,c\n1,2,3\n4.5,-6e-3,7\n".utf8), Data(CSV.format(Self.matrix, header: ["x", "y", "z"]).utf8),
                     Data("1;2\n3;4\n".utf8), Data("\"q\",2\n3,4\n".utf8)]
        _ = Self.fuzz("CSV", reader: 1, seeds: seeds) { d in
            let t = try CSV.parse(String(decoding: d, as: UTF8.self))
            #expect(t.matrix.isFinite, "the CSV reader let a non-finite value through")
        }
    }

    @Test func npyReader() {
        let seeds = [NPY.encode(Self.matrix), NPY.encode(try! Matrix([[1, 2, 3, 4]]), asVector: true)]
        _ = Self.fuzz("npy", reader: 2, seeds: seeds) { d in _ = try NPY.decode(d) }
    }

    @Test func npzReader() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dlt-fuzz-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("s.npz").path
        try NPZ.write([("nngp", Self.matrix), ("ntk", Self.matrix.transposed)], to: path)
        let seed = try Data(contentsOf: URL(fileURLWithPath: path))
        let r = Self.fuzz("npz", reader: 3, seeds: [seed]) { d in _ = try NPZ.decode(d, name: "fuzz.npz") }
        #expect(r.rejected > r.read, "with CRC checks almost every mutant of an .npz should be rejected")
    }

    @Test func jsonReader() {
        let seeds = [Data(#"{"depth": 3, "width": 64, "activation": "tanh", "cb": [0.1, 0.2, 0.3], "cw": 1.5, "input_dim": 4}"#.utf8),
                     Data(JSONValue.object([("nngp", .matrix(Self.matrix)), ("n", .int(3))]).serialized(pretty: true).utf8)]
        _ = Self.fuzz("JSON", reader: 4, seeds: seeds) { d in _ = try JSONValue.parse(d) }
    }

    /// Inputs the coverage-guided fuzzer (libFuzzer, `make fuzz`: scripts/fuzz.sh) found, kept as regression tests.
    @Test func libFuzzerFindings() {
        // A 1-D .npy of 5 245 913 859 909 804 943 elements: the element count fits an Int, its size in bytes does not,
        // and the size check itself overflowed (a trap) before it could reject the file. Found in 438 000 runs.
        for shape in ["(5245913859909804943,)", "(1152921504606846976, 2)", "(2305843009213693952,)"] {
            #expect(throws: DataError.self) { try NPY.decode(NPY.header(shape: shape) + Data(count: 16)) }
        }
        // A Fortran-order .npy of shape (0, 555 555 555 555 555): no values, so it passed every size check, and the
        // transpose into C order then looped 5.6 × 10¹⁴ times over empty rows (libFuzzer's 2-second timeout, after
        // 4.7 M runs). Empty arrays are now rejected, and a transpose of an empty matrix returns at once.
        var fortran = NPY.header(shape: "(0, 555555555555555)")
        fortran = Data(String(decoding: fortran, as: UTF8.self).replacingOccurrences(of: "False", with: "True ").utf8)
        #expect(throws: DataError.self) { try NPY.decode(fortran) }
        #expect(Matrix(rows: 555_555_555_555_555, cols: 0).transposed.cols == 555_555_555_555_555)
    }

    /// The network spec loader (`--spec FILE`): every mutant is a valid spec (which survives a JSON round trip) or a
    /// `SpecError` naming the problem. It found that "depth": 399999999 (digits inserted into a depth) allocated
    /// per-layer arrays of that length before any check; depths above `NetworkSpec.maxDepth` are now refused first.
    @Test func specReader() {
        let seeds = [Data(#"{"depth": 3, "width": 64, "activation": "tanh", "cb": [0.1, 0.2, 0.3], "cw": 1.5, "input_dim": 4}"#.utf8),
                     Data(#"{"depth": 4, "widths": [8, 16, 8], "output_width": 2, "activation": "relu", "cb": 0, "cw": 2, "lambda_b": 1, "lambda_w": [1, 1, 1, 0.5], "parameterization": "standard"}"#.utf8),
                     Data(#"{"depth": 1, "activation": "erf", "cb": 0.3, "cw": 1.2}"#.utf8),
                     Data(#"{"depth": 2, "width": 5, "activation": "leaky_relu:0.1", "cb": 0, "cw": 1.98}"#.utf8)]
        let r = Self.fuzz("spec", reader: 5, seeds: seeds) { d in
            let spec = try NetworkSpec.fromJSON(d)
            try spec.validate()
            #expect(spec.depth >= 1 && spec.depth <= NetworkSpec.maxDepth)
            let again = try NetworkSpec.fromJSON(try spec.toJSON())
            #expect(try again.toJSON() == spec.toJSON(), "a loaded spec must survive a round trip")
        }
        #expect(r.read > 0, "some mutants (a changed digit) are still valid specs")
    }
}
