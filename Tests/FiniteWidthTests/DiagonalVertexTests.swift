import Foundation
import Testing
@testable import Architecture
@testable import FiniteWidth
@testable import Gaussian
@testable import Linalg
@testable import SampledNetworks
@testable import Statistics

/// The order-1/n theory against sampled networks: excess kurtosis and the metric correction of one
/// output component. Estimator: every output component of network k is a sample of group k mod 32
/// (components of one network are dependent; the jackknife deletes whole groups of networks).
/// Tolerance: |MC − theory| < 4 SE + the 1/n² remainder bound stated per case.
@Suite struct DiagonalVertexTests {
    func monteCarlo(_ spec: NetworkSpec, x: Matrix, networks: Int, seed: UInt64) throws -> MomentAccumulator {
        let outs = try Ensemble.map(spec: spec, seed: seed, indices: Array(0..<networks)) { net in
            try net.forward(x).last!.row(0)
        }
        var acc = MomentAccumulator(channels: 1, order: 4)
        for (k, z) in outs.enumerated() { for v in z { acc.add(index: k, values: [v]) } }
        return acc
    }

    /// ReLU and linear: the 1/n theory is the first term of exact results (ReLU: E[z⁴]/E[z²]² =
    /// 3∏(1 + 5/n_ℓ); linear: 3∏(1 + 2/n_ℓ)), so the closed forms below also bound the remainder.
    @Test(arguments: [("relu", 2.0, 5.0), ("linear", 1.0, 2.0)])
    func excessKurtosisScaleInvariant(_ name: String, _ cw: Double, _ c: Double) throws {
        let n = 128, depth = 3
        let spec = try NetworkSpec(inputDimension: 4, depth: depth, width: n, outputWidth: n, activation: try Activation.parse(name), cb: 0, cw: cw)
        let x = try Matrix([[0.9, -0.3, 0.5, 1.2]])
        let theory = DiagonalFiniteWidth.compute(spec: spec, q0: x.row(0).reduce(0) { $0 + $1 * $1 } / 4)
        #expect(abs(theory.excessKurtosis.last! - 3 * c * Double(depth - 1) / Double(n)) < 1e-9)
        #expect(abs(theory.metricCorrection.last!) < 1e-9)  // zero for the scale-invariant class at C_b = 0
        let exact = 3 * (Foundation.pow(1 + c / Double(n), Double(depth - 1)) - 1)
        let acc = try monteCarlo(spec, x: x, networks: 6000, seed: 2)
        let mc = acc.normalizedCumulant(0, 4)
        let remainder = abs(exact - theory.excessKurtosis.last!)
        #expect(abs(mc.value - theory.excessKurtosis.last!) < 4 * mc.standardError + remainder,
                "\(name): MC \(mc.value) ± \(mc.standardError), 1/n theory \(theory.excessKurtosis.last!), exact \(exact)")
    }

    /// ABReLU (a₋ = −0.5, a₊ = 1) with unequal hidden widths at a large aspect ratio: the ensemble
    /// against the exact kurtosis 3(∏(1 + c/n_ℓ) − 1) (|z| < 4), and the order-1/n recursion against
    /// its first-order term 3c Σ 1/n_ℓ (1e-9).
    @Test func abreluExactKurtosisWithUnequalWidths() throws {
        let act = Activation.abrelu(negative: -0.5, positive: 1)
        let widths = [12, 20, 10, 16, 14]
        let spec = try NetworkSpec(inputDimension: 4, depth: widths.count + 1, hiddenWidths: widths, outputWidth: 48, activation: act,
                                   cb: [Double](repeating: 0, count: widths.count + 1), cw: [Double](repeating: 1.6, count: widths.count + 1))
        let c = ScaleInvariantExact.kurtosisCoefficient(negative: -0.5, positive: 1)
        #expect(abs(c - (6 * (1 + 0.0625) / (1.25 * 1.25) - 1)) < 1e-15)
        let x = try Matrix([[0.9, -0.3, 0.5, 1.2]])
        let theory = DiagonalFiniteWidth.compute(spec: spec, q0: x.row(0).reduce(0) { $0 + $1 * $1 } / 4).excessKurtosis.last!
        #expect(abs(theory - 3 * c * widths.reduce(0) { $0 + 1 / Double($1) }) < 1e-9)
        let exact = ScaleInvariantExact.excessKurtosis(spec: spec)!
        let mc = try monteCarlo(spec, x: x, networks: 6000, seed: 41).normalizedCumulant(0, 4)
        #expect(abs(mc.value - exact) < 4 * mc.standardError, "MC \(mc.value) ± \(mc.standardError) vs exact \(exact) (1/n: \(theory))")
    }

    /// Exact higher cumulants of the scale-invariant class: κ₄ agrees with the product formula, and
    /// κ₄, κ₆ of a narrow deep ABReLU network agree with the ensemble (|z| < 4; estimator as above, order 8).
    @Test func exactHigherCumulants() throws {
        let act = Activation.abrelu(negative: 0.3, positive: 1)
        let spec = try NetworkSpec(inputDimension: 4, depth: 4, width: 8, outputWidth: 32, activation: act, cb: 0, cw: 2 / 1.09)
        let exact = ScaleInvariantExact.normalizedCumulants(spec: spec)!
        #expect(abs(exact[0] - ScaleInvariantExact.excessKurtosis(spec: spec)!) < 1e-12 * exact[0])
        let x = try Matrix([[0.9, -0.3, 0.5, 1.2]])
        let outs = try Ensemble.map(spec: spec, seed: 8, indices: Array(0..<20000)) { try $0.forward(x).last!.row(0) }
        var acc = MomentAccumulator(channels: 1, order: 8)
        for (k, z) in outs.enumerated() { for v in z { acc.add(index: k, values: [v]) } }
        for (i, order) in [4, 6].enumerated() {
            let mc = acc.normalizedCumulant(0, order)
            #expect(abs(mc.value - exact[i]) < 4 * mc.standardError, "κ\(order): MC \(mc.value) ± \(mc.standardError) vs exact \(exact[i])")
        }
    }

    /// tanh at criticality: excess kurtosis and the metric correction K^{1}/n against the ensemble.
    @Test func tanhKurtosisAndMetricCorrection() throws {
        let n = 64, depth = 4
        let spec = try NetworkSpec(inputDimension: 4, depth: depth, width: n, outputWidth: n, activation: .tanh, cb: 0, cw: 1)
        let x = try Matrix([[1.5, -0.8, 1.1, 2.0]])
        let q0 = x.row(0).reduce(0) { $0 + $1 * $1 } / 4
        let theory = DiagonalFiniteWidth.compute(spec: spec, q0: q0)
        let acc = try monteCarlo(spec, x: x, networks: 6000, seed: 3)
        let kurt = acc.normalizedCumulant(0, 4)
        // Remainder bound: O(1/n²) taken as (the 1/n term)² — stated, not fitted.
        let tk = theory.excessKurtosis.last!
        #expect(abs(kurt.value - tk) < 4 * kurt.standardError + tk * tk, "MC \(kurt.value) ± \(kurt.standardError) vs \(tk)")
        let second = acc.estimate(0) { $0[2] }
        let predicted = theory.kernel.last! + theory.metricCorrection.last! / Double(n)
        let correction = theory.metricCorrection.last! / Double(n)
        #expect(abs(second.value - predicted) < 4 * second.standardError + correction * correction / theory.kernel.last!,
                "E[z²]: MC \(second.value) ± \(second.standardError), theory K + K¹/n = \(predicted) (K = \(theory.kernel.last!))")
    }
}
