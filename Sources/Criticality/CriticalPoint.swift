import Foundation
import Gaussian

/// Universality classes of PDLT ch. 5.
public enum UniversalityClass: String, Codable, Sendable {
    /// Positively homogeneous σ (linear, ReLU family; PDLT §5.2): critical at C_b = 0,
    /// C_W = 2/(a₊² + a₋²); every K is a fixed point.
    case scaleInvariant = "scale_invariant"
    /// σ(0) = 0, σ′(0) ≠ 0 and a₁ < 0 (tanh, sin, erf; PDLT §5.3.3): C_b = 0, C_W = 1/σ₁²,
    /// K^(ℓ) → 0 as 1/(−a₁ ℓ).
    case kStarZero = "kstar_zero"
    /// χ_∥(K*) = χ_⊥(K*) = 1 at a K* > 0 solved numerically (GELU, SWISH; PDLT §5.3.4); the fixed
    /// point is only half-stable when f″(K*) ≠ 0.
    case kStarNonzero = "kstar_nonzero"
    /// No (C_b ≥ 0, C_W > 0) makes χ_∥ = χ_⊥ = 1.
    case none
}

/// A critical point (C_b, C_W) of an activation, or the reason there is none.
public struct CriticalPoint: Codable, Sendable {
    public var activation: String
    public var universalityClass: UniversalityClass
    public var cb: Double?
    public var cw: Double?
    /// The fixed point K*; nil for the scale-invariant class, where every K is one.
    public var kstar: Double?
    public var chiParallel: Double?
    public var chiPerp: Double?
    /// Why there is no critical point, or a remark on it.
    public var reason: String?
    /// PDLT §5.3.3: a₁ = σ₃/σ₁ + (3/4)(σ₂/σ₁)² (K* = 0 class).
    public var a1: Double?
    /// PDLT §5.3.3: b₁ = σ₃/σ₁ + (σ₂/σ₁)², and p_⊥ = b₁/a₁.
    public var b1: Double?
    public var pPerp: Double?
    /// f″(K*)/2 for the K* ≠ 0 class: K^(ℓ+1) − K* ≈ (K^(ℓ) − K*) + c₂ (K^(ℓ) − K*)².
    public var secondOrder: Double?

    enum CodingKeys: String, CodingKey {
        case activation, universalityClass = "class", cb, cw, kstar, chiParallel = "chi_parallel", chiPerp = "chi_perp"
        case reason, a1, b1, pPerp = "p_perp", secondOrder = "second_order"
    }

    public func encode(to encoder: Encoder) throws {
        // Absent values are written as JSON null, so every key is always present.
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(activation, forKey: .activation)
        try c.encode(universalityClass, forKey: .universalityClass)
        try c.encode(cb, forKey: .cb); try c.encode(cw, forKey: .cw); try c.encode(kstar, forKey: .kstar)
        try c.encode(chiParallel, forKey: .chiParallel); try c.encode(chiPerp, forKey: .chiPerp)
        try c.encode(reason, forKey: .reason)
        try c.encode(a1, forKey: .a1); try c.encode(b1, forKey: .b1); try c.encode(pPerp, forKey: .pPerp)
        try c.encode(secondOrder, forKey: .secondOrder)
    }
}

