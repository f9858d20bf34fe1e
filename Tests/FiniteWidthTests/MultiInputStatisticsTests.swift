import Foundation
import Testing
@testable import Architecture
@testable import FiniteWidth
@testable import Gaussian
@testable import Linalg

/// The N-input order-1/n statistics (docs/derivations/multi-input.md): on two rows every field is the
/// two-input theory's; on three rows the values of bench/nt/check_multi_input.py (its numpy recursion, whose
/// four-distinct-input components agree with an exact-autodiff Monte Carlo, max |z| 3.6 for tanh and 3.2 for
/// ReLU after extrapolation in the width).
@Suite struct MultiInputStatisticsTests {
    let x3 = try! Matrix([[1, 0, 0], [0.3, 0.8, 0], [-0.2, 0.5, 0.6]])

    @Test(arguments: ["tanh", "relu"])
    func twoRowsAreTheTwoInputTheory(_ name: String) throws {
        let spec = try NetworkSpec(inputDimension: 3, depth: 3, width: 64, outputWidth: 1, activation: try Activation.parse(name),
                                   cb: 0.1, cw: name == "relu" ? 2 : 1.2, lambdaB: 0.5, lambdaW: 2)
        let x = try Matrix([x3.row(0), x3.row(2)])
        let multi = try MultiInputStatistics.compute(spec: spec, x: x)
        let two = try TwoInputDifferentialNTK.compute(spec: spec, x: x)
        let ntk = try TwoInputNTK.compute(spec: spec, x: x), cov = try TwoInputNTKVariance.compute(spec: spec, x: x)
        func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-11 * max(1, abs(b)) }
        let pairs = [(0, 0), (0, 1), (1, 1)]
        for a in 0..<2 { for b in 0..<2 { for c in 0..<2 { for d in 0..<2 {
            for (m, t) in [(multi.p, two.p), (multi.q, two.q), (multi.r, two.r), (multi.s, two.s), (multi.t, two.t), (multi.u, two.u)] {
                #expect(close(m[a, b, c, d], t[a][b][c][d]), "\(name) [\(a)\(b)\(c)\(d)]: \(m[a, b, c, d]) vs \(t[a][b][c][d])")
            }
        } } } }
        for (i, (a, b)) in pairs.enumerated() {
            #expect(close(multi.ntk[a][b], ntk.ntk[i]) && close(multi.ntkCorrection[a][b], ntk.ntkCorrection[i]))
            for (j, (c, d)) in pairs.enumerated() { #expect(close(multi.ntkCovariance[a, b, c, d], cov[i][j])) }
        }
    }

    @Test func threeRowsReferenceValues() throws {
        let a = try NetworkSpec(inputDimension: 3, depth: 3, width: 64, outputWidth: 1, activation: .tanh, cb: 0, cw: 1, lambdaB: 0.5, lambdaW: 2)
        let b = try NetworkSpec(inputDimension: 3, depth: 3, width: 64, outputWidth: 1, activation: .relu, cb: 0.1, cw: 2, lambdaB: 1, lambdaW: 1)
        let ra = try MultiInputStatistics.compute(spec: a, x: x3), rb = try MultiInputStatistics.compute(spec: b, x: x3)
        let idx = [(0, 1, 2, 0), (2, 0, 1, 1), (1, 2, 0, 2), (0, 0, 1, 2), (2, 1, 1, 0)]
        func check(_ t: MultiInputStatistics.Tensor4, _ want: [Double], _ label: String, tolerance: Double = 1e-7) {
            for (i, w) in zip(idx, want) {
                let v = t[i.0, i.1, i.2, i.3]
                #expect(abs(v - w) <= tolerance * max(1, abs(w)), "\(label)\(i): \(v) vs \(w)")
            }
        }
        #expect(abs(ra.kernel[0][2] + 0.0330084968) < 1e-9 && abs(ra.ntk[1][2] - 1.5240334935) < 1e-9)
        #expect(abs(ra.ntkCorrection[0][2] - 0.0180469909) < 1e-7 && abs(ra.ntkCorrection[1][2] + 0.0959649250) < 1e-7)
        check(ra.ntkCovarianceA, [0.2100476286, 0.0047049247, 0.1101324213, 0.0001511722, -0.0675571960], "A.A")
        check(ra.ntkCovarianceB, [0.4820073926, 0.7029133296, 0.5342655671, 1.3789062497, 0.8994114270], "A.B")
        check(ra.p, [-0.1466354685, -0.0566354354, -0.0974510691, 0.0809471035, 0.0913058557], "A.p")
        check(ra.q, [-0.0957016978, 0.0680113731, 0.2212643405, 0.0072990967, 0.2383957119], "A.q")
        check(ra.r, [-1.3791878302, -0.7468472611, -1.8088521008, -1.5818490803, -1.0725473735], "A.r")
        check(ra.s, [1.1602382199, 2.0297971061, 2.9120425981, 1.4656352707, 2.2508754901], "A.s")
        check(ra.t, [-0.9573437024, 0.1988465173, -0.0081422726, 1.4646478239, 0.2067647983], "A.t")
        check(ra.u, [0.0522293537, -0.0595380738, 0.1812316066, 0.3065597788, 0.1395163024], "A.u")
        #expect(abs(rb.ntkCorrection[0][2] - 0.4538459915) < 1e-7 && abs(rb.ntk[0][2] - 2.1667541183) < 1e-9)
        check(rb.ntkCovarianceA, [4.3646876543, 4.3337068402, 4.1181995552, 3.6238549978, 4.3352372557], "B.A")
        check(rb.ntkCovarianceB, [3.6124303313, 4.8213843183, 3.9477398377, 6.4094344665, 4.6558554967], "B.B")
        check(rb.q, [1.1391414082, 1.4648234696, 1.2394331366, 1.2068898733, 1.5613157428], "B.q")
        check(rb.s, [1.9974288405, 2.6900122663, 3.1211463284, 2.2574924629, 2.6025003720], "B.s")
        check(rb.t, [0.7201271774, 0.8897766729, 0.7760321387, 1.0238458576, 0.9641368515], "B.t")
        for t in [rb.p, rb.r, rb.u] { check(t, [0, 0, 0, 0, 0], "B.pru") }
    }

    /// Bad input: no rows; parallel rows without biases (a singular pair kernel) are named.
    @Test func degenerateInputsAreRefused() throws {
        let spec = try NetworkSpec(inputDimension: 2, depth: 3, width: 16, outputWidth: 1, activation: .relu, cb: 0, cw: 2)
        #expect(throws: (any Error).self) { try MultiInputStatistics.compute(spec: spec, x: Matrix(rows: 0, cols: 2)) }
        #expect(throws: (any Error).self) { try MultiInputStatistics.compute(spec: spec, x: try Matrix([[1, 0], [2, 0], [0, 1]])) }
    }
}
