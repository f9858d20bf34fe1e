import Architecture
import CFuzzDriver
import DataIO
import Foundation

/// Coverage-guided fuzzing of the readers with libFuzzer (`make fuzz`; only in the DEEPTHEORY_FUZZ=1 build, compiled
/// with -sanitize=fuzzer). The first byte of an input picks the reader — CSV, .npy, .npz, JSON, network spec — and the
/// rest is the file. Every input must be read or rejected with an error: a crash, a trap, an allocation past
/// libFuzzer's -rss_limit_mb or a read slower than its -timeout is a finding, which libFuzzer saves as crash-… or
/// timeout-…. `dlt-fuzz FILE…` replays saved inputs.
enum Harness {
    static let readers = ["csv", "npy", "npz", "json", "spec"]

    static func run(_ data: Data) {
        guard let first = data.first else { return }
        let body = Data(data.dropFirst())
        switch Int(first) % readers.count {
        case 0:
            if let t = try? CSV.parse(String(decoding: body, as: UTF8.self)) { precondition(t.matrix.isFinite, "CSV let a non-finite value through") }
        case 1:
            if let m = try? NPY.decode(body) { precondition(m.storage.count == m.rows * m.cols) }
        case 2:
            _ = try? NPZ.decode(body, name: "fuzz.npz")
        case 3:
            _ = try? JSONValue.parse(body)
        default:
            if let spec = try? NetworkSpec.fromJSON(body) {
                precondition(spec.depth >= 1 && spec.depth <= NetworkSpec.maxDepth)
                precondition((try? spec.validate()) != nil, "a loaded spec failed validation")
            }
        }
    }
}

/// libFuzzer runs `Harness.run` on every input; flags (-max_total_time, -timeout, -rss_limit_mb, a corpus directory)
/// are libFuzzer's.
@main struct FuzzMain {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { bytes, count in
            Harness.run(bytes.map { Data(bytes: $0, count: count) } ?? Data())
            return 0
        })
    }
}
