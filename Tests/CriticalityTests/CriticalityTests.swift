import Foundation
import Testing
@testable import Criticality
@testable import Gaussian

/// ⟨f(z)⟩_K by an independent route: a plain composite Simpson rule on a fine grid (no adaptivity,
/// no closed forms), accurate to ~1e-10 for these smooth integrands.
func simpson(_ f: (Double) -> Double, variance k: Double) -> Double {
    let sd = k.squareRoot(), n = 20_000, a = -12.0, h = 24.0 / Double(n)
    var acc = 0.0
    for i in 0...n {
        let x = a + Double(i) * h
        let w: Double = (i == 0 || i == n) ? 1 : (i % 2 == 1 ? 4 : 2)
        acc += w * f(sd * x) * Foundation.exp(-0.5 * x * x)
    }
    return acc * h / 3 / (2 * Double.pi).squareRoot()
}

@Suite struct CriticalPointTests {
    @Test func scaleInvariantClass() {
        for (a, cw) in [(Activation.relu, 2.0), (.leakyRelu(0.1), 2 / 1.01), (.abrelu(negative: -0.5, positive: 1.5), 0.8),
                        (.abs, 1.0), (.linear, 1.0)] {
            let c = CriticalitySolver.solve(a)
            #expect(c.universalityClass == .scaleInvariant)
            #expect(c.cb == 0 && abs(c.cw! - cw) < 1e-15, "\(a)")
        }
    }

    @Test func kStarZeroClass() {
        // (activation, C_W = 1/σ₁², a₁, p_⊥) from the Taylor coefficients (PDLT §5.3.3).
        for (a, cw, a1, p) in [(Activation.tanh, 1.0, -2.0, 1.0), (.sin, 1.0, -1.0, 1.0), (.erf, Double.pi / 4, -2.0, 1.0)] {
            let c = CriticalitySolver.solve(a)
            #expect(c.universalityClass == .kStarZero, "\(a)")
            #expect(c.cb == 0 && abs(c.cw! - cw) < 1e-14 && c.kstar == 0)
            #expect(abs(c.a1! - a1) < 1e-14 && abs(c.pPerp! - p) < 1e-14, "\(a)")
        }
    }

    /// GELU and SWISH: the solver's (C_b, C_W, K*) satisfy K* = C_b + C_W⟨σ²⟩, χ_∥ = χ_⊥ = 1 when the
    /// integrals are redone by Simpson's rule, and a finite-difference χ_∥.
    @Test(arguments: [Activation.gelu, .swish])
    func kStarNonzeroClass(_ a: Activation) {
        let c = CriticalitySolver.solve(a)
        #expect(c.universalityClass == .kStarNonzero)
        let (cb, cw, k) = (c.cb!, c.cw!, c.kstar!)
        let s2 = { (kk: Double) in simpson({ let v = a.value($0); return v * v }, variance: kk) }
        #expect(abs(cb + cw * s2(k) - k) < 1e-9 * k)
        #expect(abs(cw * simpson({ let v = a.derivative($0); return v * v }, variance: k) - 1) < 1e-9)
        let h = 1e-4 * k
        #expect(abs(cw * (s2(k + h) - s2(k - h)) / (2 * h) - 1) < 1e-6)
        // PDLT §5.3.4 quotes C_W ≈ 1.98 for both; C_b ≈ 0.17 (GELU).
        #expect(abs(cw - 1.98) < 0.01)
    }

    @Test func noCriticalPointHasAReason() {
        for a in [Activation.sigmoid, .softplus, .cos, .step, .sign] {
            let c = CriticalitySolver.solve(a)
            #expect(c.universalityClass == .none, "\(a)")
            #expect(c.cb == nil && c.cw == nil)
            #expect((c.reason ?? "").count > 20, "\(a)")
        }
    }

    @Test func jsonHasTheContractKeysWithNulls() throws {
        let data = try JSONEncoder().encode(CriticalitySolver.solve(.sigmoid))
        let obj = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        for key in ["activation", "class", "cb", "cw", "kstar", "chi_parallel", "chi_perp", "reason"] {
            #expect(obj.keys.contains(key), "\(key)")
        }
        #expect(obj["cb"] is NSNull)
    }
}

