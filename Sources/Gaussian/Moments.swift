import Foundation

/// The Gaussian expectations one layer of the infinite-width recursions needs for a pair of inputs
/// (PDLT §4.3 for the kernel, §9.1 for the NTK):
/// ⟨σ(u)σ(v)⟩, the deficit √(⟨σ(u)²⟩⟨σ(v)²⟩) − ⟨σ(u)σ(v)⟩ of the post-activation Gram matrix,
/// and ⟨σ′(u)σ′(v)⟩, for (u, v) ~ N(0, [[K₁₁, K₁₂], [K₁₂, K₂₂]]).
public struct PairMoments: Sendable, Equatable {
    /// ⟨σ(u)σ(v)⟩.
    public var sigmaSigma: Double
    /// √(⟨σ(u)²⟩⟨σ(v)²⟩) − ⟨σ(u)σ(v)⟩, exact (no cancellation) for the rectified family.
    public var sigmaDeficit: Double
    /// ⟨σ′(u)σ′(v)⟩.
    public var derivDeriv: Double
    /// √(⟨σ(u)²⟩⟨σ(v)²⟩) + ⟨σ(u)σ(v)⟩, exact for the rectified family (it vanishes for
    /// anti-correlated outputs); elsewhere 2√(⟨σ(u)²⟩⟨σ(v)²⟩) − deficit.
    public var sigmaSurplus: Double

    public init(sigmaSigma: Double, sigmaDeficit: Double, derivDeriv: Double, sigmaSurplus: Double? = nil) {
        self.sigmaSigma = sigmaSigma
        self.sigmaDeficit = sigmaDeficit
        self.derivDeriv = derivDeriv
        self.sigmaSurplus = sigmaSurplus ?? max(2 * sigmaSigma + sigmaDeficit, 0)
    }
}

/// ⟨σ(z)²⟩ and ⟨σ′(z)²⟩ for a single input (PDLT §4.3 and §9.1 on the diagonal).
public struct SingleMoments: Sendable, Equatable {
    public var sigma2: Double
    public var deriv2: Double
}

extension Activation {
    /// Whether ⟨σσ⟩ and ⟨σ′σ′⟩ have closed forms (otherwise they come from quadrature).
    public var hasClosedForm: Bool {
        switch kind {
        case .linear, .rectified, .step, .sign, .erf, .sin, .cos, .gelu: return true
        default: return false
        }
    }

    /// ⟨σ(z)²⟩_K and ⟨σ′(z)²⟩_K.
    public func singleMoments(_ k: Double) -> SingleMoments {
        let p = pairMoments(k11: k, k22: k, deficit: 0)
        return SingleMoments(sigma2: p.sigmaSigma, deriv2: p.derivDeriv)
    }

    /// Pair moments from closed forms where they exist, quadrature otherwise. The pair is given by
    /// its variances and deficit d = √(K₁₁K₂₂) − K₁₂.
    public func pairMoments(k11: Double, k22: Double, deficit: Double) -> PairMoments {
        let s = (k11 * k22).squareRoot()
        let d = min(max(deficit, 0), 2 * s)
        return pairMoments(k11: k11, k22: k22, s: s, oneMinusCos: s > 0 ? d / s : 1, onePlusCos: s > 0 ? 2 - d / s : 1)
    }

