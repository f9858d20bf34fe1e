import Foundation
import Testing
@testable import Architecture
@testable import FiniteWidth
@testable import Gaussian
@testable import Linalg
@testable import SampledNetworks
@testable import Studies
@testable import DataIO
@testable import InfiniteWidth

@Suite struct VertexTests {
    /// On the diagonal the multi-input recursion reduces to the single-input one.
    @Test func diagonalAgreesWithSingleInput() throws {
        for name in ["relu", "tanh", "gelu"] {
            let spec = try NetworkSpec(inputDimension: 3, depth: 4, width: 32, activation: try Activation.parse(name), cb: 0.1, cw: 1.6)
            let x = try Matrix([[0.9, -0.3, 0.5], [0.2, 1.1, -0.7]])
            let v = try Vertex.twoInputVertex(spec: spec, x: x)
            let d = DiagonalFiniteWidth.compute(spec: spec, q0: (0.81 + 0.09 + 0.25) / 3)
            #expect(abs(v[0][0] - d.vertex.last!) < 1e-8 * d.vertex.last!, "\(name): \(v[0][0]) vs \(d.vertex.last!)")
        }
    }

    /// The scaling identity for ∂⟨σσ⟩/∂K₁₁ against a finite difference of the pair moments.
    @Test func jacobianMatchesFiniteDifferences() {
        for act in [Activation.relu, .tanh, .erf] {
            let (k11, k22, k12) = (1.3, 0.8, 0.4)
            let pm = act.pairMoments(k11: k11, k22: k22, deficit: (k11 * k22).squareRoot() - k12)
            let (c11, _) = Vertex.offDiagonalDerivatives(act, k11: k11, k22: k22, k12: k12, pm: pm)
            let h = 1e-4
            func f(_ a: Double) -> Double { act.pairMoments(k11: a, k22: k22, deficit: (a * k22).squareRoot() - k12).sigmaSigma }
            let fd = (f(k11 + h) - f(k11 - h)) / (2 * h)
            #expect(abs(fd - c11) < 1e-6, "\(act): \(fd) vs \(c11)")
        }
    }

    /// Two inputs, ReLU and tanh: every entry of the measured vertex (dlt ensemble's estimator)
    /// within 4 standard errors + the 1/n² remainder bound ((V/nK²) · V, stated, not fitted).
    @Test(arguments: [("relu", 0.0, 2.0), ("tanh", 0.0, 1.0)])
    func vertexAgreesWithEnsemble(_ name: String, _ cb: Double, _ cw: Double) throws {
        let n = 64
        let spec = try NetworkSpec(inputDimension: 3, depth: 3, width: n, outputWidth: n, activation: try Activation.parse(name), cb: cb, cw: cw)
        let x = try Matrix([[1.0, 0.5, -0.3], [0.2, -1.0, 0.7]])
        let theory = try Vertex.outputVertex(spec: spec, x: x)
        let (rows, seRows, k) = try measuredVertex(spec, x, seed: 4)
        for a in 0..<2 { for b in 0..<2 { for c in 0..<2 { for d in 0..<2 {
            let mc = number(rows, a, b, c, d), se = number(seRows, a, b, c, d), t = theory[a][b][c][d]
            let remainder = abs(t) * abs(t) / (Double(n) * k * k)
            #expect(abs(mc - t) < 4 * se + remainder, "\(name) V[\(a)\(b)\(c)\(d)]: MC \(mc) ± \(se) vs theory \(t)")
        } } } }
    }
}

