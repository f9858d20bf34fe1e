import Dispatch
import Foundation
import Gaussian
import InfiniteWidth

/// Phases of signal propagation (Schoenholz, Gilmer, Ganguli & Sohl-Dickstein 2017, "Deep
/// information propagation"; PDLT §5.1): ordered (χ_⊥(K*) < 1, correlations flow to 1), chaotic
/// (χ_⊥ > 1, to ρ* < 1), critical (χ_⊥ = 1), exploding (no finite K*: K^(ℓ) grows without bound).
public enum Phase: String, Codable, Sendable {
    case ordered, critical, chaotic, exploding
}

/// What a point (C_b, C_W) does to signals, with the depth scales of Schoenholz et al.:
/// ξ_K = −1/log χ_∥(K*) for the approach of K^(ℓ) to K*, and ξ_c = −1/log χ_c for correlations,
/// where χ_c = C_W⟨σ′(u)σ′(v)⟩ at the stable correlation ρ* (χ_c = χ_⊥ in the ordered phase).
public struct PhaseAnalysis: Codable, Sendable {
    public var activation: String
    public var cb: Double
    public var cw: Double
    public var kstar: Double?
    public var chiParallel: Double?
    public var chiPerp: Double?
    public var phase: Phase
    /// ρ*, the stable correlation of two inputs at K* (1 in the ordered phase).
    public var correlationFixedPoint: Double?
    /// ξ_c (nil where infinite: at criticality, or undefined).
    public var depthScale: Double?
    /// ξ_K.
    public var kernelDepthScale: Double?
    /// K^(1) … K^(L) for an input with |x|²/n₀ = q0 (empty unless requested).
    public var profile: [Double]

    enum CodingKeys: String, CodingKey {
        case activation, cb, cw, kstar, chiParallel = "chi_parallel", chiPerp = "chi_perp", phase
        case correlationFixedPoint = "correlation_fixed_point", depthScale = "depth_scale"
        case kernelDepthScale = "kernel_depth_scale", profile
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(activation, forKey: .activation); try c.encode(cb, forKey: .cb); try c.encode(cw, forKey: .cw)
        try c.encode(kstar, forKey: .kstar); try c.encode(chiParallel, forKey: .chiParallel); try c.encode(chiPerp, forKey: .chiPerp)
        try c.encode(phase, forKey: .phase); try c.encode(correlationFixedPoint, forKey: .correlationFixedPoint)
        try c.encode(depthScale, forKey: .depthScale); try c.encode(kernelDepthScale, forKey: .kernelDepthScale)
        try c.encode(profile, forKey: .profile)
    }
}

extension SingleInputMap {
    /// The pair map on correlations at equal diagonals K: ρ ↦ (C_b + C_W⟨σ(u)σ(v)⟩_{K,ρ})/K′, carried
    /// as deficits (no cancellation near ρ = 1), returning the new deficit at the new diagonal.
    func nextPairDeficit(k: Double, deficit d: Double) -> (newK: Double, newDeficit: Double, derivDeriv: Double) {
        let pm = activation.pairMoments(k11: k, k22: k, deficit: d)
        let a = sigma2(k)
        let kNew = cb + cw * a
        let dNew = InfiniteWidth.nextDeficit(cb: cb, cw: cw, a11: a, a22: a, a12: pm.sigmaSigma, deltaA: pm.sigmaDeficit,
                                             k11: kNew, k22: kNew)
        return (kNew, dNew, pm.derivDeriv)
    }

    /// Correlations ρ^(ℓ) of two inputs with |x|²/n₀ = q0 and initial correlation ρ₀ (PDLT §5.1,
    /// the flow of K_[2] toward the fixed point), for ℓ = 1 … depth.
    public func correlationFlow(q0: Double, rho0: Double, depth: Int) -> [Double] {
        var k = cb + cw * q0
        // Layer 1: K₁₂ = C_b + C_W ρ₀ q0.
        var d = cw * q0 * (1 - rho0)
        var out = [1 - d / k]
        for _ in 1..<max(depth, 1) {
            let step = nextPairDeficit(k: k, deficit: d)
            k = step.newK; d = step.newDeficit
            guard k.isFinite, k > 0 else { break }
            out.append(1 - d / k)
        }
        return out
    }

