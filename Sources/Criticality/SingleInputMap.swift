import Foundation
import Gaussian

/// The single-input kernel map of PDLT §5.1 (the kernel recursion on the diagonal),
/// K ↦ f(K) = C_b + C_W ⟨σ(z)²⟩_K, with its susceptibilities (PDLT §5.1):
/// χ_∥(K) = f′(K) = (C_W/(2K²)) ⟨σ(z)² (z² − K)⟩_K and χ_⊥(K) = C_W ⟨σ′(z)²⟩_K.
/// χ_⊥ is also the multiplier of the single-input NTK recursion (PDLT §9.1):
/// Θ′ = λ_b + λ_W ⟨σ²⟩_K + χ_⊥(K) Θ.
public struct SingleInputMap: Sendable {
    public let activation: Activation
    public let cb: Double
    public let cw: Double

    public init(activation: Activation, cb: Double, cw: Double) {
        self.activation = activation
        self.cb = cb
        self.cw = cw
    }

    /// ⟨σ(z)²⟩_K.
    public func sigma2(_ k: Double) -> Double { activation.singleMoments(k).sigma2 }

    /// f(K) = C_b + C_W ⟨σ²⟩_K.
    public func callAsFunction(_ k: Double) -> Double { cb + cw * sigma2(k) }

    /// χ_∥(K) = C_W d⟨σ²⟩_K/dK = (C_W/(2K²)) ⟨σ²(z² − K)⟩_K (PDLT §5.1); at K = 0 the limit C_W σ₁².
    public func chiParallel(_ k: Double) -> Double {
        if let slopes = activation.slopes { return cw * 0.5 * (slopes.negative * slopes.negative + slopes.positive * slopes.positive) }
        if k <= 0 {
            let s1 = activation.derivative(0)
            return cw * s1 * s1
        }
        let act = activation
        let r = Gaussian.expectation({ z in let s = act.value(z); return s * s * (z * z - k) },
                                     variance: k, kinks: act.kinks, scale: k * max(sigma2(k), 1e-300))
        return cw * r.value / (2 * k * k)
    }

    /// χ_⊥(K) = C_W ⟨σ′(z)²⟩_K (PDLT §5.1).
    public func chiPerpendicular(_ k: Double) -> Double { cw * activation.singleMoments(max(k, 0)).deriv2 }
}

/// Roots of a continuous function on [a, b] found by scanning a geometric grid and refining each
/// sign change by bisection to machine precision.
func roots(of f: (Double) -> Double, from a: Double, to b: Double, points: Int = 240) -> [Double] {
    precondition(a > 0 && b > a)
    var out: [Double] = []
    let ratio = Foundation.pow(b / a, 1 / Double(points))
    var x0 = a, f0 = f(a)
    for _ in 0..<points {
        let x1 = x0 * ratio, f1 = f(x1)
        if f0 == 0 { out.append(x0) } else if f0 * f1 < 0 {
            var lo = x0, hi = x1, flo = f0
            for _ in 0..<200 {
                let mid = 0.5 * (lo + hi)
                if mid <= lo || mid >= hi { break }
                let fm = f(mid)
                if (fm < 0) == (flo < 0) { lo = mid; flo = fm } else { hi = mid }
            }
            out.append(0.5 * (lo + hi))
        }
        x0 = x1; f0 = f1
    }
    return out
}

extension SingleInputMap {
    /// Positive fixed points K* = f(K*) in [1e-8, 1e6] (plus K* = 0 when f(0) = 0).
    public func fixedPoints() -> [Double] {
        var pts = roots(of: { self($0) - $0 }, from: 1e-8, to: 1e6)
        if cb == 0 && activation.value(0) == 0 { pts.insert(0, at: 0) }
        return pts
    }

    /// Iterate K ← f(K) from `k1` for `layers` − 1 steps: the profile K^(1) … K^(layers).
    public func profile(from k1: Double, layers: Int) -> [Double] {
        var k = k1
        var out = [k]
        out.reserveCapacity(layers)
        for _ in 1..<max(layers, 1) {
            k = self(k)
            out.append(k)
            if !k.isFinite { break }
        }
        return out
    }
}
