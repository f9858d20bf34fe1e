import ArgumentParser
import DeepTheory
import Foundation

/// Flags that describe a network (shared by every subcommand that needs one).
struct NetworkOptions: ParsableArguments {
    @Option(help: "Activation: \(Activation.spellings).")
    var activation: String?

    @Option(parsing: .unconditional, help: "Depth L: the number of weight layers (the output is z^(L)).")
    var depth: Int?

    @Option(parsing: .unconditional, help: "C_W, the weight variance (W ~ N(0, C_W/n)).")
    var cw: Double?

    @Option(parsing: .unconditional, help: "C_b, the bias variance (default 0).")
    var cb: Double?

    @Option(name: .customLong("w-std"), parsing: .unconditional, help: "neural-tangents' W_std (sets C_W = W_std²).")
    var wStd: Double?

    @Option(name: .customLong("b-std"), parsing: .unconditional, help: "neural-tangents' b_std (sets C_b = b_std²).")
    var bStd: Double?

    @Option(name: .customLong("lambda-w"), parsing: .unconditional, help: "λ_W, the weight learning-rate factor (default C_W; with --parameterization standard, the raw learning rate η_W, default 1).")
    var lambdaW: Double?

    @Option(name: .customLong("lambda-b"), parsing: .unconditional, help: "λ_b, the bias learning-rate factor (default C_b; with --parameterization standard, η_b, default 1).")
    var lambdaB: Double?

    @Option(help: "Width of every hidden layer (matters only at finite width and for --parameterization standard).")
    var width: Int?

    @Option(help: "Comma-separated widths n1,…,n_{L−1} of the hidden layers.")
    var widths: String?

    @Option(help: "Width n_L of the output layer (default 1; `dlt ensemble`: the last hidden width, for more samples per network).")
    var outputWidth: Int?

    @Option(help: "Parameterization: ntk (PDLT, default) or standard.")
    var parameterization: String?

    @Option(help: "A network spec in JSON (instead of the flags above).")
    var spec: String?

    /// The spec these flags describe.
    func networkSpec(defaultOutputWidth: Int? = nil) throws -> NetworkSpec {
        if let path = spec {
            let flags: [String?] = [activation, depth.map(String.init), cw.map { "\($0)" }, cb.map { "\($0)" }]
            if flags.contains(where: { $0 != nil }) {
                throw ValidationError("give either --spec or the network flags (--activation, --depth, --cw, --cb), not both")
            }
            guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read spec file \(path)") }
            return try NetworkSpec.fromJSON(data)
        }
        guard let activationName = activation else { throw ValidationError("missing --activation (or --spec)") }
        guard let depth else { throw ValidationError("missing --depth (or --spec)") }
        let act = try Activation.parse(activationName)
        if cw != nil && wStd != nil { throw ValidationError("give --cw or --w-std, not both") }
        if cb != nil && bStd != nil { throw ValidationError("give --cb or --b-std, not both") }
        guard let cwValue = cw ?? wStd.map({ $0 * $0 }) else { throw ValidationError("missing --cw (or --w-std)") }
        let cbValue = cb ?? bStd.map { $0 * $0 } ?? 0
        var hidden: [Int]
        if let widths {
            let parts = widths.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.allSatisfy({ $0 != nil }) else { throw ValidationError("--widths must be comma-separated integers, got '\(widths)'") }
            hidden = parts.map { $0! }
            if width != nil { throw ValidationError("give --width or --widths, not both") }
        } else {
            hidden = [width ?? NetworkSpec.defaultWidth]
        }
        if depth == 1 { hidden = [] }
        var param = Parameterization.ntk
        if let p = parameterization {
            guard let v = Parameterization(rawValue: p.lowercased()) else {
                throw ValidationError("--parameterization must be ntk or standard, got '\(p)'")
            }
            param = v
        }
        let nL = outputWidth ?? defaultOutputWidth.map { _ in depth > 1 ? (hidden.last ?? 1) : 1 } ?? 1
        return try NetworkSpec(depth: depth, hiddenWidths: hidden, outputWidth: nL, activation: act, cb: [cbValue], cw: [cwValue],
                               lambdaB: lambdaB.map { [$0] }, lambdaW: lambdaW.map { [$0] }, parameterization: param)
    }
}

