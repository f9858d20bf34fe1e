import Foundation

/// Gaussian expectations ⟨f(z)⟩_K and ⟨f(u) g(v)⟩_K (PDLT §1.2 notation ⟨·⟩_K), by adaptive
/// Gauss–Kronrod quadrature with an error estimate.
///
/// One dimension: z = √K x with x standard normal; the integral over x ∈ [−X, X] (X = 12: the
/// Gaussian tail beyond carries < 1e-31 for integrands of polynomial growth) is split at the
/// activation's kinks.
///
/// Two dimensions: u = √K₁₁ x and v = m(x) + s y with m(x) = (K₁₂/√K₁₁) x and conditional standard
/// deviation s = √(K₁₁K₂₂ − K₁₂²)/√K₁₁. The pair is described by its *deficit*
/// d = √(K₁₁K₂₂) − K₁₂ ≥ 0 so that K₁₁K₂₂ − K₁₂² = d(2√(K₁₁K₂₂) − d) has no cancellation when the
/// correlation approaches ±1. Nested adaptive quadrature, inner over y (split where v crosses a kink
/// of g), outer over x (split at kinks of f and where m(x) crosses a kink of g).
public enum Gaussian {
    /// Half-width of the standardized integration range.
    public static let range = 12.0
    /// Initial panel edges in the standardized variable, matched to the Gaussian weight's scale so
    /// that most panels converge at once.
    static let standardBreaks: [Double] = [-6.5, -4.5, -3, -2, -1, 0, 1, 2, 3, 4.5, 6.5]

    /// ⟨f(z)⟩ for z ~ N(mean, variance), with the result's error estimate. `kinks` are points in z
    /// where f is not smooth. `scale`, when given, sets the size against which the relative
    /// tolerance is measured (use it when the expectation may vanish by symmetry).
    public static func expectation(
        _ f: (Double) -> Double, mean: Double = 0, variance: Double, kinks: [Double] = [],
        scale: Double? = nil, tolerance: Double = 1e-13
    ) -> Quadrature.Result {
        precondition(variance >= 0, "variance must be non-negative")
        if variance == 0 { return .init(value: f(mean), errorEstimate: 0, evaluations: 1, converged: true) }
        let sd = variance.squareRoot()
        let breaks = kinks.map { ($0 - mean) / sd }.filter { Swift.abs($0) < range } + standardBreaks
        var q = Quadrature(relativeTolerance: tolerance)
        if let scale { q.absoluteTolerance = tolerance * scale }
        return q.integrate({ x in f(mean + sd * x) * standardNormalDensity(x) }, from: -range, to: range,
                           breakpoints: breaks)
    }

    /// ⟨f(z)⟩ for a 2-vector f (two expectations sharing their nodes), z ~ N(mean, variance);
    /// `scale[lane]` sets the size against which that lane's relative tolerance is measured.
    public static func expectation2(
        _ f: (Double) -> SIMD2<Double>, mean: Double = 0, variance: Double, kinks: [Double] = [],
        scale: SIMD2<Double>, tolerance: Double
    ) -> Quadrature.Result2 {
        if variance == 0 { return .init(value: f(mean), errorEstimate: SIMD2(), evaluations: 1, converged: true) }
        let sd = variance.squareRoot()
        let breaks = kinks.map { ($0 - mean) / sd }.filter { Swift.abs($0) < range } + standardBreaks
        let q = Quadrature(relativeTolerance: tolerance)
        return q.integrate2({ x in f(mean + sd * x) * standardNormalDensity(x) }, from: -range, to: range,
                            breakpoints: breaks, absoluteTolerance: tolerance * scale)
    }

    /// ⟨f(u) g(v)⟩ for (u, v) centred Gaussian with variances k11, k22 and deficit
    /// `deficit` = √(k11 k22) − k12 ∈ [0, 2√(k11 k22)].
    public static func expectation(
        _ f: @escaping (Double) -> Double, _ g: @escaping (Double) -> Double,
        k11: Double, k22: Double, deficit: Double, kinksF: [Double] = [], kinksG: [Double] = [],
        tolerance: Double = 1e-12
    ) -> Quadrature.Result {
        let r = pairExpectation({ SIMD2(f($0), 0) }, { SIMD2(g($0), 0) }, k11: k11, k22: k22, deficit: deficit,
                                kinksF: kinksF, kinksG: kinksG, tolerance: tolerance)
        return .init(value: r.value[0], errorEstimate: r.errorEstimate[0], evaluations: r.evaluations, converged: r.converged)
    }

