import Foundation
import Testing

// Checkpoints and MPI runs of `dlt` (issue 7), end to end.

/// `dlt train --checkpoint`: interrupted by SIGINT after a block of networks, resumed to the bytes of an uninterrupted run.
@Suite struct TrainCheckpointTests {
    static func files(_ w: URL) throws -> [String] {
        let tr = w.appendingPathComponent("tr.csv"), ty = w.appendingPathComponent("ty.csv"), te = w.appendingPathComponent("te.csv")
        try "0.1,0.2,0.3\n0.5,-0.5,0.2\n-0.3,0.4,0.9\n0.7,0.1,-0.2\n".write(to: tr, atomically: true, encoding: .utf8)
        try "0.5\n-0.2\n0.3\n0.1\n".write(to: ty, atomically: true, encoding: .utf8)
        try "0.2,0.2,0.2\n-0.1,0.3,0.5\n".write(to: te, atomically: true, encoding: .utf8)
        return ["train", "--activation", "tanh", "--depth", "3", "--width", "64", "--cw", "1", "--cb", "0.1", "--train", tr.path,
                "--targets", ty.path, "--test", te.path, "--networks", "200", "--steps", "200", "--learning-rate", "0.5", "--seed", "2"]
    }

    @Test func interruptAndResume() throws {
        let w = try workspace()
        let args = try Self.files(w)
        let full = w.appendingPathComponent("full.json").path, out = w.appendingPathComponent("out.json").path
        let cp = w.appendingPathComponent("cp.json").path
        #expect(try DLT.run(args + ["--output", full]).status == 0)
        let status = try DLT.interrupt(args + ["--output", out, "--checkpoint", cp, "--checkpoint-every", "0.001"], when: cp)
        #expect(status == 130 && !FileManager.default.fileExists(atPath: out))
        let resumed = try DLT.run(args + ["--output", out, "--checkpoint", cp, "--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(contentsOf: URL(fileURLWithPath: full)))
        let other = try DLT.run(args.map { $0 == "0.5" ? "0.25" : $0 } + ["--checkpoint", cp, "--resume"])
        #expect(other.status != 0 && other.stderr.contains("another run"))
    }
}

/// `dlt kernel --memory … --checkpoint`: interrupted by SIGINT between tiles (partial file and checkpoint kept, no
/// output), resumed to the bytes of an uninterrupted run; the checkpoint is removed once the output exists.
@Suite struct KernelCheckpointTests {
    /// 2000 inputs in 64 × 64 tiles (the smallest budget): 528 tiles of a GELU network, ≈ 2 s.
    static func args(_ w: URL) throws -> [String] {
        let x = try writeCSV(w, "many.csv", rows: 2000, cols: 5, digits: 6) { i, j in sin(Double(7 * i + 3 * j + 1)) }
        return ["kernel", "--activation", "gelu", "--depth", "6", "--cw", "1.5", "--cb", "0.1", "--inputs", x, "--memory", "128K"]
    }

    @Test func interruptAndResume() throws {
        let w = try workspace()
        let args = try Self.args(w)
        let full = w.appendingPathComponent("full.npz").path, out = w.appendingPathComponent("out.npz").path
        let cp = w.appendingPathComponent("k.ckpt").path
        #expect(try DLT.run(args + ["--output", full]).status == 0)
        let status = try DLT.interrupt(args + ["--output", out, "--checkpoint", cp, "--checkpoint-every", "0.001"], when: cp)
        #expect(status == 130 && !FileManager.default.fileExists(atPath: out))
        #expect(FileManager.default.fileExists(atPath: w.appendingPathComponent(".out.npz.partial").path))
        let other = try DLT.run(args.map { $0 == "1.5" ? "1.6" : $0 } + ["--output", out, "--checkpoint", cp, "--resume"])
        #expect(other.status != 0 && other.stderr.contains("another kernel computation"), "\(other.stderr)")
        let resumed = try DLT.run(args + ["--output", out, "--checkpoint", cp, "--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("computed after resuming"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(contentsOf: URL(fileURLWithPath: full)))
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.path).filter { $0.hasPrefix(".") || $0.hasSuffix(".ckpt") }.isEmpty)
        // Ctrl-C without a checkpoint: nothing at all is left.
        let plain = w.appendingPathComponent("plain.npz").path
        let plainStatus = try DLT.interrupt(args + ["--output", plain], after: 0.5)
        #expect(plainStatus == 130 || plainStatus == 0)
        let left = try FileManager.default.contentsOfDirectory(atPath: w.path)
        #expect(left.filter { $0.hasPrefix(".") }.isEmpty && left.contains("plain.npz") == (plainStatus == 0))
    }
}

/// The kernel path's bits do not depend on the BLAS thread count (the input Gram matrix is computed in fixed blocks,
/// `Matrix.reproducibleProduct`; a multi-threaded DGEMM splits by thread count and changed the last bits of 1 entry
/// in 2500 at N = 4096): in memory and out of core, 1 and 2 OpenBLAS threads write the same bytes.
@Suite struct KernelThreadTests {
    /// 600 inputs of dimension 40: large enough for OpenBLAS to thread the Gram product.
    static func args(_ w: URL) throws -> [String] {
        let x = try writeCSV(w, "wide.csv", rows: 600, cols: 40, digits: 7) { i, j in cos(Double(5 * i + 11 * j + 2)) }
        return ["kernel", "--activation", "relu", "--depth", "4", "--cw", "2", "--cb", "0.05", "--inputs", x]
    }

    @Test(arguments: [["--format", "npz"], ["--memory", "4M"]])
    func sameBytesForOneAndTwoThreads(mode: [String]) throws {
        let w = try workspace()
        let args = try Self.args(w) + mode
        let one = w.appendingPathComponent("one.npz").path, two = w.appendingPathComponent("two.npz").path
        #expect(try DLT.run(args + ["--output", one], environment: ["OPENBLAS_NUM_THREADS": "1"]).status == 0)
        #expect(try DLT.run(args + ["--output", two], environment: ["OPENBLAS_NUM_THREADS": "2"]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: one)) == Data(contentsOf: URL(fileURLWithPath: two)))
    }
}

/// `mpirun -np K dlt …` with the MPI build (DEEPTHEORY_MPI=1; `make test` builds it into .build-mpi when Open MPI is
/// installed and points DLT_MPI_BINARY at it). Rank r measures shard r/K, rank 0 sums the accumulator states (MPI_Reduce)
/// and writes the one output file.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["DLT_MPI_BINARY"] != nil, "set DLT_MPI_BINARY to the MPI build of dlt"))
struct MPITests {
    static func mpirun(_ ranks: Int, _ args: [String]) throws -> DLT.Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["mpirun", "-np", "\(ranks)", "--oversubscribe", ProcessInfo.processInfo.environment["DLT_MPI_BINARY"]!] + args
        p.environment = ProcessInfo.processInfo.environment.merging(["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
                                                                      "OMPI_MCA_btl_vader_single_copy_mechanism": "none"]) { $1 }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return DLT.Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    static func numbers(_ v: Any) -> [Double] {
        if let a = v as? [Any] { return a.flatMap(numbers) }
        if let x = v as? Double { return [x] }
        return []
    }

    /// 2 ranks: the accumulator state equals the single process's bit for bit (each of the 32 jackknife slots gets its
    /// networks from one rank, in the same order); 3 ranks: to 1e-12. Only one output file, no temporary left.
    @Test(arguments: [2, 3])
    func ensembleAcrossRanks(ranks: Int) throws {
        let w = try workspace()
        let args = ["ensemble", "--activation", "tanh", "--depth", "3", "--width", "32", "--cw", "1", "--cb", "0",
                    "--inputs", w.appendingPathComponent("X.csv").path, "--networks", "300", "--seed", "5"]
        let single = w.appendingPathComponent("single.json").path, multi = w.appendingPathComponent("mpi.json").path
        #expect(try DLT.run(args + ["--output", single]).status == 0)
        let r = try Self.mpirun(ranks, args + ["--output", multi])
        #expect(r.status == 0, "\(r.stderr)")
        let a = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: single))) as! [String: Any]
        let b = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: multi))) as! [String: Any]
        #expect(b["networks"] as? Int == 300)
        let sa = Self.numbers((a["state"] as! [String: Any])["per_network"]!), sb = Self.numbers((b["state"] as! [String: Any])["per_network"]!)
        #expect(sa.count == sb.count && sa.count > 0)
        if ranks == 2 { #expect(sa == sb, "2 ranks: the same bits") }
        #expect(zip(sa, sb).allSatisfy { abs($0 - $1) <= 1e-12 * max(1, abs($0)) })
        for key in ["nngp", "ntk_mean", "ntk_variance", "vertex"] {
            #expect(zip(Self.numbers(a[key]!), Self.numbers(b[key]!)).allSatisfy { abs($0 - $1) <= 1e-12 * max(1, abs($0)) }, "\(key)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.path).filter { $0.contains(".tmp-") }.isEmpty)
    }

    /// dlt train across 2 ranks (networks r, r + 2, …), runs gathered on rank 0: the same output bytes as one process.
    @Test func trainAcrossRanks() throws {
        let w = try workspace()
        let args = try TrainCheckpointTests.files(w)
        let one = w.appendingPathComponent("one.json").path, two = w.appendingPathComponent("two.json").path
        #expect(try DLT.run(args + ["--output", one]).status == 0)
        let r = try Self.mpirun(2, args + ["--output", two])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: one)) == Data(contentsOf: URL(fileURLWithPath: two)))
    }

    /// The transfer sweep split across 2 ranks and gathered on rank 0: the same JSON and CSV bytes as one process.
    @Test func transferAcrossRanks() throws {
        let w = try workspace()
        let one = w.appendingPathComponent("one").path, two = w.appendingPathComponent("two").path
        #expect(try DLT.run(["study", "transfer", "--quick", "--output", one]).status == 0)
        let r = try Self.mpirun(2, ["study", "transfer", "--quick", "--output", two])
        #expect(r.status == 0, "\(r.stderr)")
        for file in ["transfer.json", "transfer.csv"] {
            #expect(try Data(contentsOf: URL(fileURLWithPath: one + "/" + file)) == Data(contentsOf: URL(fileURLWithPath: two + "/" + file)), "\(file)")
        }
    }

    /// dlt kernel --memory across 2 ranks (tiles r, r + 2, … written by each rank into rank 0's file): the same bytes
    /// as one process, and no temporary file left.
    @Test func kernelAcrossRanks() throws {
        let w = try workspace()
        let args = try KernelCheckpointTests.args(w)
        let one = w.appendingPathComponent("one.npz").path, two = w.appendingPathComponent("two.npz").path
        #expect(try DLT.run(args + ["--output", one]).status == 0)
        let r = try Self.mpirun(2, args + ["--output", two])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("rank 1 of 2"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: one)) == Data(contentsOf: URL(fileURLWithPath: two)))
        // Tiles of 362 on 600 wide inputs: each tile's Gram product is large enough to be threaded.
        let wide = try KernelThreadTests.args(w) + ["--memory", "4M"]
        let (a, b) = (w.appendingPathComponent("a.npz").path, w.appendingPathComponent("b.npz").path)
        #expect(try DLT.run(wide + ["--output", a]).status == 0)
        #expect(try Self.mpirun(2, wide + ["--output", b]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: a)) == Data(contentsOf: URL(fileURLWithPath: b)))
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.path).filter { $0.hasPrefix(".") }.isEmpty)
    }
}