/// Where and how results are written.
struct OutputOptions: ParsableArguments {
    @Option(help: "Output format: json (default), csv, npy, npz; default from the --output extension.")
    var format: String?

    @Option(help: "Write to this file instead of standard output.")
    var output: String?

    @Option(help: "The array to write as CSV or .npy (e.g. nngp or ntk).")
    var get: String?

    /// Write named arrays (and, for JSON, extra keys).
    func emit(_ arrays: [(name: String, matrix: Matrix)], extra: [(String, JSONValue)] = []) throws {
        let fmt = try OutputFormat.resolve(explicit: format, path: output)
        if let output {
            try ArrayFiles.write(arrays, extra: extra, format: fmt, path: output, pick: get)
            return
        }
        switch fmt {
        case .json:
            let doc = JSONValue.object(arrays.map { ($0.name, JSONValue.matrix($0.matrix)) } + extra)
            print(doc.serialized())
        case .csv:
            let chosen = try ArrayFiles.choose(arrays, pick: get, format: .csv)
            print(CSV.format(chosen), terminator: "")
        case .npy, .npz:
            throw ValidationError("--format \(fmt.rawValue) is binary: give --output FILE")
        }
    }

    /// Write a JSON document (JSON is the only format for records that are not arrays).
    func emit(json: JSONValue) throws {
        let fmt = try OutputFormat.resolve(explicit: format, path: output)
        guard fmt == .json else { throw ValidationError("this command writes JSON only (got --format \(fmt.rawValue))") }
        let text = json.serialized(pretty: true) + "\n"
        if let output { try AtomicFile.write(output, data: Data(text.utf8)) } else { print(text, terminator: "") }
    }
}

/// The training and test data of `dlt predict`, `dlt train` and `dlt linear`.
struct TrainingDataOptions: ParsableArguments {
    @Option(help: "Training inputs (rows are inputs): CSV, .npy or .npz.")
    var train: String

    @Option(help: "Training targets, one row per training input (k columns).")
    var targets: String

    @Option(help: "Test inputs.")
    var test: String

    /// Read all three, checking one target row per training input and matching input dimensions.
    func read() throws -> (train: Matrix, targets: Matrix, test: Matrix) {
        let x = try readInputs(train, what: "--train"), y = try readInputs(targets, what: "--targets")
        let xTest = try readInputs(test, what: "--test")
        guard y.rows == x.rows else {
            throw ValidationError("--targets has \(y.rows) rows but --train has \(x.rows) inputs: one target row per training input")
        }
        guard xTest.cols == x.cols else {
            throw ValidationError("--test inputs have \(xTest.cols) columns but --train inputs have \(x.cols)")
        }
        return (x, y, xTest)
    }
}

func readInputs(_ path: String, what: String) throws -> Matrix {
    let m = try ArrayFiles.readMatrix(path: path)
    guard m.rows > 0, m.cols > 0 else { throw ValidationError("\(what) \(path) is empty") }
    return m
}

/// Refuse, with one message, networks too large to sample here: the commands that sample networks hold one network's
/// float64 parameters per core at once, so a width typed with a few zeros too many would otherwise end in a failed
/// allocation (a crash) instead of an error.
func checkSampleable(_ spec: NetworkSpec) throws {
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let memory = ProcessInfo.processInfo.physicalMemory
    let p = spec.parameterCount
    let (bytes, overflow) = p.multipliedReportingOverflow(by: 8 * cores)
    guard overflow || UInt64(bytes) > memory else { return }
    let gb = { (b: Double) in String(format: "%.3g GB", b / 1e9) }
    throw ValidationError("a network of this spec has \(p == Int.max ? "more than 10^18" : String(p)) parameters (\(gb(Double(p) * 8)) in float64 each, "
                          + "one per core on \(cores) cores), more than this machine's \(gb(Double(memory))) of memory: lower --width/--widths")
}
