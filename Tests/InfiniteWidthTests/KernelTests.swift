import Foundation
import Testing
@testable import Architecture
@testable import Gaussian
@testable import InfiniteWidth
@testable import Linalg

/// A plain reference: the same recursion on K₁₂ directly (no deficit), each entry by quadrature.
func referenceKernels(spec: NetworkSpec, x: Matrix) -> (Matrix, Matrix) {
    let n = x.rows, n0 = Double(x.cols)
    var k = Matrix(rows: n, cols: n), t = Matrix(rows: n, cols: n)
    for i in 0..<n { for j in 0..<n {
        let g = (0..<x.cols).reduce(0.0) { $0 + x[i, $1] * x[j, $1] } / n0
        k[i, j] = spec.cb[0] + spec.cw[0] * g
        t[i, j] = spec.lambdaB[0] + spec.lambdaW[0] * g
    } }
    if spec.depth == 1 { return (k, t) }
    for l in 2...spec.depth {
        var k2 = k, t2 = t
        for i in 0..<n { for j in 0..<n {
            let s = (k[i, i] * k[j, j]).squareRoot()
            let pm = i == j ? spec.activation.quadraturePairMoments(k11: k[i, i], k22: k[i, i], deficit: 0)
                : spec.activation.quadraturePairMoments(k11: k[i, i], k22: k[j, j], deficit: s - k[i, j])
            k2[i, j] = spec.cb[l - 1] + spec.cw[l - 1] * pm.sigmaSigma
            t2[i, j] = spec.lambdaB[l - 1] + spec.lambdaW[l - 1] * pm.sigmaSigma + spec.cw[l - 1] * pm.derivDeriv * t[i, j]
        } }
        k = k2; t = t2
    }
    return (k, t)
}

func sampleInputs(_ n: Int, _ d: Int, seed: UInt64 = 7) -> Matrix {
    var state = seed
    func next() -> Double {  // splitmix64 → uniform(−1, 1); fixed test data, not a model RNG
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53) * 2 - 1
    }
    var m = Matrix(rows: n, cols: d)
    for k in 0..<(n * d) { m.storage[k] = next() * 1.5 }
    return m
}

@Suite struct InfiniteWidthKernelTests {
    @Test(arguments: ["relu", "tanh", "erf", "gelu", "swish", "abrelu:-0.5:1.5", "sin"])
    func matchesPlainQuadratureRecursion(_ name: String) throws {
        let act = try Activation.parse(name)
        let spec = try NetworkSpec(depth: 4, activation: act, cb: 0.1, cw: 1.5, lambdaB: 0.3, lambdaW: 0.8)
        let x = sampleInputs(4, 3)
        let got = try InfiniteWidth.kernels(spec: spec, x1: x).output
        let (k, t) = referenceKernels(spec: spec, x: x)
        #expect(got.nngp.relativeDistance(to: k) < 1e-10, "\(name) NNGP \(got.nngp.relativeDistance(to: k))")
        #expect(got.ntk.relativeDistance(to: t) < 1e-10, "\(name) NTK \(got.ntk.relativeDistance(to: t))")
    }

    @Test func kernelsAreSymmetricAndPositiveSemidefinite() throws {
        for name in ["relu", "tanh", "erf", "step", "cos"] {
            let spec = try NetworkSpec(depth: 5, activation: try Activation.parse(name), cb: 0.05, cw: 1.8)
            let x = sampleInputs(12, 5, seed: 3)
            let all = try InfiniteWidth.kernels(spec: spec, x1: x, keepLayers: Set(1...5))
            for layer in all.layers {
                for m in [layer.nngp, layer.ntk] {
                    #expect(m.asymmetry == 0)
                    #expect(try m.smallestEigenvalue() > -1e-12 * m.maxAbs, "\(name)")
                }
            }
        }
    }

    @Test func crossKernelEqualsBlockOfJointKernel() throws {
        let spec = try NetworkSpec(depth: 3, activation: .gelu, cb: 0.2, cw: 1.4)
        let x1 = sampleInputs(5, 4, seed: 1), x2 = sampleInputs(3, 4, seed: 2)
        let joint = try Matrix(x1.rowArrays + x2.rowArrays)
        let full = try InfiniteWidth.kernels(spec: spec, x1: joint).output
        let cross = try InfiniteWidth.kernels(spec: spec, x1: x1, x2: x2).output
        for i in 0..<5 { for j in 0..<3 {
            #expect(abs(cross.nngp[i, j] - full.nngp[i, 5 + j]) < 1e-13 * full.nngp.maxAbs)
            #expect(abs(cross.ntk[i, j] - full.ntk[i, 5 + j]) < 1e-13 * full.ntk.maxAbs)
        } }
    }