    /// Pair moments with the geometry given as u = 1 − cos θ and v = 1 + cos θ (u + v = 2), each
    /// accurate where it is small, so that both parallel and antiparallel pairs are exact.
    public func pairMoments(k11: Double, k22: Double, s: Double, oneMinusCos u: Double, onePlusCos v: Double) -> PairMoments {
        let d = s * u
        switch kind {
        case .linear:
            return PairMoments(sigmaSigma: s - d, sigmaDeficit: d, derivDeriv: 1, sigmaSurplus: s * v)
        case let .rectified(neg, pos):
            return ArcCosine.rectified(negative: neg, positive: pos, s: s, oneMinusCos: u, onePlusCos: v)
        case .step, .sign:
            // step: ⟨σσ⟩ = (π − θ)/(2π); sign: 1 − 2θ/π (σ′ = 0 a.e. for both, as autodiff has it).
            let (theta, phi) = ArcCosine.angles(oneMinusCos: u, onePlusCos: v)
            if kind == .step {
                return PairMoments(sigmaSigma: phi / (2 * Double.pi), sigmaDeficit: theta / (2 * Double.pi), derivDeriv: 0,
                                   sigmaSurplus: 0.5 + phi / (2 * Double.pi))
            }
            return PairMoments(sigmaSigma: 1 - 2 * theta / Double.pi, sigmaDeficit: 2 * theta / Double.pi, derivDeriv: 0,
                               sigmaSurplus: 2 * phi / Double.pi)
        case .erf:
            return ClosedForms.erf(k11: k11, k22: k22, s: s, deficit: d)
        case .sin, .cos:
            return ClosedForms.trig(isSin: kind == .sin, k11: k11, k22: k22, k12: s - d)
        case .gelu:
            return ClosedForms.gelu(k11: k11, k22: k22, s: s, deficit: d)
        default:
            return quadraturePairMoments(k11: k11, k22: k22, deficit: d)
        }
    }

    /// Pair moments by nested adaptive quadrature, whatever the activation (used for activations
    /// without a closed form, and by the tests to check every closed form).
    public func quadraturePairMoments(k11: Double, k22: Double, deficit: Double, tolerance: Double = 1e-12) -> PairMoments {
        let s = (k11 * k22).squareRoot()
        let d = min(max(deficit, 0), 2 * s)
        let both: (Double) -> SIMD2<Double> = { SIMD2(self.value($0), self.derivative($0)) }
        let squares: (Double) -> SIMD2<Double> = { let v = both($0); return v * v }
        let a = Gaussian.expectation2(squares, variance: k11, kinks: kinks, scale: SIMD2(1, 1), tolerance: tolerance).value
        let ss: Double
        let sd: Double
        let dd: Double
        if d == 0 && k11 == k22 {
            ss = a[0]
            sd = 0
            dd = a[1]
        } else {
            let r = Gaussian.pairExpectation(both, both, k11: k11, k22: k22, deficit: d, kinksF: kinks, kinksG: kinks,
                                             tolerance: tolerance).value
            ss = r[0]
            dd = r[1]
            let b = k22 == k11 ? a : Gaussian.expectation2(squares, variance: k22, kinks: kinks, scale: SIMD2(1, 1), tolerance: tolerance).value
            sd = max((a[0] * b[0]).squareRoot() - ss, 0)
        }
        return PairMoments(sigmaSigma: ss, sigmaDeficit: sd, derivDeriv: dd)
    }
}

/// Arc-cosine kernels of the rectified family (Cho & Saul 2009; PDLT §5.2 for ReLU), written in
/// terms of the deficit so that they stay accurate as the angle θ between the inputs goes to 0.
public enum ArcCosine {
    /// θ = arccos(K₁₂/√(K₁₁K₂₂)) from u = d/s = 1 − cos θ: 2 asin(√(u/2)) for θ ≤ π/2 (accurate as
    /// θ → 0) and π − 2 asin(√((2 − u)/2)) above (accurate as θ → π).
    @inlinable
    public static func angle(s: Double, deficit d: Double) -> Double {
        guard s > 0 else { return Double.pi / 2 }
        let u = min(max(d / s, 0), 2)
        return angles(oneMinusCos: u, onePlusCos: 2 - u).theta
    }

    /// (θ, φ = π − θ) from u = 1 − cos θ and v = 1 + cos θ: the small one of the two angles comes
    /// from 2 asin(√(·/2)) of the small one of u, v, so it keeps full relative accuracy.
    @inlinable
    public static func angles(oneMinusCos u: Double, onePlusCos v: Double) -> (theta: Double, phi: Double) {
        if u <= 1 {
            let theta = 2 * Foundation.asin((0.5 * u).squareRoot())
            return (theta, Double.pi - theta)
        }
        let phi = 2 * Foundation.asin((0.5 * v).squareRoot())
        return (Double.pi - phi, phi)
    }