/// Solves for critical initialization hyperparameters (PDLT ch. 5).
public enum CriticalitySolver {
    /// The critical point of `activation`.
    public static func solve(_ activation: Activation) -> CriticalPoint {
        var cp = CriticalPoint(activation: activation.name, universalityClass: .none)
        if activation.kind == .step || activation.kind == .sign {
            cp.reason = "σ′ = 0 almost everywhere, so χ_⊥ = C_W⟨σ′²⟩ = 0 for every (C_b, C_W): gradients vanish after one layer"
            return cp
        }
        // Scale-invariant class (PDLT §5.2).
        if let (an, ap) = activation.slopes {
            let sumSq = an * an + ap * ap
            guard sumSq > 0 else { cp.reason = "σ ≡ 0"; return cp }
            cp.universalityClass = .scaleInvariant
            cp.cb = 0
            cp.cw = 2 / sumSq
            cp.chiParallel = 1
            cp.chiPerp = 1
            cp.reason = "every K is a fixed point at C_b = 0, C_W = 2/(a₊² + a₋²): K^(ℓ) stays at K^(1)"
            return cp
        }
        // K* = 0 class (PDLT §5.3.3).
        let s0 = activation.value(0), s1 = activation.derivative(0)
        var why: [String] = []
        if s0 == 0 && activation.kinks.contains(0) {
            // Piecewise smooth at 0 with slopes s₋, s₊: ⟨σ²⟩_K ≈ (s₋² + s₊²) K/2, so C_W = 2/(s₋² + s₊²);
            // the next order of f(K) − K is measured, since it need not be K² (ELU: K^{3/2}).
            let sm = activation.derivative(-1e-300), sp = activation.derivative(1e-300)
            let cw = 2 / (sm * sm + sp * sp)
            let map = SingleInputMap(activation: activation, cb: 0, cw: cw)
            let e1 = map(1e-6) - 1e-6, e2 = map(1e-5) - 1e-5
            let q = Foundation.log(e2 / e1) / Foundation.log(10)
            if e1 < 0 && e2 < 0 && q > 1 {
                cp.universalityClass = .kStarZero
                cp.cb = 0; cp.cw = cw; cp.kstar = 0
                cp.chiParallel = 1; cp.chiPerp = 1
                cp.reason = "σ is not analytic at 0: f(K) − K ≈ −c K^q with q = \(short(q)) (not K²), so K^(ℓ) ∝ ℓ^(−1/(q−1)) = ℓ^(\(short(-1 / (q - 1))))"
                return cp
            }
            why.append("at C_b = 0, C_W = 2/(s₋² + s₊²) = \(short(cw)) the kernel does not flow to K* = 0")
        } else if s0 == 0 && s1 != 0 {
            let cw = 1 / (s1 * s1)
            let map = SingleInputMap(activation: activation, cb: 0, cw: cw)
            let (a1, b1) = kStarZeroCoefficients(activation, map: map)
            if a1 < 0 {
                cp.universalityClass = .kStarZero
                cp.cb = 0; cp.cw = cw; cp.kstar = 0
                cp.chiParallel = 1; cp.chiPerp = 1
                cp.a1 = a1; cp.b1 = b1; cp.pPerp = b1 / a1
                return cp
            }
            why.append("K* = 0 is a fixed point at C_b = 0, C_W = 1/σ₁² = \(short(cw)) but a₁ = \(short(a1)) ≥ 0, so the kernel flows away from it")
        } else if s0 != 0 {
            why.append("σ(0) = \(short(s0)) ≠ 0, so K* = 0 is not a fixed point")
        } else {
            why.append("σ′(0) = 0, so χ_⊥(0) = 0")
        }
        // K* ≠ 0 (PDLT §5.3.4): χ_∥(K) = χ_⊥(K) with C_W = 1/⟨σ′²⟩_K, then C_b = K − C_W⟨σ²⟩_K ≥ 0.
        let unit = SingleInputMap(activation: activation, cb: 0, cw: 1)
        let candidates = roots(of: { unit.chiParallel($0) - unit.chiPerpendicular($0) }, from: 1e-4, to: 1e4, points: 160)
        var rejected: [String] = []
        for k in candidates {
            let m = activation.singleMoments(k)
            guard m.deriv2 > 0 else { continue }
            let cw = 1 / m.deriv2
            let cb = k - cw * m.sigma2
            if cb >= -1e-12 * k {
                let map = SingleInputMap(activation: activation, cb: max(cb, 0), cw: cw)
                cp.universalityClass = .kStarNonzero
                cp.cb = max(cb, 0); cp.cw = cw; cp.kstar = k
                cp.chiParallel = map.chiParallel(k); cp.chiPerp = map.chiPerpendicular(k)
                let h = 1e-3 * k
                cp.secondOrder = (map(k + h) - 2 * map(k) + map(k - h)) / (2 * h * h)
                cp.reason = "half-stable: K^(ℓ) − K* ≈ c₂ (K^(ℓ−1) − K*)² drifts away on one side of K*"
                return cp
            }
            rejected.append("K = \(short(k)) would need C_b = \(short(cb)) < 0")
        }
        if candidates.isEmpty {
            why.append("χ_∥(K) = χ_⊥(K) has no solution for K in [1e-4, 1e4]")
        } else {
            why.append("the solutions of χ_∥(K) = χ_⊥(K) are unphysical (" + rejected.joined(separator: "; ") + ")")
        }
        cp.reason = why.joined(separator: "; ")
        return cp
    }

    /// a₁ and b₁ of the K* = 0 class from the Taylor coefficients (PDLT §5.3.3), or, for a
    /// custom activation without them, from the map itself at small K.
    static func kStarZeroCoefficients(_ activation: Activation, map: SingleInputMap) -> (Double, Double) {
        if let t = activation.taylorAtZero, t.s1 != 0 {
            let r2 = t.s2 / t.s1, r3 = t.s3 / t.s1
            return (r3 + 0.75 * r2 * r2, r3 + r2 * r2)
        }
        // f(K) = K + a₁K² + O(K³), χ_⊥(K) = 1 + b₁K + O(K²): Richardson on two small K.
        let k1 = 1e-3, k2 = 2e-3
        let e1 = (map(k1) - k1) / (k1 * k1), e2 = (map(k2) - k2) / (k2 * k2)
        let p1 = (map.chiPerpendicular(k1) - 1) / k1, p2 = (map.chiPerpendicular(k2) - 1) / k2
        return (2 * e1 - e2, 2 * p1 - p2)
    }
}

func short(_ x: Double) -> String { String(format: "%.6g", x) }
