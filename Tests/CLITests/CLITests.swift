import DataIO
import Foundation
import Testing

/// End-to-end tests of the `dlt` binary: the interfaces the issues spell out, and bad input
/// rejected with one clear message, a non-zero exit and no output file.
struct DLT {
    static let binary: URL = {
        var dir = Bundle.main.bundleURL
        if dir.pathExtension == "xctest" { dir = dir.deletingLastPathComponent() }
        return dir.appendingPathComponent("dlt")
    }()

    struct Run { let status: Int32; let stdout: String; let stderr: String }

    static func run(_ args: [String], environment: [String: String] = [:]) throws -> Run {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// Start `dlt args`, wait until `file` appears (the first checkpoint) — or, without a file, `after` seconds — send
    /// SIGINT, and return the exit status.
    static func interrupt(_ args: [String], when file: String? = nil, after delay: Double = 0) throws -> Int32 {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        p.standardError = FileHandle.nullDevice
        try p.run()
        let start = Date()
        func waiting() -> Bool { file.map { !FileManager.default.fileExists(atPath: $0) } ?? (Date().timeIntervalSince(start) < delay) }
        while waiting() && p.isRunning && Date().timeIntervalSince(start) < 60 { usleep(2000) }
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        return p.terminationStatus
    }

    static func json(_ r: Run) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
    }
}

/// A CSV of `rows` × `cols` values f(i, j), with `digits` decimals, written to `name` in `w`; its path.
func writeCSV(_ w: URL, _ name: String, rows: Int, cols: Int, digits: Int, _ f: (Int, Int) -> Double) throws -> String {
    let url = w.appendingPathComponent(name)
    var text = ""
    for i in 0..<rows {
        let row: [String] = (0..<cols).map { (j: Int) -> String in String(format: "%.\(digits)f", f(i, j)) }
        text += row.joined(separator: ",") + "\n"
    }
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url.path
}

/// A fresh directory with a few input files.
func workspace() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dlt-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try "x1,x2,x3\n1,0,0\n0.5,0.5,0\n0,0,1\n".write(to: dir.appendingPathComponent("X.csv"), atomically: true, encoding: .utf8)
    try "1,2,3\n-1,0.5,2\n".write(to: dir.appendingPathComponent("Y.csv"), atomically: true, encoding: .utf8)
    try "1,2,3\n4,5\n".write(to: dir.appendingPathComponent("ragged.csv"), atomically: true, encoding: .utf8)
    try "1,2,3\n4,nan,6\n".write(to: dir.appendingPathComponent("nan.csv"), atomically: true, encoding: .utf8)
    try "1,2\n3,4\n".write(to: dir.appendingPathComponent("two.csv"), atomically: true, encoding: .utf8)
    return dir
}

