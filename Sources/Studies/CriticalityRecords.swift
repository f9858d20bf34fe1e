import Criticality
import DataIO
import Foundation
import Gaussian

/// JSON records of the criticality analysis (the `dlt criticality` output and the report's table).
public enum CriticalityReport {
    /// A critical point as JSON, with the contract keys first: `activation, class, cb, cw, kstar,
    /// chi_parallel, chi_perp, reason` (null where absent), then the K* = 0 class coefficients.
    public static func json(_ cp: CriticalPoint) -> JSONValue {
        .object([
            ("activation", .string(cp.activation)), ("class", .string(cp.universalityClass.rawValue)),
            ("cb", .optional(cp.cb)), ("cw", .optional(cp.cw)), ("kstar", .optional(cp.kstar)),
            ("chi_parallel", .optional(cp.chiParallel)), ("chi_perp", .optional(cp.chiPerp)),
            ("reason", cp.reason.map { .string($0) } ?? .null),
            ("a1", .optional(cp.a1)), ("b1", .optional(cp.b1)), ("p_perp", .optional(cp.pPerp)),
            ("second_order", .optional(cp.secondOrder)),
        ])
    }

    /// The critical point of `activation` with the depth behaviour there (PDLT ch. 5, 9): `json(_:)`
    /// plus `depth_behaviour` — exponents α, β, γ measured over 1000 layers and predicted, with
    /// λ_b = C_b, λ_W = C_W — and `profile`, the first `profileDepth` layers of K^(ℓ) and Θ^(ℓ).
    /// K^(1) starts at K* for the K* ≠ 0 class, else at C_b + C_W (|x|²/n₀ = 1).
    public static func critical(_ activation: Activation, profileDepth: Int = 50) -> JSONValue {
        let cp = CriticalitySolver.solve(activation)
        guard let cb = cp.cb, let cw = cp.cw, case var .object(pairs) = json(cp) else { return json(cp) }
        let q0 = cp.universalityClass == .kStarNonzero ? (cp.kstar! - cb) / cw : 1
        let d = DepthBehaviour.compute(activation: activation, cb: cb, cw: cw, lambdaB: cb, lambdaW: cw,
                                       q0: q0, depth: max(1000, profileDepth), critical: cp)
        // The single-input NTK recursion at K* (PDLT §9.1): Θ′ = source + χ_⊥ Θ, with λ = C.
        let kstar = cp.kstar ?? (cb + cw)
        pairs.append(("ntk_susceptibility", .optional(SingleInputMap(activation: activation, cb: cb, cw: cw).chiPerpendicular(kstar))))
        pairs.append(("ntk_source", .number(cb + cw * activation.singleMoments(kstar).sigma2)))
        pairs.append(("depth_behaviour", .object([
            ("depth", .int(d.layers.count)),
            ("alpha_measured", .number(d.alphaMeasured)), ("alpha_theory", .optional(d.alphaTheory)),
            ("beta_measured", .number(d.betaMeasured)), ("beta_theory", .optional(d.betaTheory)),
            ("gamma_measured", .number(d.gammaMeasured)), ("gamma_theory", .optional(d.gammaTheory)),
            ("kernel_last", .number(d.kernel.last!)), ("kernel_asymptotic", .optional(d.kernelAsymptotic)),
            ("ntk_last", .number(d.ntk.last!)), ("ntk_asymptotic", .optional(d.ntkAsymptotic)),
        ])))
        let n = min(profileDepth, d.kernel.count)
        pairs.append(("profile", .object([("kernel", .vector(Array(d.kernel.prefix(n)))), ("ntk", .vector(Array(d.ntk.prefix(n))))])))
        return .object(pairs)
    }
}
