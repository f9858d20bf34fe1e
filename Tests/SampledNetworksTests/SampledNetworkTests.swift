import Foundation
import Testing
@testable import Architecture
@testable import Gaussian
@testable import InfiniteWidth
@testable import Linalg
@testable import SampledNetworks

/// Monte-Carlo estimate of E[z_i(x_δ₁) z_i(x_δ₂)] of the output layer over `m` networks. Estimator:
/// each network contributes the mean over its output components s_k (components of one network are
/// not independent); the estimate is mean_k s_k with standard error sd_k(s_k)/√m.
func outputKernel(spec: NetworkSpec, x: Matrix, networks m: Int, seed: UInt64) throws -> (mean: Matrix, se: Matrix) {
    let n = x.rows
    var sum = Matrix(rows: n, cols: n), sumSq = Matrix(rows: n, cols: n)
    for k in 0..<m {
        let z = try SampledNetwork(spec: spec, seed: seed, index: k).forward(x).last!
        let s = (1.0 / Double(z.cols)) * z.gram()
        sum = sum + s
        for e in 0..<s.storage.count { sumSq.storage[e] += s.storage[e] * s.storage[e] }
    }
    let mean = (1.0 / Double(m)) * sum
    var se = Matrix(rows: n, cols: n)
    for e in 0..<se.storage.count {
        let variance = (sumSq.storage[e] / Double(m) - mean.storage[e] * mean.storage[e]) * Double(m) / Double(m - 1)
        se.storage[e] = (max(variance, 0) / Double(m)).squareRoot()
    }
    return (mean, se)
}

func testInputs() -> Matrix {
    try! Matrix([[1.0, -0.5, 0.3], [0.2, 0.9, -1.1], [-0.7, 0.4, 0.8]])
}

@Suite struct SampledNetworkTests {
    /// One hidden layer: z^(1) is exactly Gaussian at any width, so E[z^(2) z^(2)] equals the
    /// infinite-width K^(2) exactly. Fixed seed; every entry within |z| < 4 of the theory.
    @Test(arguments: ["relu", "tanh", "erf"])
    func oneHiddenLayerKernelIsExact(_ name: String) throws {
        let spec = try NetworkSpec(inputDimension: 3, depth: 2, width: 16, outputWidth: 4,
                                   activation: try Activation.parse(name), cb: 0.1, cw: 1.7)
        try expectKernelMatchesTheory(spec, networks: 4000, seed: 11, name)
    }

    /// Deep linear networks: the second moment is exactly the infinite-width kernel at any width
    /// (PDLT ch. 3): K^(L) = C_b Σ… with σ(z) = z the recursion is linear.
    @Test func deepLinearSecondMomentIsExact() throws {
        let spec = try NetworkSpec(inputDimension: 3, depth: 4, width: 5, outputWidth: 2, activation: .linear, cb: 0.2, cw: 1.1)
        try expectKernelMatchesTheory(spec, networks: 6000, seed: 5, "linear")
    }

    /// Every entry of the Monte-Carlo output kernel within |z| < 4 of the infinite-width kernel.
    func expectKernelMatchesTheory(_ spec: NetworkSpec, networks: Int, seed: UInt64, _ name: String) throws {
        let x = testInputs()
        let theory = try InfiniteWidth.kernels(spec: spec, x1: x).output.nngp
        let mc = try outputKernel(spec: spec, x: x, networks: networks, seed: seed)
        for e in 0..<theory.storage.count {
            let z = (mc.mean.storage[e] - theory.storage[e]) / mc.se.storage[e]
            #expect(abs(z) < 4, "\(name) entry \(e): MC \(mc.mean.storage[e]) ± \(mc.se.storage[e]) vs \(theory.storage[e])")
        }
    }

    /// Network k is the same bits whether drawn alone or among others, on any thread.
    @Test func networksAreReproducibleBitForBit() throws {
        let spec = try NetworkSpec(inputDimension: 3, depth: 3, width: 8, activation: .relu, cb: 0, cw: 2)
        let a = SampledNetwork(spec: spec, seed: 9, index: 17)
        let box = Box()
        DispatchQueue.concurrentPerform(iterations: 4) { i in
            if i == 2 { box.set(SampledNetwork(spec: spec, seed: 9, index: 17)) }
        }
        let b = box.get()!
        for (la, lb) in zip(a.layers, b.layers) {
            #expect(la.weights.storage == lb.weights.storage && la.biases == lb.biases)
        }
        #expect(SampledNetwork(spec: spec, seed: 9, index: 18).layers[0].weights != a.layers[0].weights)
    }
}