    @Test func reluAtCriticalityKeepsTheDiagonalConstant() throws {
        let spec = try NetworkSpec(depth: 30, activation: .relu, cb: 0, cw: 2)
        let x = sampleInputs(6, 8)
        let all = try InfiniteWidth.kernels(spec: spec, x1: x, keepLayers: Set(1...30))
        let k1 = all.layers[0].nngp.diagonal
        for layer in all.layers {
            for (a, b) in zip(layer.nngp.diagonal, k1) { #expect(abs(a - b) <= 1e-14 * b) }
        }
        // The NTK grows linearly: Θ^(ℓ)_δδ = ℓ K_δδ when λ_W = C_W = 2, λ_b = C_b = 0.
        for (idx, layer) in zip(all.layerIndices, all.layers) {
            for (a, b) in zip(layer.ntk.diagonal, k1) { #expect(abs(a - Double(idx) * b) <= 1e-13 * a) }
        }
    }

    /// Deep ReLU with nearly identical inputs: against the textbook recursion in 80-bit precision.
    @Test func deepNetworksStayAccurateNearCorrelationOne() throws {
        let depth = 60
        for cb in [0.0, 0.1] {
            let spec = try NetworkSpec(depth: depth, activation: .relu, cb: cb, cw: 2)
            var x = sampleInputs(2, 4)
            for c in 0..<4 { x[1, c] = x[0, c] * (1 + 1e-7 * Double(c + 1)) }
            let got = try InfiniteWidth.kernels(spec: spec, x1: x).output
            // Float80 reference with acos on the correlation.
            var k11 = Float80(0), k22 = Float80(0), k12 = Float80(0)
            for c in 0..<4 { k11 += Float80(x[0, c]) * Float80(x[0, c]); k22 += Float80(x[1, c]) * Float80(x[1, c]); k12 += Float80(x[0, c]) * Float80(x[1, c]) }
            k11 = Float80(cb) + 2 * k11 / 4; k22 = Float80(cb) + 2 * k22 / 4; k12 = Float80(cb) + 2 * k12 / 4
            var t11 = k11, t22 = k22, t12 = k12
            for _ in 2...depth {
                let s = (k11 * k22).squareRoot()
                let rho = min(k12 / s, 1)
                let th = Float80(Foundation.acos(Double(rho)))  // refined below
                let theta = refineAcos(rho, th)
                let ss = s / (2 * Float80.pi) * (sinl(theta) + (Float80.pi - theta) * cosl(theta))
                let dd = (Float80.pi - theta) / (2 * Float80.pi)
                t12 = Float80(cb) + 2 * ss + 2 * dd * t12
                t11 = Float80(cb) + k11 + t11; t22 = Float80(cb) + k22 + t22
                k12 = Float80(cb) + 2 * ss; k11 = Float80(cb) + k11; k22 = Float80(cb) + k22
            }
            #expect(abs(got.nngp[0, 1] - Double(k12)) < 1e-13 * Double(k12), "cb \(cb): \(got.nngp[0, 1]) vs \(Double(k12))")
            #expect(abs(got.ntk[0, 1] - Double(t12)) < 1e-11 * Double(t12), "cb \(cb): \(got.ntk[0, 1]) vs \(Double(t12))")
            #expect(abs(got.ntk[1, 1] - Double(t22)) < 1e-13 * Double(t22))
        }
    }

    @Test func badInputsAreRejected() throws {
        let spec = try NetworkSpec(inputDimension: 3, depth: 2, activation: .relu, cb: 0, cw: 2)
        #expect(throws: KernelError.inputDimensionMismatch(expected: 3, got: 4, which: "the inputs")) {
            try InfiniteWidth.kernels(spec: spec, x1: sampleInputs(2, 4))
        }
        var nan = sampleInputs(2, 3); nan[1, 1] = .nan
        #expect(throws: KernelError.nonFinite("the inputs")) { try InfiniteWidth.kernels(spec: spec, x1: nan) }
        #expect(throws: SpecError.self) { try NetworkSpec(depth: 0, activation: .relu, cb: 0, cw: 2) }
        #expect(throws: SpecError.self) { try NetworkSpec(depth: 2, activation: .relu, cb: 0, cw: -1) }
        #expect(throws: SpecError.self) { try NetworkSpec(depth: 2, activation: .relu, cb: -0.1, cw: 1) }
    }

    @Test func specJSONRoundTrips() throws {
        let spec = try NetworkSpec(inputDimension: 7, depth: 3, hiddenWidths: [64, 32], outputWidth: 2,
                                   activation: .abrelu(negative: -0.5, positive: 1.5), cb: [0.1, 0.2, 0.3], cw: [1.5],
                                   lambdaB: [0], lambdaW: [1, 2, 3], parameterization: .standard)
        let back = try NetworkSpec.fromJSON(try spec.toJSON())
        #expect(back == spec)
        #expect(spec.parameterCount == 64 * 8 + 32 * 65 + 2 * 33, "Σ n_ℓ (n_{ℓ−1} + 1)")
        #expect(try NetworkSpec(inputDimension: 3, depth: 4, width: 1 << 40, activation: .relu, cb: 0, cw: 2).parameterCount == Int.max)
        #expect(throws: SpecError.self) { try NetworkSpec.fromJSON(Data(#"{"depth": 1000001, "activation": "relu", "cb": 0, "cw": 2}"#.utf8)) }
        let text = #"{"depth": 2, "activation": "tanh", "cb": 0, "cw": 1}"#
        let parsed = try NetworkSpec.fromJSON(Data(text.utf8))
        #expect(parsed.lambdaW == [1, 1] && parsed.hiddenWidths == [NetworkSpec.defaultWidth])
        #expect(throws: SpecError.self) { try NetworkSpec.fromJSON(Data(#"{"depth": 2, "activation": "nope", "cb": 0, "cw": 1}"#.utf8)) }
        #expect(throws: SpecError.self) { try NetworkSpec.fromJSON(Data(#"{"depth": 2, "activation": "relu", "cb": 0"#.utf8)) }
    }
}

/// Newton steps on cos θ = ρ in 80-bit precision.
func refineAcos(_ rho: Float80, _ theta0: Float80) -> Float80 {
    var t = theta0
    for _ in 0..<3 { let s = sinl(t); if s != 0 { t += (cosl(t) - rho) / s } }
    return t
}
