import DeepTheory
import Dispatch
import Foundation

// `make bench`: timings of the hot paths, with ratios against baselines measured in the same run.
// Usage: dlt-bench [--quick]            kernels (N = 1024, 4096; --quick: 256, 1024)
//        dlt-bench --profile            first layer vs later layers at N = 4096
//        dlt-bench --mem                allocation, symmetrization and Gram costs at N = 4096
//        dlt-bench --quad               cost of one tanh pair moment by quadrature
//        dlt-bench --write-inputs N F   write the benchmark's N × 64 inputs to F (.npy)

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let t0 = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
}

func best(of n: Int, _ body: () throws -> Void) rethrows -> Double {
    var b = Double.infinity
    for _ in 0..<n { b = min(b, try seconds(body)) }
    return b
}

/// Deterministic inputs (a splitmix64 stream mapped to uniform(−√3, √3): unit variance).
func inputs(_ n: Int, _ d: Int, seed: UInt64) -> Matrix {
    var state = seed
    var m = Matrix(rows: n, cols: d)
    for k in 0..<(n * d) {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        z ^= z >> 31
        m.storage[k] = (Double(z >> 11) / Double(1 << 53) * 2 - 1) * 3.0.squareRoot()
    }
    return m
}

let args = Array(CommandLine.arguments.dropFirst())
if let i = args.firstIndex(of: "--write-inputs") {
    guard i + 2 < args.count, let n = Int(args[i + 1]), n > 0 else {
        FileHandle.standardError.write(Data("usage: dlt-bench --write-inputs N FILE.npy\n".utf8)); exit(2)
    }
    try AtomicFile.write(args[i + 2], data: NPY.encode(inputs(n, 64, seed: UInt64(n))))
    exit(0)
}
let quick = args.contains("--quick")
let sizes = quick ? [256, 1024] : [1024, 4096]
let depth = 10
let spec = try NetworkSpec(depth: depth, activation: .relu, cb: 0, cw: 2)
print("DeepTheory benchmarks (\(ProcessInfo.processInfo.activeProcessorCount) cores)")
print("ReLU MLP, L = \(depth), n0 = 64, NNGP + NTK, float64")
for n in sizes {
    let x = inputs(n, 64, seed: UInt64(n))
    let t = try best(of: 3) { _ = try InfiniteWidth.kernels(spec: spec, x1: x) }
    let entryLayers = Double(n) * Double(n) * Double(depth)
    // Baseline in the same run: one DGEMM of the same inputs (the Gram matrix, layer 1 only).
    let g = best(of: 3) { _ = x.gram() }
    print(String(format: "  N = %5d  in-process %.3f s  %.3g entries·layers/s  (Gram DGEMM alone %.4f s, ratio %.1f)",
                 n, t, entryLayers / t, g, t / g))
}
if args.contains("--profile") {
    let x = inputs(4096, 64, seed: 5)
    for d in [1, 2, 10] {
        let s = try NetworkSpec(depth: d, activation: .relu, cb: 0, cw: 2)
        let t = try best(of: 2) { _ = try InfiniteWidth.kernels(spec: s, x1: x) }
        print("  profile N=4096 depth \(d): \(t) s")
    }
}
if args.contains("--mem") {
    let n = 4096
    var a: [Double] = []
    print("  alloc+zero 134MB:", seconds { a = [Double](repeating: 0, count: n * n) })
    print("  write pass:", seconds { a.withUnsafeMutableBufferPointer { p in for k in 0..<p.count { p[k] = Double(k) } } })
    print("  write pass again:", seconds { a.withUnsafeMutableBufferPointer { p in for k in 0..<p.count { p[k] += 1 } } })
    var m = try Matrix(rows: n, cols: n, storage: a)
    print("  symmetrize:", seconds { m.symmetrizeFromUpper() })
    let x = inputs(n, 64, seed: 1)
    print("  gram upper:", seconds { _ = x.gram(upperOnly: true) })
}
if args.contains("--quad") {
    let act = Activation.tanh
    var r = Gaussian.expectation({ $0 }, variance: 1)
    let t = seconds { for _ in 0..<20 { r = Gaussian.expectation({ Foundation.tanh($0) }, { Foundation.tanh($0) }, k11: 1, k22: 1.2, deficit: 0.3) } } / 20
    print("  tanh pair ⟨σσ⟩: \(t * 1e3) ms, \(r.evaluations) evaluations, error estimate \(r.errorEstimate)")
    let t2 = seconds { for _ in 0..<20 { _ = act.pairMoments(k11: 1, k22: 1.2, deficit: 0.3) } } / 20
    print("  tanh pairMoments: \(t2 * 1e3) ms")
}
