import Foundation
import Testing
@testable import Gaussian

/// Closed forms against quadrature on the same integrals, over variances from 0.01 to 30 and
/// correlations from −1 to 1 (including 1 − 1e-12).
@Suite struct ClosedFormsAgreeWithQuadrature {
    static let closedForm: [Activation] = [.linear, .relu, .leakyRelu(0.1), .abrelu(negative: -0.5, positive: 1.5), .abs,
                                           .step, .sign, .erf, .sin, .cos, .gelu]
    static let pairs: [(Double, Double, Double)] = [
        (1, 1, 0.3), (0.01, 2, -0.7), (5, 0.2, 0.95), (10, 10, 1 - 1e-9), (3, 30, -0.999), (1, 1, 1), (2, 0.5, 0), (0.5, 4, -1),
    ]

    @Test(arguments: closedForm)
    func closedFormMatchesQuadrature(_ act: Activation) {
        for (k11, k22, rho) in Self.pairs {
            if case .sin = act.kind, max(k11, k22) > 6 { continue }  // e^{-K} ~ 1e-13: relative check meaningless
            if case .cos = act.kind, max(k11, k22) > 6 { continue }
            let s = (k11 * k22).squareRoot()
            let d = s * (1 - rho)
            let c = act.pairMoments(k11: k11, k22: k22, deficit: d)
            let q = act.quadraturePairMoments(k11: k11, k22: k22, deficit: d, tolerance: 1e-13)
            let scaleS = max(act.singleMoments(k11).sigma2, act.singleMoments(k22).sigma2)
            let scaleD = max(act.singleMoments(k11).deriv2, act.singleMoments(k22).deriv2, 1e-300)
            #expect(abs(c.sigmaSigma - q.sigmaSigma) <= 1e-11 * scaleS, "\(act) ⟨σσ⟩ at \(k11),\(k22),\(rho): \(c.sigmaSigma) vs \(q.sigmaSigma)")
            if act.kind == .step || act.kind == .sign { } else {
                #expect(abs(c.derivDeriv - q.derivDeriv) <= 1e-11 * scaleD, "\(act) ⟨σ′σ′⟩ at \(k11),\(k22),\(rho): \(c.derivDeriv) vs \(q.derivDeriv)")
            }
            #expect(abs(c.sigmaDeficit - q.sigmaDeficit) <= 1e-11 * scaleS)
        }
    }
}

@Suite struct QuadratureAccuracy {
    @Test func knownOneDimensionalIntegrals() {
        // ⟨z²⟩ = K, ⟨z⁴⟩ = 3K², ⟨relu(z)²⟩ = K/2, ⟨e^{z}⟩ = e^{K/2}, ⟨tanh(z)⟩ = 0.
        for k in [0.01, 1.0, 10.0, 100.0] {
            #expect(abs(Gaussian.expectation({ $0 * $0 }, variance: k).value - k) < 1e-13 * k)
            #expect(abs(Gaussian.expectation({ $0 * $0 * $0 * $0 }, variance: k).value - 3 * k * k) < 1e-12 * k * k)
            #expect(abs(Gaussian.expectation({ $0 > 0 ? $0 * $0 : 0 }, variance: k, kinks: [0]).value - k / 2) < 1e-13 * k)
            let tanh0 = Gaussian.expectation({ Foundation.tanh($0) }, variance: k, scale: 1)
            #expect(abs(tanh0.value) < 1e-14 && tanh0.converged)
        }
        let e = Gaussian.expectation({ Foundation.exp($0) }, variance: 4)
        #expect(abs(e.value - Foundation.exp(2)) < 1e-12 * Foundation.exp(2))
    }

