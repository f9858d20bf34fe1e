import Foundation
import Gaussian

/// How the single-input kernel K^(ℓ), the perpendicular derivative kernel
/// D^(ℓ) = ∂_u∂_{u′}K^(ℓ)(x, x′)|_{x=x′} (u ⊥ x, so that D^(ℓ+1) = χ_⊥(K^(ℓ)) D^(ℓ); Hanin's lecture)
/// and the NTK Θ^(ℓ) behave with depth, measured on the recursions and, where PDLT derives them,
/// predicted (PDLT §5.2, §5.3.3, §9.3 at criticality).
///
/// Exponents are defined by K^(ℓ) ∝ ℓ^{−α}, D^(ℓ) ∝ ℓ^{−β}, Θ^(ℓ) ∝ ℓ^{γ}.
public struct DepthBehaviour: Codable, Sendable {
    public var layers: [Int]
    public var kernel: [Double]
    public var derivativeKernel: [Double]
    public var ntk: [Double]
    /// Log–log slopes fitted over the last half of the layers (as −α, −β, γ).
    public var alphaMeasured: Double
    public var betaMeasured: Double
    public var gammaMeasured: Double
    /// Predictions where the class has them: scale-invariant α = β = 0, γ = 1; K* = 0 class
    /// α = 1, β = p_⊥, γ = 1 if λ_b > 0 else 0 (K^(ℓ) ≈ 1/(−a₁ℓ), Θ^(ℓ) ≈ λ_b ℓ/(1 + p_⊥) + λ_W σ₁²/(−a₁ p_⊥)).
    public var alphaTheory: Double?
    public var betaTheory: Double?
    public var gammaTheory: Double?
    /// For the K* = 0 class: the asymptotic forms' values at the deepest layer.
    public var kernelAsymptotic: Double?
    public var ntkAsymptotic: Double?

    enum CodingKeys: String, CodingKey {
        case layers, kernel, derivativeKernel = "derivative_kernel", ntk
        case alphaMeasured = "alpha_measured", betaMeasured = "beta_measured", gammaMeasured = "gamma_measured"
        case alphaTheory = "alpha_theory", betaTheory = "beta_theory", gammaTheory = "gamma_theory"
        case kernelAsymptotic = "kernel_asymptotic", ntkAsymptotic = "ntk_asymptotic"
    }

    /// Run the single-input recursions for `depth` layers from K^(1) = `k1` (D^(1) = 1, Θ^(1) = λ_b + λ_W k1-part).
    /// `q0` is |x|²/n₀ of the input.
    public static func compute(activation: Activation, cb: Double, cw: Double, lambdaB: Double, lambdaW: Double,
                               q0: Double = 1, depth: Int = 1000, critical: CriticalPoint? = nil) -> DepthBehaviour {
        let map = SingleInputMap(activation: activation, cb: cb, cw: cw)
        var k = cb + cw * q0
        var d = cw      // D^(1) = C_W |u|²/n₀ with |u|²/n₀ = 1
        var t = lambdaB + lambdaW * q0
        var ks = [k], ds = [d], ts = [t]
        for _ in 1..<max(depth, 2) {
            let m = activation.singleMoments(k)
            t = lambdaB + lambdaW * m.sigma2 + cw * m.deriv2 * t
            d = cw * m.deriv2 * d
            k = map(k)
            ks.append(k); ds.append(d); ts.append(t)
            if !(k.isFinite && t.isFinite) { break }
        }
        let ls = Array(1...ks.count)
        var out = DepthBehaviour(layers: ls, kernel: ks, derivativeKernel: ds, ntk: ts,
                                 alphaMeasured: -logSlope(ls, ks), betaMeasured: -logSlope(ls, ds),
                                 gammaMeasured: logSlope(ls, ts))
        if let c = critical {
            switch c.universalityClass {
            case .scaleInvariant:
                out.alphaTheory = 0; out.betaTheory = 0; out.gammaTheory = (lambdaB > 0 || lambdaW > 0) ? 1 : 0
            case .kStarZero:
                if let a1 = c.a1, let p = c.pPerp, let s1 = activation.taylorAtZero?.s1 {
                    let l = Double(ls.last!)
                    out.alphaTheory = 1; out.betaTheory = p; out.gammaTheory = lambdaB > 0 ? 1 : 0
                    out.kernelAsymptotic = 1 / (-a1 * l)
                    out.ntkAsymptotic = lambdaB * l / (1 + p) + lambdaW * s1 * s1 / (-a1 * p)
                }
            case .kStarNonzero:
                out.alphaTheory = 0; out.betaTheory = 0; out.gammaTheory = 1
            case .none: break
            }
        }
        return out
    }
}

/// Least-squares slope of log y against log x over the last half of the points (positive y only).
public func logSlope(_ x: [Int], _ y: [Double]) -> Double {
    let start = x.count / 2
    var pts: [(Double, Double)] = []
    for i in start..<x.count where y[i] > 0 && y[i].isFinite { pts.append((Foundation.log(Double(x[i])), Foundation.log(y[i]))) }
    guard pts.count >= 2 else { return .nan }
    let mx = pts.reduce(0) { $0 + $1.0 } / Double(pts.count), my = pts.reduce(0) { $0 + $1.1 } / Double(pts.count)
    var sxy = 0.0, sxx = 0.0
    for (a, b) in pts { sxy += (a - mx) * (b - my); sxx += (a - mx) * (a - mx) }
    return sxx > 0 ? sxy / sxx : .nan
}