    /// ⟨F(u) ⊙ G(v)⟩ lane by lane for 2-vector functions F, G (e.g. F = (σ, σ′), G = (σ, σ′) gives
    /// ⟨σσ⟩ and ⟨σ′σ′⟩ from one nested pass), (u, v) as in `expectation(_:_:k11:k22:deficit:)`.
    public static func pairExpectation(
        _ f: @escaping (Double) -> SIMD2<Double>, _ g: @escaping (Double) -> SIMD2<Double>,
        k11: Double, k22: Double, deficit: Double, kinksF: [Double] = [], kinksG: [Double] = [],
        tolerance: Double = 1e-12
    ) -> Quadrature.Result2 {
        precondition(k11 >= 0 && k22 >= 0, "variances must be non-negative")
        let s = (k11 * k22).squareRoot()
        let d = min(max(deficit, 0), 2 * s)
        let k12 = s - d
        let one = SIMD2<Double>(1, 1)
        if k11 == 0 {
            let inner = expectation2(g, variance: k22, kinks: kinksG, scale: one, tolerance: tolerance)
            return .init(value: f(0) * inner.value, errorEstimate: magnitude(f(0)) * inner.errorEstimate,
                         evaluations: inner.evaluations, converged: inner.converged)
        }
        let sd1 = k11.squareRoot()
        let slope = k12 / sd1                       // m(x) = slope · x
        let condVar = max(d * (2 * s - d), 0) / k11 // Var(v | u)
        // The scale of the answer (Cauchy–Schwarz bound) makes the tolerance meaningful when the
        // expectation vanishes, e.g. for odd f and g at zero correlation.
        let f2 = expectation2({ let v = f($0); return v * v }, variance: k11, kinks: kinksF, scale: one, tolerance: 1e-10).value
        let g2 = expectation2({ let v = g($0); return v * v }, variance: k22, kinks: kinksG, scale: one, tolerance: 1e-10).value
        let gScale = SIMD2(g2[0].squareRoot(), g2[1].squareRoot())
        let scale = SIMD2((f2[0] * g2[0]).squareRoot(), (f2[1] * g2[1]).squareRoot())
        var evaluations = 0
        var innerError = SIMD2<Double>()
        var innerOK = true
        let inner: (Double) -> SIMD2<Double> = { x in
            let r = expectation2(g, mean: slope * x, variance: condVar, kinks: kinksG, scale: gScale, tolerance: tolerance * 0.1)
            evaluations += r.evaluations
            innerError = SIMD2(max(innerError[0], r.errorEstimate[0]), max(innerError[1], r.errorEstimate[1]))
            innerOK = innerOK && r.converged
            return r.value
        }
        var breaks = kinksF.map { $0 / sd1 }
        if slope != 0 {
            // Where m(x) crosses a kink of g, I(x) changes over a width s/|slope| in x, which can be
            // far narrower than any panel: log-spaced breakpoints resolve every scale.
            let width = condVar.squareRoot() / Swift.abs(slope)
            for kink in kinksG {
                let x0 = kink / slope
                breaks.append(x0)
                var w = width
                while w < 1 && w > 0 {
                    breaks += [x0 - w, x0 + w]
                    w *= 4
                }
            }
        }
        breaks = breaks.filter { Swift.abs($0) < range } + standardBreaks
        let q = Quadrature(relativeTolerance: tolerance)
        var r = q.integrate2({ x in f(sd1 * x) * inner(x) * standardNormalDensity(x) }, from: -range, to: range,
                             breakpoints: breaks, absoluteTolerance: tolerance * scale)
        r.evaluations += evaluations
        r.errorEstimate += innerError * SIMD2(f2[0].squareRoot(), f2[1].squareRoot())
        r.converged = r.converged && innerOK
        return r
    }
}

/// φ(x) = e^{−x²/2}/√(2π).
@inlinable public func standardNormalDensity(_ x: Double) -> Double {
    0.398942280401432677939946059934381868 * Foundation.exp(-0.5 * x * x)
}