final class Box: @unchecked Sendable {
    private var value: SampledNetwork?
    private let lock = NSLock()
    func set(_ v: SampledNetwork) { lock.lock(); value = v; lock.unlock() }
    func get() -> SampledNetwork? { lock.lock(); defer { lock.unlock() }; return value }
}

@Suite struct BackwardTests {
    /// Input gradients and parameter gradients against central finite differences.
    @Test func gradientsMatchFiniteDifferences() throws {
        let spec = try NetworkSpec(inputDimension: 3, depth: 3, width: 7, outputWidth: 2, activation: .tanh, cb: 0.2, cw: 1.3)
        let net = SampledNetwork(spec: spec, seed: 3, index: 0)
        let x = testInputs()
        let g = try net.inputGradient(x, component: 1)
        let h = 1e-6
        for i in 0..<x.rows { for c in 0..<x.cols {
            var xp = x, xm = x
            xp[i, c] += h; xm[i, c] -= h
            let fd = (try net.forward(xp).last![i, 1] - net.forward(xm).last![i, 1]) / (2 * h)
            #expect(abs(fd - g[i, c]) < 1e-8, "∂z/∂x[\(i),\(c)]: \(fd) vs \(g[i, c])")
        } }
        // The empirical NTK's diagonal is Σ_μ λ_μ (∂z/∂θ_μ)²: rebuild it from finite differences.
        var sum = 0.0
        for (l, layer) in net.layers.enumerated() {
            let lw = spec.lambdaW[l] / Double(spec.width(ofLayer: l)), lb = spec.lambdaB[l]
            for k in 0..<layer.weights.storage.count + layer.biases.count {
                var p = net, m = net
                if k < layer.weights.storage.count { p.layers[l].weights.storage[k] += h; m.layers[l].weights.storage[k] -= h }
                else { p.layers[l].biases[k - layer.weights.storage.count] += h; m.layers[l].biases[k - layer.weights.storage.count] -= h }
                let d = (try p.forward(x).last![0, 0] - m.forward(x).last![0, 0]) / (2 * h)
                sum += (k < layer.weights.storage.count ? lw : lb) * d * d
            }
        }
        let ntk = try net.empiricalNTK(x, component: 0)
        #expect(abs(ntk[0, 0] - sum) < 1e-7 * sum, "\(ntk[0, 0]) vs \(sum)")
    }

    /// Depth 2: E[Ĥ] equals the infinite-width Θ^(2) exactly at any width (the first layer's W² is
    /// independent of z^(1)); Monte Carlo over 3000 networks, |z| < 4 per entry (estimator as above).
    @Test func oneHiddenLayerNTKMeanIsExact() throws {
        let spec = try NetworkSpec(inputDimension: 3, depth: 2, width: 12, activation: .relu, cb: 0.1, cw: 1.8,
                                   lambdaB: 0.3, lambdaW: 1.2)
        let x = testInputs()
        let theory = try InfiniteWidth.kernels(spec: spec, x1: x).output.ntk
        let m = 3000
        var sum = Matrix(rows: 3, cols: 3), sumSq = Matrix(rows: 3, cols: 3)
        for k in 0..<m {
            let h = try SampledNetwork(spec: spec, seed: 21, index: k).empiricalNTK(x)
            sum = sum + h
            for e in 0..<9 { sumSq.storage[e] += h.storage[e] * h.storage[e] }
        }
        for e in 0..<9 {
            let mean = sum.storage[e] / Double(m)
            let se = ((sumSq.storage[e] / Double(m) - mean * mean) / Double(m - 1)).squareRoot()
            #expect(abs(mean - theory.storage[e]) < 4 * se, "entry \(e): \(mean) ± \(se) vs \(theory.storage[e])")
        }
    }
}