    /// sin θ − θ cos θ without cancellation for small θ (series through θ¹⁵ below 0.5).
    @inlinable
    public static func sinMinusThetaCos(_ t: Double) -> Double {
        if t < 0.5 {
            let t2 = t * t
            // Σ_{k≥1} (−1)^{k+1} 2k θ^{2k+1}/(2k+1)!
            var p = 14.0 / 1_307_674_368_000
            p = -12.0 / 6_227_020_800 + t2 * p
            p = 10.0 / 39_916_800 + t2 * p
            p = -8.0 / 362_880 + t2 * p
            p = 6.0 / 5040 + t2 * p
            p = -4.0 / 120 + t2 * p
            p = 2.0 / 6 + t2 * p
            return p * t2 * t
        }
        return Foundation.sin(t) - t * Foundation.cos(t)
    }

    /// σ(t) = a₋ t (t < 0), a₊ t (t > 0):
    /// ⟨σσ⟩ = s/(2π) [(a₊ − a₋)² (sin θ − θ cos θ) + π (a₊² + a₋²) cos θ],
    /// deficit Δ = √(⟨σ(u)²⟩⟨σ(v)²⟩) − ⟨σσ⟩, written without cancellation on both sides:
    ///   θ ≤ π/2: Δ = s [(a₊² + a₋²)/2 · (1 − cos θ) − (a₊ − a₋)²/(2π) (sin θ − θ cos θ)],
    ///   θ > π/2, φ = π − θ: Δ = s [(a₊ + a₋)²/2 − a₊a₋ (1 − cos φ) − (a₊ − a₋)²/(2π) (sin φ − φ cos φ)],
    /// ⟨σ′σ′⟩ = [(a₊² + a₋²)(π − θ) + 2 a₊ a₋ θ]/(2π).
    /// The same from the deficit d (u = d/s, v = 2 − u).
    @inlinable
    public static func rectified(negative an: Double, positive ap: Double, s: Double, deficit d: Double) -> PairMoments {
        let u = s > 0 ? min(max(d / s, 0), 2) : 1
        return rectified(negative: an, positive: ap, s: s, oneMinusCos: u, onePlusCos: 2 - u)
    }

    /// The same from u = 1 − cos θ and v = 1 + cos θ, each accurate where it is small (the kernel
    /// recursion's inner loop calls this); also returns the surplus
    /// s [(a₊² + a₋²)/2 · (1 + cos θ) + (a₊ − a₋)²/(2π) (sin θ − θ cos θ)], a sum of non-negative terms.
    @inlinable
    public static func rectified(negative an: Double, positive ap: Double, s: Double,
                                 oneMinusCos u: Double, onePlusCos v: Double) -> PairMoments {
        let sumSqHalf = 0.5 * (ap * ap + an * an), diffSq = (ap - an) * (ap - an)
        let inv2pi = 1 / (2 * Double.pi)
        let (theta, phi) = angles(oneMinusCos: u, onePlusCos: v)
        let sinTheta = (u * v).squareRoot()
        let deltaA: Double, smtTheta: Double
        if u <= 1 {
            smtTheta = theta < 0.5 ? sinMinusThetaCos(theta) : sinTheta - theta * (1 - u)
            deltaA = s * (sumSqHalf * u - diffSq * smtTheta * inv2pi)
        } else {
            let smtPhi = phi < 0.5 ? sinMinusThetaCos(phi) : sinTheta - phi * (1 - v)
            smtTheta = sinTheta + theta * (1 - v)
            deltaA = s * (0.5 * (ap + an) * (ap + an) - ap * an * v - diffSq * smtPhi * inv2pi)
        }
        let surplus = s * (sumSqHalf * v + diffSq * smtTheta * inv2pi)
        let dd = (2 * sumSqHalf * phi + 2 * ap * an * theta) * inv2pi
        return PairMoments(sigmaSigma: sumSqHalf * s - deltaA, sigmaDeficit: max(deltaA, 0), derivDeriv: dd,
                           sigmaSurplus: max(surplus, 0))
    }
}