/// The vertex and its standard errors measured by dlt ensemble's estimator on 4000 networks, and the
/// smallest diagonal kernel entry (for the remainder bound).
func measuredVertex(_ spec: NetworkSpec, _ x: Matrix, seed: UInt64) throws -> ([JSONValue], [JSONValue], Double) {
    var m = EnsembleMeasurement(spec: spec, inputs: x.rows, derivatives: false)
    try m.run(x: x, seed: seed, indices: Array(0..<4000))
    let json = m.json()
    guard case let .array(rows)? = json.first(where: { $0.0 == "vertex" })?.1,
          case let .array(seRows)? = json.first(where: { $0.0 == "vertex_se" })?.1 else { throw LinalgError.nonFinite("no vertex") }
    let kk = try InfiniteWidth.kernels(spec: spec, x1: x).output.nngp
    return (rows, seRows, (0..<x.rows).map { kk[$0, $0] }.min()!)
}

func number(_ rows: [JSONValue], _ a: Int, _ b: Int, _ c: Int, _ d: Int) -> Double {
    guard case let .array(r1) = rows[a], case let .array(r2) = r1[b], case let .array(r3) = r2[c], case let .number(x) = r3[d] else { return .nan }
    return x
}

/// The off-diagonal metric correction: for ReLU at criticality K¹ vanishes on the diagonal but not
/// off it; the ensemble resolves it (the infinite-width value is many standard errors away, the
/// order-1/n value is not).
@Test func offDiagonalMetricCorrectionIsSeenByTheEnsemble() throws {
    let n = 64
    let spec = try NetworkSpec(inputDimension: 3, depth: 4, width: n, outputWidth: n, activation: .relu, cb: 0, cw: 2)
    let x = try Matrix([[1.0, 0.5, -0.3], [0.2, -1.0, 0.7]])
    let pair = try Vertex.twoInput(spec: spec, x: x)
    let k = try InfiniteWidth.kernels(spec: spec, x1: x).output.nngp
    var m = EnsembleMeasurement(spec: spec, inputs: 2, derivatives: false)
    try m.run(x: x, seed: 1, indices: Array(0..<8000))
    guard case let .array(rows)? = m.json().first(where: { $0.0 == "nngp" })?.1,
          case let .array(seRows)? = m.json().first(where: { $0.0 == "nngp_se" })?.1,
          case let .array(r0) = rows[0], case let .number(mc) = r0[1], case let .array(s0) = seRows[0], case let .number(se) = s0[1]
    else { Issue.record("no nngp"); return }
    let firstOrder = k[0, 1] + pair.metricCorrection[1] / Double(n)
    #expect(abs(pair.metricCorrection[0]) < 1e-9 && abs(pair.metricCorrection[2]) < 1e-9)
    #expect(abs(mc - firstOrder) < 4 * se, "MC \(mc) ± \(se) vs K + K¹/n = \(firstOrder)")
    #expect(abs(mc - k[0, 1]) > 4 * se, "the correction should be resolved: MC \(mc) vs K \(k[0, 1])")
}

/// Same seed, same bits: the whole ensemble state is identical with one worker and with all cores.
@Test func ensembleStateIsIndependentOfThreadCount() throws {
    let spec = try NetworkSpec(inputDimension: 3, depth: 3, width: 16, outputWidth: 16, activation: .tanh, cb: 0.1, cw: 1.5)
    let x = try Matrix([[1.0, 0.5, -0.3], [0.2, -1.0, 0.7]])
    var one = EnsembleMeasurement(spec: spec, inputs: 2), all = EnsembleMeasurement(spec: spec, inputs: 2)
    try one.run(x: x, seed: 9, indices: Array(0..<200), workers: 1)
    try all.run(x: x, seed: 9, indices: Array(0..<200))
    #expect(one.perNetwork.state == all.perNetwork.state)
    #expect(one.perComponent.state == all.perComponent.state)
}