@Suite struct DepthAndPhaseTests {
    /// tanh at criticality: K^(ℓ) ≈ 1/(2ℓ), Θ^(ℓ) → λ_W σ₁²/(−a₁ p_⊥) = 1/2; the power law
    /// exponents approach α = 1, β = p_⊥ = 1 with O(log ℓ/ℓ) corrections.
    @Test func tanhDecaysAsAPowerLaw() {
        let c = CriticalitySolver.solve(.tanh)
        let d = DepthBehaviour.compute(activation: .tanh, cb: 0, cw: 1, lambdaB: 0, lambdaW: 1, depth: 2000, critical: c)
        #expect(abs(d.alphaMeasured - 1) < 0.01 && abs(d.betaMeasured - 1) < 0.01)
        #expect(abs(d.kernel.last! / d.kernelAsymptotic! - 1) < 0.01)
        #expect(abs(d.ntk.last! / d.ntkAsymptotic! - 1) < 0.01)
        // Monotone decay to zero.
        for i in 1..<d.kernel.count { #expect(d.kernel[i] < d.kernel[i - 1]) }
    }

    @Test func reluAtCriticalityIsMarginal() {
        let d = DepthBehaviour.compute(activation: .relu, cb: 0, cw: 2, lambdaB: 0, lambdaW: 2, depth: 100,
                                       critical: CriticalitySolver.solve(.relu))
        #expect(d.kernel.allSatisfy { abs($0 - 2) < 1e-14 })
        #expect(abs(d.gammaMeasured - 1) < 1e-9 && d.gammaTheory == 1)
        let p = SingleInputMap(activation: .relu, cb: 0, cw: 2).analyze()
        #expect(p.phase == .critical && p.depthScale == nil)
    }

    @Test func phasesOffCriticality() {
        // ReLU, C_W < 2: K* = C_b/(1 − C_W/2), ordered with ξ = −1/log(C_W/2).
        let o = SingleInputMap(activation: .relu, cb: 0.1, cw: 1.5).analyze()
        #expect(o.phase == .ordered && abs(o.kstar! - 0.4) < 1e-12)
        #expect(abs(o.depthScale! + 1 / Foundation.log(0.75)) < 1e-9)
        #expect(SingleInputMap(activation: .relu, cb: 0.1, cw: 2.5).analyze().phase == .exploding)
        // tanh, large C_W: chaotic; ρ* is a fixed point of the correlation map.
        let map = SingleInputMap(activation: .tanh, cb: 0.1, cw: 2.5)
        let ch = map.analyze()
        #expect(ch.phase == .chaotic)
        let k = ch.kstar!, rho = ch.correlationFixedPoint!
        #expect(abs(map(k) - k) < 1e-12 * k)
        let step = map.nextPairDeficit(k: k, deficit: k * (1 - rho))
        #expect(abs((1 - step.newDeficit / step.newK) - rho) < 1e-8)
        // tanh, small C_W: ordered.
        #expect(SingleInputMap(activation: .tanh, cb: 0.05, cw: 0.8).analyze().phase == .ordered)
        #expect(SingleInputMap(activation: .tanh, cb: 0, cw: 1).analyze().phase == .critical)
    }

    @Test func phaseDiagramGrid() {
        let pd = PhaseDiagram.compute(activation: .relu, cbValues: [0, 0.1], cwValues: [1, 2, 3])
        #expect(pd.points.count == 2 && pd.points[0].count == 3)
        #expect(pd.points[0][1].phase == .critical)
        #expect(pd.points[1][0].phase == .ordered)
        #expect(pd.points[1][2].phase == .exploding)
    }

    @Test func correlationsFlowToOneInTheOrderedPhase() {
        let flow = SingleInputMap(activation: .relu, cb: 0, cw: 2).correlationFlow(q0: 1, rho0: 0.2, depth: 4000)
        for i in 1..<flow.count { #expect(flow[i] >= flow[i - 1]) }
        // ReLU at criticality: 1 − ρ^(ℓ) ~ 9π²/(2ℓ²) (PDLT §5.2), with O(log ℓ/ℓ) relative corrections:
        // the ratio approaches 1 as ℓ grows.
        let ratio = { (l: Int) in (1 - flow[l - 1]) * Double(l * l) / (9 * Double.pi * Double.pi / 2) }
        #expect(abs(ratio(4000) - 1) < 0.02)
        #expect(abs(ratio(4000) - 1) < abs(ratio(400) - 1) / 3)
    }
}