    /// Analyze this (C_b, C_W): fixed point, susceptibilities, phase, depth scales, and the profile of
    /// K^(ℓ) for `profileDepth` layers from |x|²/n₀ = q0.
    public func analyze(q0: Double = 1, profileDepth: Int = 0) -> PhaseAnalysis {
        var result = PhaseAnalysis(activation: activation.name, cb: cb, cw: cw, phase: .exploding,
                                   profile: profileDepth > 0 ? profile(from: cb + cw * q0, layers: profileDepth) : [])
        let k1 = cb + cw * q0
        var kstar: Double
        if activation.isScaleInvariant && cb == 0 {
            // f(K) = χ K: every K is fixed at χ = 1, else K → 0 or ∞ geometrically.
            let chi = chiParallel(k1)
            if Swift.abs(chi - 1) < 1e-12 { kstar = k1 } else if chi < 1 { kstar = 0 } else { return result }
        } else {
            // Follow the recursion, then take the fixed point it is approaching.
            var k = k1
            for _ in 0..<400 {
                let next = self(k)
                if !next.isFinite || next > 1e12 { return result }
                if Swift.abs(next - k) <= 1e-14 * max(k, 1e-300) { k = next; break }
                k = next
            }
            let pts = fixedPoints().filter { $0 > 0 }
            let zeroIsFixed = cb == 0 && activation.value(0) == 0
            if let nearest = pts.min(by: { Swift.abs(Foundation.log($0 / k)) < Swift.abs(Foundation.log($1 / k)) }),
               Swift.abs(Foundation.log(nearest / k)) < 0.5 {
                kstar = nearest
            } else if zeroIsFixed && pts.allSatisfy({ $0 > k }) {
                kstar = 0   // flowing to the K* = 0 fixed point (a power law at criticality)
            } else if k > 1e6 {
                return result
            } else {
                kstar = k
            }
        }
        let chiPar = chiParallel(kstar), chiPerp = chiPerpendicular(kstar)
        result.kstar = kstar
        result.chiParallel = chiPar
        result.chiPerp = chiPerp
        if Swift.abs(chiPerp - 1) < 1e-9 {
            result.phase = .critical
            result.correlationFixedPoint = 1
        } else if chiPerp < 1 {
            result.phase = .ordered
            result.correlationFixedPoint = 1
            result.depthScale = -1 / Foundation.log(chiPerp)
        } else {
            result.phase = .chaotic
            if kstar > 0 {
                // The correlation map at K*, in deficit form g(d); chaotic ⇒ g(d) > d just below
                // ρ = 1 and g(2K*) ≤ 2K*: bisect g(d) − d for the stable ρ* < 1.
                let g = { (d: Double) -> (Double, Double) in
                    let step = self.nextPairDeficit(k: kstar, deficit: d)
                    return (step.newDeficit * kstar / step.newK - d, self.cw * step.derivDeriv)
                }
                var lo = 1e-9 * kstar, hi = 2 * kstar * (1 - 1e-9)
                var d = hi
                var chiC = chiPerp
                if g(hi).0 >= 0 { d = hi; chiC = g(hi).1 } else {
                    for _ in 0..<64 {
                        let mid = 0.5 * (lo + hi)
                        if g(mid).0 > 0 { lo = mid } else { hi = mid }
                    }
                    d = 0.5 * (lo + hi)
                    chiC = g(d).1
                }
                result.correlationFixedPoint = 1 - d / kstar
                if chiC < 1 { result.depthScale = -1 / Foundation.log(chiC) }
            }
        }
        if chiPar < 1 && chiPar > 0 { result.kernelDepthScale = -1 / Foundation.log(chiPar) }
        return result
    }
}

/// The order/chaos phase diagram of an activation on a (C_b, C_W) grid (Schoenholz et al. 2017,
/// Fig. 1; PDLT §5.1), computed in parallel; `points[i][j]` is at (cbValues[i], cwValues[j]).
public struct PhaseDiagram: Codable, Sendable {
    public var activation: String
    public var cbValues: [Double]
    public var cwValues: [Double]
    public var points: [[PhaseAnalysis]]

    public static func compute(activation: Activation, cbValues: [Double], cwValues: [Double]) -> PhaseDiagram {
        let nb = cbValues.count, nw = cwValues.count
        let box = ResultBox(count: nb * nw)
        DispatchQueue.concurrentPerform(iterations: nb * nw) { idx in
            let i = idx / nw, j = idx % nw
            box.set(idx, SingleInputMap(activation: activation, cb: cbValues[i], cw: cwValues[j]).analyze())
        }
        let flat = box.values()
        let pts = (0..<nb).map { i in (0..<nw).map { j in flat[i * nw + j] } }
        return PhaseDiagram(activation: activation.name, cbValues: cbValues, cwValues: cwValues, points: pts)
    }
}

/// Thread-safe slots for parallel results.
final class ResultBox: @unchecked Sendable {
    private var storage: [PhaseAnalysis?]
    private let lock = NSLock()
    init(count: Int) { storage = [PhaseAnalysis?](repeating: nil, count: count) }
    func set(_ i: Int, _ v: PhaseAnalysis) { lock.lock(); storage[i] = v; lock.unlock() }
    func values() -> [PhaseAnalysis] { storage.map { $0! } }
}