@Suite struct FullVertexTests {
    /// The nested product rule against the adaptive two-dimensional rule, and with a repeated
    /// (deterministic) direction against the lower-dimensional answer.
    @Test(arguments: ["tanh", "relu", "gelu"])
    func productExpectationMatchesTwoDimensionalRule(_ name: String) throws {
        let act = try Activation.parse(name)
        let (k11, k12, k22) = (1.3, 0.5, 0.8)
        func pw(_ p: Int) -> (Double) -> Double { { t in let y = act.value(t); var r = 1.0; for _ in 0..<p { r *= y }; return r } }
        let exact = Gaussian.expectation(pw(2), pw(2), k11: k11, k22: k22, deficit: (k11 * k22).squareRoot() - k12,
                                         kinksF: act.kinks, kinksG: act.kinks).value
        let nested = Gaussian.productExpectation([pw(2), pw(2)], covariance: [[k11, k12], [k12, k22]], kinks: [act.kinks, act.kinks])
        #expect(abs(nested - exact) < 1e-7 * abs(exact), "\(name): \(nested) vs \(exact)")
        // z₃ = z₁: ⟨σ₁ σ₂² σ₃⟩ = ⟨σ₁² σ₂²⟩.
        let repeated = Gaussian.productExpectation([pw(1), pw(2), pw(1)], covariance: [[k11, k12, k11], [k12, k22, k12], [k11, k12, k11]],
                                                   kinks: [act.kinks, act.kinks, act.kinks])
        #expect(abs(repeated - exact) < 1e-7 * abs(exact), "\(name) repeated: \(repeated) vs \(exact)")
    }

    /// Entries with at most two distinct inputs agree with the pair recursion; the tensor has the
    /// symmetries of V_{(ab)(cd)}.
    @Test func fullTensorAgreesWithPairs() throws {
        let spec = try NetworkSpec(inputDimension: 3, depth: 4, width: 32, activation: .tanh, cb: 0.1, cw: 1.6)
        let x = try Matrix([[0.9, -0.3, 0.5], [0.2, 1.1, -0.7], [-0.6, 0.4, 0.8]])
        let full = try Vertex.fullTensor(spec: spec, x: x)
        let pairs = Vertex.tensor(try Vertex.pairs(spec: spec, x: x), inputs: 3)
        for a in 0..<3 { for b in 0..<3 { for c in 0..<3 { for d in 0..<3 {
            let v = full[a][b][c][d]
            #expect(v == full[b][a][c][d] && v == full[c][d][a][b])
            if !pairs[a][b][c][d].isNaN {
                #expect(abs(v - pairs[a][b][c][d]) < 1e-6 * abs(pairs[a][b][c][d]) + 1e-12, "V[\(a)\(b)\(c)\(d)]")
            }
        } } } }
    }

    /// Three inputs (tanh and ReLU): entries with three distinct inputs against the ensemble
    /// (dlt ensemble's estimator), |MC − theory| < 4 SE + the 1/n² remainder bound of `vertexAgreesWithEnsemble`.
    @Test(arguments: [("relu", 0.0, 2.0), ("tanh", 0.05, 1.2)])
    func threeDistinctInputsAgreeWithEnsemble(_ name: String, _ cb: Double, _ cw: Double) throws {
        let n = 48
        let spec = try NetworkSpec(inputDimension: 3, depth: 3, width: n, outputWidth: n, activation: try Activation.parse(name), cb: cb, cw: cw)
        let x = try Matrix([[1.0, 0.5, -0.3], [0.2, -1.0, 0.7], [0.6, 0.6, 0.9]])
        let theory = try Vertex.fullTensor(spec: spec, x: x)
        let (rows, seRows, k) = try measuredVertex(spec, x, seed: 12)
        var checked = 0
        for (a, b, c, d) in [(0, 0, 1, 2), (0, 1, 0, 2), (1, 1, 0, 2), (0, 1, 1, 2), (2, 2, 0, 1), (0, 2, 1, 2)] {
            let mc = number(rows, a, b, c, d), se = number(seRows, a, b, c, d), t = theory[a][b][c][d]
            let remainder = abs(t) * abs(t) / (Double(n) * k * k)
            #expect(abs(mc - t) < 4 * se + remainder, "\(name) V[\(a)\(b)\(c)\(d)]: MC \(mc) ± \(se) vs theory \(t)")
            checked += 1
        }
        #expect(checked == 6)
    }
}