/// Closed forms for erf, sin, cos and GELU.
public enum ClosedForms {
    /// erf (Williams 1997): ⟨erf u erf v⟩ = (2/π) asin(2K₁₂/√((1+2K₁₁)(1+2K₂₂))),
    /// ⟨erf′u erf′v⟩ = (4/π)/√((1+2K₁₁)(1+2K₂₂) − 4K₁₂²).
    public static func erf(k11: Double, k22: Double, s: Double, deficit d: Double) -> PairMoments {
        let k12 = s - d
        let p2 = (1 + 2 * k11) * (1 + 2 * k22)
        let p = p2.squareRoot()
        // (1+2K₁₁)(1+2K₂₂) − 4K₁₂² = 1 + 2(K₁₁+K₂₂) + 4 d (2s − d): no cancellation.
        let det = 1 + 2 * (k11 + k22) + 4 * d * (2 * s - d)
        func asinRatio(_ num: Double, _ den: Double, _ gap: Double) -> Double {
            // asin(num/den) with 1 − num/den = gap/den known accurately.
            let x = num / den
            if x > 0.5 { return Double.pi / 2 - 2 * Foundation.asin((0.5 * gap / den).squareRoot()) }
            return Foundation.asin(x)
        }
        let gap12 = k12 > 0 ? det / (p + 2 * k12) : p - 2 * k12
        let ss = 2 / Double.pi * asinRatio(2 * k12, p, gap12)
        let a11 = 2 / Double.pi * asinRatio(2 * k11, 1 + 2 * k11, 1)
        let a22 = 2 / Double.pi * asinRatio(2 * k22, 1 + 2 * k22, 1)
        let dd = 4 / Double.pi / det.squareRoot()
        return PairMoments(sigmaSigma: ss, sigmaDeficit: max((a11 * a22).squareRoot() - ss, 0), derivDeriv: dd)
    }

    /// sin: ⟨sin u sin v⟩ = e^{−(K₁₁+K₂₂)/2} sinh K₁₂; cos: the same with cosh; σ′ swaps them.
    public static func trig(isSin: Bool, k11: Double, k22: Double, k12: Double) -> PairMoments {
        let h = 0.5 * (k11 + k22)
        let ep = Foundation.exp(k12 - h), em = Foundation.exp(-k12 - h)
        let sinSin = 0.5 * (ep - em), cosCos = 0.5 * (ep + em)
        let sq = { (k: Double, sin: Bool) -> Double in
            let e = Foundation.exp(-2 * k)
            return sin ? 0.5 * (1 - e) : 0.5 * (1 + e)
        }
        let ss = isSin ? sinSin : cosCos
        let a11 = sq(k11, isSin), a22 = sq(k22, isSin)
        return PairMoments(sigmaSigma: ss, sigmaDeficit: max((a11 * a22).squareRoot() - ss, 0),
                           derivDeriv: isSin ? cosCos : sinSin)
    }

    /// GELU σ(t) = t Φ(t), derived here with Φ(u) = P(ξ < u) and Stein's lemma. With a = K₁₁,
    /// b = K₂₂, c = K₁₂, D = (1+a)(1+b) − c² and P = 1/4 + asin(c/√((1+a)(1+b)))/(2π):
    /// ⟨σσ⟩ = c P + [a (b(1+a) − c²)/(1+a) + c²/(1+b)] / (2π √D),
    /// ⟨σ′σ′⟩ = P + c/(2π√D) (1/(1+a) + 1/(1+b)) + c/(2π D^{3/2}).
    public static func gelu(k11 a: Double, k22 b: Double, s: Double, deficit d: Double) -> PairMoments {
        func moments(_ a: Double, _ b: Double, _ c: Double, _ det: Double) -> (Double, Double) {
            let sq = det.squareRoot()
            let prob = 0.25 + Foundation.asin(c / ((1 + a) * (1 + b)).squareRoot()) / (2 * Double.pi)
            let ss = c * prob + (a * (b * (1 + a) - c * c) / (1 + a) + c * c / (1 + b)) / (2 * Double.pi * sq)
            let dd = prob + c / (2 * Double.pi * sq) * (1 / (1 + a) + 1 / (1 + b)) + c / (2 * Double.pi * det * sq)
            return (ss, dd)
        }
        let c = s - d
        // D = 1 + a + b + (ab − c²) with ab − c² = d(2s − d).
        let (ss, dd) = moments(a, b, c, 1 + a + b + d * (2 * s - d))
        let a11 = moments(a, a, a, 1 + 2 * a).0
        let a22 = moments(b, b, b, 1 + 2 * b).0
        return PairMoments(sigmaSigma: ss, sigmaDeficit: max((a11 * a22).squareRoot() - ss, 0), derivDeriv: dd)
    }
}
