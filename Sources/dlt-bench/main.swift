import DeepTheory
@testable import Sampling
import Dispatch
import Foundation

// `make bench`: timings of the hot paths, with ratios against baselines measured in the same run.
// Usage: dlt-bench [--quick]            kernels (N = 1024, 4096; --quick: 256, 1024)
//        dlt-bench --profile            first layer vs later layers at N = 4096
//        dlt-bench --mem                allocation, symmetrization and Gram costs at N = 4096
//        dlt-bench --quad               cost of one tanh pair moment by quadrature
//        dlt-bench --profile-ensemble   sampling, forward, backward and one GEMM of a width-256 network; 1 vs all cores
//        dlt-bench --profile-differential  per-network cost of the dNTK/ddNTK contractions and the Hessian norm
//        dlt-bench --profile-normals    cost of the counter-based normals: Philox blocks vs the Box–Muller transform
//        dlt-bench --write-inputs N F   write the benchmark's N × 64 inputs to F (.npy)
//        dlt-bench --write-targets N F  write N × 3 targets (sin of the inputs' first features) to F (.npy)

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
if let i = args.firstIndex(of: "--write-targets") {
    guard i + 2 < args.count, let n = Int(args[i + 1]), n > 0 else {
        FileHandle.standardError.write(Data("usage: dlt-bench --write-targets N FILE.npy\n".utf8)); exit(2)
    }
    let x = inputs(n, 64, seed: UInt64(n))
    var y = Matrix(rows: n, cols: 3)
    for r in 0..<n { for c in 0..<3 { y[r, c] = Foundation.sin(x[r, c] + x[r, c + 3]) } }
    try AtomicFile.write(args[i + 2], data: NPY.encode(y))
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

// Sampled networks: ensemble forward + backward throughput against the DGEMM peak measured now.
if !args.contains("--kernels-only") && !args.contains("--write-inputs") {
    func gemmRate(threads: Int) -> Double {
        BLAS.setThreads(threads)
        let n = 1024
        let a = inputs(n, n, seed: 1), b = inputs(n, n, seed: 2)
        let t = (try? best(of: 3) { _ = try Matrix.product(a, b) }) ?? .nan
        BLAS.setThreads(ProcessInfo.processInfo.activeProcessorCount)
        return 2 * Double(n * n * n) / t / 1e9
    }
    let peak1 = gemmRate(threads: 1), peak = gemmRate(threads: ProcessInfo.processInfo.activeProcessorCount)
    print(String(format: "DGEMM peak (1024³, measured now): %.1f GFLOP/s on 1 core, %.1f on all cores", peak1, peak))
    print("Ensemble forward + backward (one output component), L = 4, networks on all cores:")
    for (width, n) in quick ? [(256, 256)] : [(256, 256), (256, 1024), (512, 1024)] {
        let spec = try NetworkSpec(inputDimension: 64, depth: 4, width: width, activation: .relu, cb: 0, cw: 2)
        let x = inputs(n, 64, seed: 3)
        let m = quick ? 8 : 32
        // GEMM flops per network: forward 2·N·n_in·n_out per layer; backward δ·W for layers 2…L.
        let fwd = 2.0 * Double(n) * Double(64 * width + (spec.depth - 2) * width * width + width)
        let bwd = 2.0 * Double(n) * Double((spec.depth - 2) * width * width + width)
        let sampleOnly = try best(of: 2) { _ = try Ensemble.map(spec: spec, seed: 1, indices: Array(0..<m)) { $0.layers.count } }
        let t = try best(of: 2) { _ = try Ensemble.map(spec: spec, seed: 1, indices: Array(0..<m)) { try $0.backward(x, component: 0).errors.count } }
        let rate = Double(m) * (fwd + bwd) / t / 1e9
        print(String(format: "  width %d, N = %d: %.1f networks/s (%d networks in %.3f s; sampling their parameters alone %.3f s); %.1f GFLOP/s of GEMM work overall = %.0f%% of the DGEMM peak",
                     width, n, Double(m) / t, m, t, sampleOnly, rate, 100 * rate / peak))
    }
    // Ensemble training: full-batch GD steps (forward + backward + update) on all cores.
    do {
        let width = 256, n = 1024, m = quick ? 4 : 8, steps = quick ? 5 : 10
        let spec = try NetworkSpec(inputDimension: 64, depth: 4, width: width, outputWidth: 1, activation: .relu, cb: 0, cw: 2)
        let x = inputs(n, 64, seed: 5), test = inputs(16, 64, seed: 6)
        let y = try Matrix(rows: n, cols: 1, storage: (0..<n).map { Foundation.sin(x[$0, 0]) })
        let fwd = 2.0 * Double(n) * Double(64 * width + (spec.depth - 2) * width * width + width)
        let bwd = 2.0 * Double(n) * Double((spec.depth - 2) * width * width + width)
        let grad = 2.0 * Double(n) * Double(64 * width + (spec.depth - 2) * width * width + width)  // eᵀa per layer
        let t = try best(of: 2) {
            _ = try Ensemble.map(spec: spec, seed: 1, indices: Array(0..<m)) { net in
                try net.train(x: x, y: y, test: test, steps: steps, learningRate: 0.1, model: .network, measureNTK: false).trainLoss.count
            }
        }
        // Each step is one forward, one backward and the weight gradients (the NTK before and after is
        // not measured here); the final test pass is counted as overhead, not as work.
        let rate = Double(m * steps) * (fwd + bwd + grad) / t / 1e9
        print(String(format: "Ensemble training, width %d, L = 4, N = %d: %.1f network-steps/s (%d networks × %d steps in %.3f s); %.1f GFLOP/s of step GEMM work = %.0f%% of the DGEMM peak",
                     width, n, Double(m * steps) / t, m, steps, t, rate, 100 * rate / peak))
    }
    let spec = try NetworkSpec(inputDimension: 64, depth: 4, width: 512, activation: .relu, cb: 0, cw: 2)
    let x = inputs(256, 64, seed: 4)
    let net = SampledNetwork(spec: spec, seed: 1, index: 0)
    let t = try best(of: 3) { _ = try net.empiricalNTK(x) }
    print(String(format: "Empirical NTK, width 512, L = 4, N = 256 (one network, one output component): %.4f s", t))
}
if args.contains("--profile-ensemble") {
    BLAS.setThreads(1)
    let spec = try NetworkSpec(inputDimension: 64, depth: 4, width: 256, activation: .relu, cb: 0, cw: 2)
    let x = inputs(1024, 64, seed: 3)
    let net = SampledNetwork(spec: spec, seed: 1, index: 0)
    print("  sample:", try best(of: 3) { _ = SampledNetwork(spec: spec, seed: 1, index: 0) })
    print("  forward:", try best(of: 3) { _ = try net.forward(x) })
    print("  backward:", try best(of: 3) { _ = try net.backward(x, component: 0) })
    let a = inputs(1024, 256, seed: 1), w = inputs(256, 256, seed: 2)
    print("  one GEMM 1024×256×256:", try best(of: 3) { _ = try Matrix.product(a, w, transposeB: true) })
    var y = a
    print("  relu elementwise:", best(of: 3) { y.storage.withUnsafeMutableBufferPointer { Activation.relu.applyInPlace($0) } })
}
if args.contains("--profile-ensemble") {
    let spec = try NetworkSpec(inputDimension: 64, depth: 4, width: 256, activation: .relu, cb: 0, cw: 2)
    let x = inputs(1024, 64, seed: 3)
    BLAS.setThreads(1)
    let seq = try seconds { for k in 0..<16 { _ = try SampledNetwork(spec: spec, seed: 1, index: k).backward(x, component: 0) } }
    let par = try seconds { _ = try Ensemble.map(spec: spec, seed: 1, indices: Array(0..<16)) { try $0.backward(x, component: 0).errors.count } }
    print("  16 networks sequential (1 thread): \(seq) s; Ensemble.map on all cores: \(par) s")
}
if args.contains("--profile-differential") {
    BLAS.setThreads(1)
    for (act, cw, width) in [(Activation.tanh, 1.0, 32), (.relu, 2.0, 32), (.relu, 2.0, 128)] {
        let spec = try NetworkSpec(inputDimension: 4, depth: 3, width: width, outputWidth: 4, activation: act, cb: 0, cw: cw)
        let x = inputs(2, 4, seed: 3)
        let net = SampledNetwork(spec: spec, seed: 1, index: 0)
        let tn = try best(of: 5) { _ = try net.empiricalNTK(x) }
        let td = try best(of: 5) { _ = try net.differentialNTK(x, input: 0) }
        var its = 0
        let th = try best(of: 3) { its = try net.hessianNorm(x, input: 0, seed: 1).iterations }
        print(String(format: "  %@ width %d L 3: empirical NTK (2 inputs) %.2e s, dNTK+ddNTK one input %.2e s, Hessian norm %.2e s (%d iterations)",
                     act.name, width, tn, td, th, its))
    }
}
if args.contains("--profile-normals") {
    let g = Philox4x32(seed: 1, stream: 2)
    var buf = [Double](repeating: 0, count: 1 << 20)
    let tFill = best(of: 3) { buf.withUnsafeMutableBufferPointer { g.fillNormals($0) } }
    var sink: UInt32 = 0
    let tBlocks = best(of: 3) { for i in 0..<(1 << 19) { let b = g.block(UInt32(i), 0, 0, 0); sink ^= b.0 ^ b.2 } }
    var sink4: UInt64 = 0
    let tBlocks4 = best(of: 3) { for i in stride(from: 0, to: 1 << 19, by: 4) { let b = g.blocks4(UInt64(i)); sink4 ^= b.0[0] ^ b.2[3] } }
    print(String(format: "  2^20 normals: %.2f ns each; Philox blocks alone %.2f ns per normal (4 lanes: %.2f) (sink %u %llu)",
                 tFill / Double(1 << 20) * 1e9, tBlocks / Double(1 << 20) * 1e9, tBlocks4 / Double(1 << 20) * 1e9, sink, sink4))
}