@Suite struct KernelCommandTests {
    @Test func contractInterfacePrintsNNGPAndNTK() throws {
        let w = try workspace()
        let r = try DLT.run(["kernel", "--activation", "relu", "--depth", "3", "--cw", "2", "--cb", "0", "--lambda-w", "2",
                             "--lambda-b", "0", "--inputs", w.appendingPathComponent("X.csv").path, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try DLT.json(r)
        let nngp = obj["nngp"] as! [[Double]], ntk = obj["ntk"] as! [[Double]]
        #expect(nngp.count == 3 && nngp[0].count == 3 && ntk.count == 3)
        // ReLU at criticality keeps K_δδ = C_W |x|²/n₀ and Θ_δδ = L·K_δδ.
        #expect(abs(nngp[0][0] - 2.0 / 3.0) < 1e-15 && abs(ntk[0][0] - 2.0) < 1e-14)
    }

    @Test func crossKernelAllLayersAndSpecFile() throws {
        let w = try workspace()
        let spec = w.appendingPathComponent("net.json")
        try #"{"depth": 2, "activation": "erf", "cb": 0.1, "cw": 1.5}"#.write(to: spec, atomically: true, encoding: .utf8)
        let r = try DLT.run(["kernel", "--spec", spec.path, "--inputs", w.appendingPathComponent("X.csv").path,
                             "--inputs2", w.appendingPathComponent("Y.csv").path, "--all-layers"])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try DLT.json(r)
        #expect((obj["nngp"] as! [[Double]]).map(\.count) == [2, 2, 2])
        #expect((obj["layers"] as! [[String: Any]]).count == 2)
    }

    @Test func writesNpzNpyAndCsvFiles() throws {
        let w = try workspace()
        let x = w.appendingPathComponent("X.csv").path
        for (name, extra) in [("k.npz", [String]()), ("k.npy", ["--get", "ntk"]), ("k.csv", ["--get", "nngp"]), ("k.json", [])] {
            let out = w.appendingPathComponent(name).path
            let r = try DLT.run(["kernel", "--activation", "tanh", "--depth", "2", "--cw", "1", "--inputs", x, "--output", out] + extra)
            #expect(r.status == 0, "\(name): \(r.stderr)")
            #expect(FileManager.default.fileExists(atPath: out))
        }
        let npy = try Data(contentsOf: w.appendingPathComponent("k.npy"))
        #expect(npy.prefix(6) == Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]))
        // .npy without --get is ambiguous: a clear error and no file.
        let out = w.appendingPathComponent("bad.npy").path
        let r = try DLT.run(["kernel", "--activation", "tanh", "--depth", "2", "--cw", "1", "--inputs", x, "--output", out])
        #expect(r.status != 0 && r.stderr.contains("--get"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    /// Out of core: --memory streams tiles into .npz/.npy with the same numbers as the in-memory path; wrong uses are
    /// refused with a message and no file.
    @Test func memoryBudgetStreamsTiles() throws {
        let w = try workspace()
        var rows: [String] = []
        for i in 0..<200 { rows.append((0..<4).map { String(sin(Double(5 * i + 2 * $0 + 1))) }.joined(separator: ",")) }
        let x = w.appendingPathComponent("big.csv").path
        try (rows.joined(separator: "\n") + "\n").write(toFile: x, atomically: true, encoding: .utf8)
        let net = ["kernel", "--activation", "relu", "--depth", "5", "--cw", "2", "--cb", "0.05", "--inputs", x]
        let whole = w.appendingPathComponent("whole.npz").path, tiled = w.appendingPathComponent("tiled.npz").path
        #expect(try DLT.run(net + ["--output", whole]).status == 0)
        let r = try DLT.run(net + ["--output", tiled, "--memory", "200K"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("tile 6/6"), "200K gives tiles of 80: 3 × 3, six on and above the diagonal")
        let a = try NPZ.read(path: whole), b = try NPZ.read(path: tiled)
        #expect(a.map(\.name) == b.map(\.name))
        for (u, v) in zip(a, b) { #expect(u.matrix.relativeDistance(to: v.matrix) < 1e-12) }
        for (args, message) in [(["--output", w.appendingPathComponent("k.npy").path, "--memory", "1M"], "--get"),
                                (["--output", w.appendingPathComponent("k.npz").path, "--memory", "lots"], "not a size"),
                                (["--output", w.appendingPathComponent("k.npz").path, "--memory", "1K"], "below one 64 × 64 tile"),
                                (["--memory", "1M"], "--output")] {
            let bad = try DLT.run(net + args)
            #expect(bad.status != 0 && bad.stderr.contains(message), "\(args): \(bad.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: w.appendingPathComponent("k.npy").path))
        #expect(!FileManager.default.fileExists(atPath: w.appendingPathComponent("k.npz").path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.path).allSatisfy { !$0.contains(".tmp-") })
    }

    /// Bad input: one clear message naming the problem, non-zero exit, no output file.
    @Test(arguments: [
        (["--activation", "relu", "--depth", "3", "--cw", "2", "--inputs", "ragged.csv"], "ragged"),
        (["--activation", "relu", "--depth", "3", "--cw", "2", "--inputs", "nan.csv"], "NaN"),
        (["--activation", "relux", "--depth", "3", "--cw", "2", "--inputs", "X.csv"], "unknown activation"),
        (["--activation", "relu", "--depth", "3", "--cw", "-2", "--inputs", "X.csv"], "negative"),
        (["--activation", "relu", "--depth", "0", "--cw", "2", "--inputs", "X.csv"], "depth"),
        (["--activation", "relu", "--depth", "2", "--cw", "2", "--inputs", "X.csv", "--inputs2", "two.csv"], "mismatched input dimensions"),
        (["--activation", "relu", "--depth", "2", "--cw", "2", "--inputs", "missing.csv"], "no such file"),
    ])
    func badInputIsRejected(_ args: [String], _ message: String) throws {
        let w = try workspace()
        let out = w.appendingPathComponent("out.npz").path
        let resolved = args.map { $0.hasSuffix(".csv") ? w.appendingPathComponent($0).path : $0 }
        let r = try DLT.run(["kernel"] + resolved + ["--output", out])
        #expect(r.status != 0)
        #expect(r.stderr.contains(message), "stderr: \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.path).filter { $0.hasPrefix(".") }.isEmpty)
    }
}

@Suite struct CriticalityCommandTests {
    @Test func criticalPointHasTheContractKeys() throws {
        let r = try DLT.run(["criticality", "--activation", "gelu", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try DLT.json(r)
        for key in ["activation", "class", "cb", "cw", "kstar", "chi_parallel", "chi_perp"] { #expect(obj[key] != nil, "\(key)") }
        #expect(obj["class"] as? String == "kstar_nonzero")
        #expect(abs((obj["chi_perp"] as! Double) - 1) < 1e-9)
    }

    @Test func noCriticalPointGivesNullsAndAReason() throws {
        let obj = try DLT.json(try DLT.run(["criticality", "--activation", "sigmoid"]))
        #expect(obj["cb"] is NSNull && obj["cw"] is NSNull && obj["kstar"] is NSNull)
        #expect((obj["reason"] as! String).contains("σ(0)"))
    }

    @Test func offCriticalAnalysis() throws {
        let obj = try DLT.json(try DLT.run(["criticality", "--activation", "tanh", "--cb", "0.1", "--cw", "2.5", "--depth", "20"]))
        #expect(obj["phase"] as? String == "chaotic")
        for key in ["kstar", "chi_parallel", "chi_perp", "depth_scale", "profile"] { #expect(obj[key] != nil, "\(key)") }
        #expect((obj["profile"] as! [Double]).count == 20)
        let bad = try DLT.run(["criticality", "--activation", "tanh", "--cb", "0.1"])
        #expect(bad.status != 0 && bad.stderr.contains("--cb and --cw"))
    }
}

@Suite struct ReportCommandTests {
    @Test func quickReportIsSelfContained() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dlt-report-\(UUID().uuidString)")
        let r = try DLT.run(["report", "--output", dir.path, "--quick"])
        #expect(r.status == 0, "\(r.stderr)")
        let html = try String(contentsOf: dir.appendingPathComponent("index.html"), encoding: .utf8)
        for section in ["Kernel and NTK vs depth", "Correlation flow", "phase diagram", "Critical points"] {
            #expect(html.contains(section))
        }
        #expect(html.components(separatedBy: "<svg").count > 8)
        #expect(!html.contains("http://") || !html.contains("src=\"http"))  // nothing fetched
        #expect(!html.contains("<script"))
        #expect(!html.lowercased().contains(">nan<"))
    }
}

@Suite struct EnsembleCommandTests {
    let flags = ["--activation", "relu", "--depth", "3", "--width", "16", "--cw", "2", "--cb", "0"]

    @Test func contractKeysWithStandardErrors() throws {
        let w = try workspace()
        let r = try DLT.run(["ensemble"] + flags + ["--inputs", w.appendingPathComponent("X.csv").path, "--networks", "400", "--seed", "1", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty)  // no progress bar when stderr is not a terminal
        let obj = try DLT.json(r)
        for key in ["nngp", "vertex", "excess_kurtosis", "ntk_mean", "ntk_variance"] {
            #expect(obj[key] != nil && obj[key + "_se"] != nil, "\(key)")
        }
        #expect(obj["networks"] as? Int == 400)
        #expect((obj["vertex"] as! [[[[Double]]]]).count == 3)
        // dNTK/ddNTK statistics and the Hessian norm, per input (3 inputs, 16 outputs).
        for key in ["dntk_p", "dntk_q", "ddntk_r", "ddntk_s", "ddntk_t", "ddntk_u", "hessian_norm"] {
            #expect((obj[key] as? [Double])?.count == 3 && (obj[key + "_se"] as? [Double])?.count == 3, "\(key)")
        }
    }

    /// Shards 0/3, 1/3, 2/3 merged give the single run's numbers to 1e-12.
    @Test func shardsMergeToOneRun() throws {
        let w = try workspace()
        let x = w.appendingPathComponent("X.csv").path
        let base = ["ensemble"] + flags + ["--inputs", x, "--networks", "300", "--seed", "7"]
        let one = try DLT.json(try DLT.run(base))
        var files: [String] = []
        for k in 0..<3 {
            let f = w.appendingPathComponent("s\(k).json").path
            let r = try DLT.run(base + ["--shard", "\(k)/3", "--output", f])
            #expect(r.status == 0, "\(r.stderr)")
            files.append(f)
        }
        let merged = try DLT.json(try DLT.run(["merge"] + files))
        #expect(merged["networks"] as? Int == 300)
        for key in ["nngp", "ntk_mean", "ntk_variance", "excess_kurtosis", "vertex", "dntk_q", "ddntk_s", "hessian_norm"] {
            let a = flatten(one[key]!), b = flatten(merged[key]!)
            #expect(a.count == b.count && a.count > 0)
            for (u, v) in zip(a, b) { #expect(abs(u - v) <= 1e-12 * max(1, abs(u)), "\(key): \(u) vs \(v)") }
        }
        // Different runs, repeated shards and malformed files are refused.
        let other = w.appendingPathComponent("other.json").path
        _ = try DLT.run(["ensemble"] + flags + ["--inputs", x, "--networks", "300", "--seed", "8", "--shard", "1/3", "--output", other])
        let bad = try DLT.run(["merge", files[0], other])
        #expect(bad.status != 0 && bad.stderr.contains("different runs"))
        let twice = try DLT.run(["merge", files[0], files[0]])
        #expect(twice.status != 0 && twice.stderr.contains("twice"))
        let junk = w.appendingPathComponent("junk.json")
        try "{\"nngp\": 1}".write(to: junk, atomically: true, encoding: .utf8)
        let malformed = try DLT.run(["merge", junk.path])
        #expect(malformed.status != 0 && malformed.stderr.contains("not a dlt ensemble file"))
    }

    /// Ctrl-C during a checkpointed run: exit 130, the checkpoint written, no output file; --resume finishes with the
    /// bytes of an uninterrupted run. A checkpoint of another run is refused.
    @Test func interruptAndResume() throws {
        let w = try workspace()
        let x = w.appendingPathComponent("X.csv").path
        let args = ["ensemble", "--activation", "tanh", "--depth", "2", "--width", "8", "--cw", "1", "--cb", "0", "--inputs", x,
                    "--networks", "4000", "--seed", "3"]
        let full = w.appendingPathComponent("full.json").path, out = w.appendingPathComponent("out.json").path
        let cp = w.appendingPathComponent("cp.json").path
        #expect(try DLT.run(args + ["--output", full]).status == 0)
        // The first checkpoint appears after the first block of 256 networks; interrupt then.
        let status = try DLT.interrupt(args + ["--output", out, "--checkpoint", cp, "--checkpoint-every", "0.001"], when: cp)
        #expect(status == 130, "interrupted runs exit with 130")
        #expect(!FileManager.default.fileExists(atPath: out), "no output file from an interrupted run")
        let resumed = try DLT.run(args + ["--output", out, "--checkpoint", cp, "--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(contentsOf: URL(fileURLWithPath: full)))
        let other = try DLT.run(args.map { $0 == "3" ? "4" : $0 } + ["--checkpoint", cp, "--resume"])
        #expect(other.status != 0 && other.stderr.contains("another run"))
    }

    /// The documented Slurm job-array script (docs/examples/ensemble-array.sh), run as three array tasks by hand, then
    /// merged: the same numbers as one unsharded run.
    @Test func slurmExampleScriptRuns() throws {
        let w = try workspace()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/examples/ensemble-array.sh").path
        let x = w.appendingPathComponent("X.csv").path, shards = w.appendingPathComponent("shards").path
        for k in 0..<3 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = [script]
            p.environment = ProcessInfo.processInfo.environment.merging(
                ["SLURM_ARRAY_TASK_ID": "\(k)", "SLURM_ARRAY_TASK_COUNT": "3", "DLT": DLT.binary.path, "INPUTS": x,
                 "NETWORKS": "60", "OUT": shards]) { $1 }
            try p.run()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
        }
        let files = (0..<3).map { "\(shards)/shard-\($0).json" }
        let merged = try DLT.json(try DLT.run(["merge"] + files))
        let one = try DLT.json(try DLT.run(["ensemble", "--activation", "tanh", "--depth", "4", "--width", "128", "--cw", "1", "--cb", "0",
                                            "--inputs", x, "--networks", "60", "--seed", "7"]))
        #expect(merged["networks"] as? Int == 60)
        let a = flatten(one["ntk_mean"]!), b = flatten(merged["ntk_mean"]!)
        #expect(a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-12 * max(1, abs($0)) })
    }

    /// An exploding spec is reported where the overflow first appears (layer and quantity), not deep inside a later
    /// linear-algebra call.
    @Test func overflowIsReportedAtItsLayer() throws {
        let w = try workspace()
        let r = try DLT.run(["ensemble", "--activation", "relu", "--depth", "6", "--width", "16", "--cw", "1e200", "--cb", "0",
                             "--inputs", w.appendingPathComponent("X.csv").path, "--networks", "20", "--output", w.appendingPathComponent("e.json").path])
        #expect(r.status != 0 && r.stderr.contains("preactivations z of layer 4 of network 0"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: w.appendingPathComponent("e.json").path))
    }

    @Test(arguments: [(["--networks", "0"], "--networks"), (["--shard", "3/2"], "--shard"), (["--width", "0"], "width")])
    func badInputIsRejected(_ extra: [String], _ message: String) throws {
        let w = try workspace()
        let out = w.appendingPathComponent("e.json").path
        var args = ["ensemble"] + flags + ["--inputs", w.appendingPathComponent("X.csv").path, "--output", out]
        if extra[0] == "--width" { args = args.filter { $0 != "16" && $0 != "--width" } }
        let r = try DLT.run(args + extra)
        #expect(r.status != 0 && r.stderr.contains(message), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}

func flatten(_ v: Any) -> [Double] {
    if let d = v as? Double { return [d] }
    if let a = v as? [Any] { return a.flatMap(flatten) }
    return []
}

@Suite struct FiniteWidthCommandTests {
    @Test func contractKeys() throws {
        let w = try workspace()
        let r = try DLT.run(["finite-width", "--activation", "relu", "--depth", "5", "--width", "64", "--cw", "2", "--cb", "0",
                             "--inputs", w.appendingPathComponent("X.csv").path, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try DLT.json(r)
        for key in ["nngp", "vertex", "excess_kurtosis", "ntk_mean", "ntk_variance"] { #expect(obj[key] != nil, "\(key)") }
        // ReLU at criticality: excess kurtosis 3·5(L − 1)/n on every input.
        for k in obj["excess_kurtosis"] as! [Double] { #expect(abs(k - 15.0 * 4 / 64) < 1e-9) }
        // and no dNTK–preactivation P or ddNTK R, U at this order (docs/derivations/dntk.md §7.1).
        for key in ["dntk_p", "ddntk_r", "ddntk_u"] { for v in obj[key] as! [Double] { #expect(abs(v) < 1e-9, "\(key)") } }
        for key in ["dntk_q", "ddntk_s", "ddntk_t"] { for v in obj[key] as! [Double] { #expect(v > 0, "\(key)") } }
    }

    @Test func compareTableFlagsNothingForReLU() throws {
        let w = try workspace()
        let r = try DLT.run(["compare", "--activation", "relu", "--depth", "3", "--width", "32", "--cw", "2", "--cb", "0",
                             "--inputs", w.appendingPathComponent("two.csv").path, "--networks", "3000", "--seed", "3"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("order 1/n") && r.stdout.contains("Monte Carlo"))
        #expect(r.stdout.contains("0 beyond 4 SE"), "\(r.stdout)")
    }
}

@Suite struct PredictCommandTests {
    let net = ["--activation", "relu", "--depth", "3", "--cw", "2", "--cb", "0.1"]

    func files(_ w: URL) throws -> [String] {
        try "1,0.5,0\n-0.3,0.8,1\n0.6,-1,0.2\n0.1,0.1,-0.7\n".write(to: w.appendingPathComponent("Xtr.csv"), atomically: true, encoding: .utf8)
        try "1,0\n-0.5,1\n0.2,0.3\n0.7,-1\n".write(to: w.appendingPathComponent("Ytr.csv"), atomically: true, encoding: .utf8)
        try "0.1,0.2,0.3\n-1,0,0.5\n".write(to: w.appendingPathComponent("Xte.csv"), atomically: true, encoding: .utf8)
        return ["--train", w.appendingPathComponent("Xtr.csv").path, "--targets", w.appendingPathComponent("Ytr.csv").path,
                "--test", w.appendingPathComponent("Xte.csv").path]
    }

    /// The contract: {"mean": N_test × k, "covariance": N_test × N_test}; --time inf is the default and
    /// a long time approaches it; --posterior equals --kernel nngp at t = ∞.
    @Test func contractKeysAndLimits() throws {
        let w = try workspace()
        let data = try files(w)
        let r = try DLT.run(["predict"] + net + data + ["--kernel", "ntk", "--time", "30", "--learning-rate", "1", "--diag-reg", "0", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try DLT.json(r)
        let mean = obj["mean"] as! [[Double]], cov = obj["covariance"] as! [[Double]]
        #expect(mean.count == 2 && mean[0].count == 2 && cov.count == 2 && cov[0].count == 2)
        let inf = try DLT.json(try DLT.run(["predict"] + net + data))
        let late = try DLT.json(try DLT.run(["predict"] + net + data + ["--time", "1e9"]))
        for (a, b) in zip(flatten(inf["mean"]!), flatten(late["mean"]!)) { #expect(abs(a - b) < 1e-8 * max(1, abs(a))) }
        let post = try DLT.json(try DLT.run(["predict"] + net + data + ["--posterior"]))
        let nngp = try DLT.json(try DLT.run(["predict"] + net + data + ["--kernel", "nngp", "--time", "inf"]))
        #expect(flatten(post["mean"]!) == flatten(nngp["mean"]!) && flatten(post["covariance"]!) == flatten(nngp["covariance"]!))
    }

    /// Bad input: wrong target rows, NaN targets, negative time, unknown kernel, a singular kernel
    /// (repeated inputs) without --diag-reg: one message, non-zero exit, no output file.
    @Test func badInputIsRejected() throws {
        let w = try workspace()
        let data = try files(w)
        let out = w.appendingPathComponent("p.json").path
        let twoRows = w.appendingPathComponent("two.csv").path
        try "1,0.5,0\n1,0.5,0\n0.6,-1,0.2\n0.1,0.1,-0.7\n".write(to: w.appendingPathComponent("rep.csv"), atomically: true, encoding: .utf8)
        try "1\n2\nnan\n4\n".write(to: w.appendingPathComponent("ynan.csv"), atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            (data.enumerated().map { $0.offset == 3 ? twoRows : $0.element }, "--targets has 2 rows"),
            (data.enumerated().map { $0.offset == 3 ? w.appendingPathComponent("ynan.csv").path : $0.element }, "nan"),
            (data + ["--time", "-1"], "--time"),
            (data + ["--kernel", "rbf"], "--kernel"),
            (data.enumerated().map { $0.offset == 1 ? w.appendingPathComponent("rep.csv").path : $0.element }, "--diag-reg"),
            (data + ["--posterior", "--time", "3"], "--posterior"),
        ]
        for (args, message) in cases {
            let r = try DLT.run(["predict"] + net + args + ["--output", out])
            #expect(r.status != 0 && r.stderr.lowercased().contains(message.lowercased()), "\(message): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
        let fixed = try DLT.run(["predict"] + net + data.enumerated().map { $0.offset == 1 ? w.appendingPathComponent("rep.csv").path : $0.element }
                                + ["--diag-reg", "1e-6"])
        #expect(fixed.status == 0, "\(fixed.stderr)")
    }
}

@Suite struct TrainCommandTests {
    /// The contract keys; every --model; bad input refused with no output file.
    @Test func contractKeysAndBadInput() throws {
        let w = try workspace()
        let data = try PredictCommandTests().files(w)
        let net = ["--activation", "relu", "--depth", "3", "--width", "32", "--cw", "2", "--cb", "0.1"]
        for model in ["network", "linearized", "quadratic"] {
            let r = try DLT.run(["train"] + net + data + ["--networks", "4", "--steps", "5", "--learning-rate", "0.3", "--seed", "1",
                                                          "--model", model, "--format", "json"])
            #expect(r.status == 0, "\(r.stderr)")
            let obj = try DLT.json(r)
            for key in ["test_mean", "test_mean_se", "test_covariance", "train_loss", "ntk_change", "ntk_change_se", "theory"] {
                #expect(obj[key] != nil, "\(model): \(key)")
            }
            #expect((obj["train_loss"] as! [Double]).count == 6)
            let theory = obj["theory"] as! [String: Any]
            #expect(theory["mean"] != nil && theory["covariance"] != nil)
        }
        let out = w.appendingPathComponent("t.json").path
        // A width with zeros too many: one message naming the parameter count, not a failed allocation.
        let huge = try DLT.run(["train"] + net.map { $0 == "32" ? "100000000" : $0 } + data + ["--output", out])
        #expect(huge.status != 0 && huge.stderr.contains("parameters") && !FileManager.default.fileExists(atPath: out), "\(huge.stderr)")
        for (extra, message) in [(["--model", "cubic"], "--model"), (["--networks", "1"], "--networks"), (["--steps", "-2"], "--steps")] {
            let r = try DLT.run(["train"] + net + data + extra + ["--output", out])
            #expect(r.status != 0 && r.stderr.contains(message), "\(message): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }
}

@Suite struct LinearCommandTests {
    /// Direct = kernel form, closed-form GD = iterated GD, for every feature map; bad features refused.
    @Test func solutionsAgree() throws {
        let w = try workspace()
        let data = try PredictCommandTests().files(w)
        for features in ["identity", "random:30", "polynomial:3"] {
            let r = try DLT.run(["linear", "--features", features] + data + ["--steps", "20", "--learning-rate", "0.5", "--ridge", "1e-3"])
            #expect(r.status == 0, "\(r.stderr)")
            let gaps = try DLT.json(r)["max_difference"] as! [String: Double]
            #expect(gaps["direct_vs_kernel"]! < 1e-8 && gaps["closed_form_vs_iterated"]! < 1e-10, "\(features): \(gaps)")
        }
        let bad = try DLT.run(["linear", "--features", "random:0"] + data)
        #expect(bad.status != 0 && bad.stderr.contains("--features"))
        // More features than inputs without a ridge: the normal equations are singular, and the message names --ridge.
        let singular = try DLT.run(["linear", "--features", "random:30"] + data)
        #expect(singular.status != 0 && singular.stderr.contains("--ridge"))
        // The quadratic model and its nearly-kernel solution: O(ε²) apart (halving ε cuts the gap about 4×).
        var gaps: [Double] = []
        for eps in ["0.2", "0.1"] {
            let r = try DLT.run(["linear", "--features", "random:30", "--ridge", "1e-6"] + data + ["--steps", "100", "--epsilon", eps])
            #expect(r.status == 0, "\(r.stderr)")
            gaps.append(try DLT.json(r)["quadratic_vs_nearly_kernel"] as! Double)
        }
        #expect(gaps[0] / gaps[1] > 3 && gaps[0] / gaps[1] < 5, "\(gaps)")
    }

    /// A network's own gradient features and Hessian meta-features; --meta hessian without them is refused.
    @Test func networkFeatures() throws {
        let w = try workspace()
        let data = try PredictCommandTests().files(w)
        let net = ["--activation", "tanh", "--depth", "2", "--width", "12", "--cw", "1.5", "--cb", "0.1"]
        let r = try DLT.run(["linear", "--features", "gradient"] + net + data + ["--ridge", "1e-9", "--epsilon", "0.5", "--meta", "hessian", "--steps", "30"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try DLT.json(r)
        #expect((j["features"] as! Int) == 3 * 12 + 12 + 12 + 1)
        #expect(((j["max_difference"] as! [String: Double])["closed_form_vs_iterated"])! < 1e-10)
        #expect((j["effective_feature_change_curve"] as! [Double]).count == 31)
        let bad = try DLT.run(["linear", "--meta", "hessian"] + data)
        #expect(bad.status != 0 && bad.stderr.contains("--features gradient"))
        let missing = try DLT.run(["linear", "--features", "gradient"] + data)
        #expect(missing.status != 0 && missing.stderr.contains("--activation"))
    }
}

@Suite struct ImplicitBiasCommandTests {
    /// The contract keys for labels and for targets; bad labels, non-separable data and an overdetermined
    /// system refused with a clear message and no output file.
    @Test func contract() throws {
        let w = try workspace()
        func file(_ name: String, _ text: String) throws -> String {
            let url = w.appendingPathComponent(name)
            try text.write(to: url, atomically: true, encoding: .utf8)
            return url.path
        }
        let x = try file("X.csv", "1,0.2\n0.8,-0.3\n-1,0.1\n-0.7,-0.6\n0.3,1.2\n-0.2,-1.1\n")
        let y = try file("y.csv", "1\n1\n-1\n-1\n1\n-1\n")
        let r = try DLT.run(["implicit-bias", "--inputs", x, "--labels", y, "--steps", "20000", "--learning-rate", "1", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try DLT.json(r)
        for key in ["svm_direction", "margin", "support_vectors", "gd_direction", "gd_angle_degrees", "gd_norm"] { #expect(j[key] != nil, "\(key)") }
        #expect((j["gd_angle_degrees"] as! Double) < 5)
        let out = w.appendingPathComponent("out.json").path
        for (labels, message) in [("1\n0\n-1\n-1\n1\n-1\n", "+1 or -1"), ("1\n1\n1\n1\n1\n1\n", "not linearly separable")] {
            let bad = try DLT.run(["implicit-bias", "--inputs", x, "--labels", try file("bad.csv", labels), "--output", out])
            #expect(bad.status != 0 && bad.stderr.contains(message), "\(bad.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
        let xr = try file("Xr.csv", "1,0,2,0.5\n0,1,-1,0.3\n")
        let ls = try DLT.run(["implicit-bias", "--inputs", xr, "--targets", try file("t.csv", "1\n-2\n"), "--format", "json"])
        #expect(ls.status == 0, "\(ls.stderr)")
        let lj = try DLT.json(ls)
        #expect((lj["distance"] as! Double) < 1e-8 && (lj["gd_solution"] as! [Double]).count == 4 && lj["min_norm_solution"] != nil)
        let over = try DLT.run(["implicit-bias", "--inputs", x, "--targets", y])
        #expect(over.status != 0 && over.stderr.contains("fewer rows than columns"))
    }
}

@Suite struct StudyCommandTests {
    /// dlt study NAME --quick writes its JSON, CSV (with a header) and HTML for every study; an unknown study is
    /// refused without creating the directory.
    @Test func implicitBiasQuick() throws {
        let w = try workspace()
        let dir = w.appendingPathComponent("ib").path
        let r = try DLT.run(["study", "implicit-bias", "--quick", "--output", dir])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: dir + "/implicit-bias.json"))) as! [String: Any]
        #expect((json["gd_angle_degrees"] as! Double) < 5 && (json["margin"] as! Double) > 0)
        let csv = try String(contentsOfFile: dir + "/implicit-bias.csv", encoding: .utf8)
        #expect(csv.hasPrefix("step,angle_degrees,norm,loss\n"))
        #expect(FileManager.default.fileExists(atPath: dir + "/index.html"))
        let opt = try DLT.run(["study", "optimizers", "--quick", "--output", w.appendingPathComponent("opt").path])
        #expect(opt.status == 0, "\(opt.stderr)")
        let optCSV = try String(contentsOfFile: w.appendingPathComponent("opt").path + "/optimizers.csv", encoding: .utf8)
        #expect(optCSV.hasPrefix("step,loss_gd_a,loss_gd_b,"))
        // Every other study of the contract, --quick (each under a minute: 0.1–6 s alone, measured by hand, not asserted
        // here — the suite runs tests in parallel, and speed targets belong in benchmarks).
        for name in ["parameterization", "transfer", "lazy", "mean-field", "importance-weighting", "influence"] {
            let dir = w.appendingPathComponent(name).path
            let r = try DLT.run(["study", name, "--quick", "--output", dir])
            #expect(r.status == 0, "\(name): \(r.stderr)")
            for file in [name + ".json", name + ".csv", "index.html"] {
                #expect(FileManager.default.fileExists(atPath: dir + "/" + file), "\(name): \(file) missing")
            }
            let csv = try String(contentsOfFile: dir + "/" + name + ".csv", encoding: .utf8)
            #expect(csv.split(separator: "\n").count >= 2 && !csv.hasPrefix("#"), "\(name): CSV needs a header row and data")
            _ = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name + ".json")))
        }
        // The transfer sweep with a checkpoint, interrupted after its first block and resumed: the same JSON and CSV.
        let cp = w.appendingPathComponent("transfer-cp.json").path, resumedDir = w.appendingPathComponent("transfer-resumed").path
        let status = try DLT.interrupt(["study", "transfer", "--quick", "--output", resumedDir, "--checkpoint", cp], when: cp)
        #expect(status == 130 && !FileManager.default.fileExists(atPath: resumedDir + "/transfer.json"))
        let resumed = try DLT.run(["study", "transfer", "--quick", "--output", resumedDir, "--checkpoint", cp, "--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        for file in ["transfer.json", "transfer.csv"] {
            #expect(try Data(contentsOf: URL(fileURLWithPath: resumedDir + "/" + file))
                    == Data(contentsOf: URL(fileURLWithPath: w.appendingPathComponent("transfer").path + "/" + file)), "\(file)")
        }
        let wrong = try DLT.run(["study", "lazy", "--quick", "--output", w.appendingPathComponent("x").path, "--checkpoint", cp])
        #expect(wrong.status != 0 && wrong.stderr.contains("transfer sweep"))
        for name in ["nonsense"] {
            let bad = try DLT.run(["study", name, "--output", w.appendingPathComponent(name).path])
            #expect(bad.status != 0 && bad.stderr.contains(name))
            #expect(!FileManager.default.fileExists(atPath: w.appendingPathComponent(name).path))
        }
    }
}