    /// The regime where fixed-degree Gauss–Hermite (neural-tangents' numerical activations) loses
    /// accuracy: tanh at variance 10. Reference: ⟨tanh(z)²⟩ by the independent identity
    /// ⟨tanh²⟩ = 1 − ⟨sech²⟩ and an integral over [0, ∞) of the even integrand with a different split.
    @Test func tanhAtLargeVarianceIsAccurate() {
        for k in [1.0, 10.0, 50.0] {
            let a = Activation.tanh.singleMoments(k).sigma2
            let sd = k.squareRoot()
            var q = Quadrature(relativeTolerance: 1e-15)
            q.maxPanels = 2000
            let sech2 = 2 * q.integrate({ x in
                let c = Foundation.cosh(sd * x)
                return standardNormalDensity(x) / (c * c)
            }, from: 0, to: 14, breakpoints: [0.5, 1, 2, 4]).value
            #expect(abs(a - (1 - sech2)) < 1e-12, "K = \(k): \(a) vs \(1 - sech2)")
        }
    }

    @Test func pairReducesToSingleOnTheDiagonal() {
        for act in [Activation.tanh, .swish, .softplus, .sigmoid, .elu(0.5)] {
            let k = 2.5
            let single = act.singleMoments(k)
            let pair = act.quadraturePairMoments(k11: k, k22: k * (1 + 1e-15), deficit: 0)
            #expect(abs(single.sigma2 - pair.sigmaSigma) < 1e-11 * single.sigma2, "\(act)")
            #expect(abs(single.deriv2 - pair.derivDeriv) < 1e-11 * single.deriv2, "\(act)")
        }
    }

    @Test func customClosureMatchesBuiltin() {
        let custom = Activation.custom(name: "mytanh", { Foundation.tanh($0) })
        let a = custom.pairMoments(k11: 1.3, k22: 0.7, deficit: 0.2)
        let b = Activation.tanh.pairMoments(k11: 1.3, k22: 0.7, deficit: 0.2)
        #expect(abs(a.sigmaSigma - b.sigmaSigma) < 1e-12)
        #expect(abs(a.derivDeriv - b.derivDeriv) < 1e-8)  // finite-difference σ′
    }
}

@Suite struct ActivationParsing {
    @Test func roundTripsNames() throws {
        for a in Activation.builtins { #expect(try Activation.parse(a.name) == a) }
        #expect(try Activation.parse("leaky_relu:0.2") == .leakyRelu(0.2))
        #expect(try Activation.parse("abrelu:-0.5:1.5") == .abrelu(negative: -0.5, positive: 1.5))
    }

    @Test func rejectsUnknownAndMalformed() {
        #expect(throws: ActivationError.unknown("relux")) { try Activation.parse("relux") }
        #expect(throws: ActivationError.self) { try Activation.parse("leaky_relu") }
        #expect(throws: ActivationError.self) { try Activation.parse("leaky_relu:abc") }
        #expect(throws: ActivationError.self) { try Activation.parse("elu:nan") }
        do { _ = try Activation.parse("foo") } catch { #expect(error.description.contains("known: relu")) }
    }

    @Test func derivativesMatchFiniteDifferences() {
        for a in Activation.builtins {
            for t in [-2.3, -0.4, 0.7, 1.9] {
                let h = 1e-6
                let fd = (a.value(t + h) - a.value(t - h)) / (2 * h)
                if case .step = a.kind { continue }
                #expect(abs(fd - a.derivative(t)) < 1e-7, "\(a) at \(t)")
            }
        }
    }

    @Test func taylorCoefficientsMatchDerivatives() {
        for a in Activation.builtins {
            guard let c = a.taylorAtZero else { continue }
            let h = 1e-3
            #expect(abs(a.value(0) - c.s0) < 1e-14, "\(a)")
            #expect(abs(a.derivative(0) - c.s1) < 1e-12, "\(a)")
            let s2 = (a.derivative(h) - a.derivative(-h)) / (2 * h)
            #expect(abs(s2 - c.s2) < 1e-5, "\(a)")
            let s3 = (a.derivative(h) - 2 * a.derivative(0) + a.derivative(-h)) / (h * h)
            #expect(abs(s3 - c.s3) < 1e-4, "\(a)")
        }
    }
}
