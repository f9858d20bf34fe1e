import Architecture
import Linalg

/// The dNTK and ddNTKs of one sampled network on one input, contracted as in PDLT §11.1–11.3, and
/// the norm of the Hessian of an output (Hanin's lecture), from exact derivatives.
///
/// With g_i = ∇_θ z_i and u_i = λ g_i (the direction gradient descent moves z_i's parameters):
/// - dĤ_{i₀i₁i₂} = Σ λλ ∂²z_{i₀} ∂z_{i₁} ∂z_{i₂} = u_{i₁} · (∇²z_{i₀}) u_{i₂};
/// - dd_IĤ_{i₀i₁i₂i₃} = D³z_{i₀}[u_{i₁}, u_{i₂}, u_{i₃}];
/// - dd_IIĤ_{i₁i₂i₃i₄} = Σ λλλ ∂²z_{i₁}∂²z_{i₂}∂z_{i₃}∂z_{i₄} (the two Hessians sharing one index)
///   = (∇²z_{i₁} u_{i₃}) · λ (∇²z_{i₂} u_{i₄}).
/// Their statistics at order 1/n (single input, n = n_{L−1}):
/// E[dĤ_{i₀i₁i₂} z_{i₃}] = (δ_{i₀i₃}δ_{i₁i₂} P + δ_{i₀i₁}δ_{i₂i₃} Q + δ_{i₀i₂}δ_{i₁i₃} Q)/n,
/// E[dd_IĤ_{i₀i₁i₂i₃}] = (δ_{i₀i₁}δ_{i₂i₃} + δ_{i₀i₂}δ_{i₁i₃} + δ_{i₀i₃}δ_{i₁i₂}) R/n,
/// E[dd_IIĤ_{i₁i₂i₃i₄}] = (δ_{i₁i₂}δ_{i₃i₄} S + δ_{i₁i₃}δ_{i₂i₄} T + δ_{i₁i₄}δ_{i₂i₃} U)/n.
public struct DifferentialNTKSample: Sendable, Equatable {
    /// Samples whose mean times n_{L−1} estimates P, Q, R, S, T, U: each averages the two
    /// equivalent assignments of output components 0 and 1.
    public var p: Double, q: Double, r: Double, s: Double, t: Double, u: Double
    /// The same contractions for the record: dĤ_{011}, dĤ_{001}, z₀, z₁.
    public var dntk011: Double, dntk001: Double, z0: Double, z1: Double
}

extension SampledNetwork {
    /// dNTK and ddNTK contractions on input row `input` of `x` for output components 0 and 1
    /// (the spec needs at least two outputs).
    public func differentialNTK(_ x: Matrix, input: Int) throws -> DifferentialNTKSample {
        precondition(spec.outputWidth >= 2, "the dNTK statistics need at least two output components")
        let xi = try Matrix([x.row(input)])
        let s0 = try BackpropState(network: self, x: xi, cotangent: cotangent(inputs: 1, input: 0, component: 0))
        let s1 = try BackpropState(network: self, x: xi, cotangent: cotangent(inputs: 1, input: 0, component: 1))
        let u0 = s0.gradient.weighted(by: spec), u1 = s1.gradient.weighted(by: spec)
        let h0u0 = try s0.hessianVectorProduct(u0), h0u1 = try s0.hessianVectorProduct(u1)
        let h1u0 = try s1.hessianVectorProduct(u0), h1u1 = try s1.hessianVectorProduct(u1)
        let z = try forward(xi).last!
        let (z0, z1) = (z[0, 0], z[0, 1])
        let dntk011 = u1.dot(h0u1), dntk100 = u0.dot(h1u0)
        let dntk001 = u0.dot(h0u1), dntk110 = u1.dot(h1u0)
        // Cubic Taylor coefficients along u₀ ± u₁, u₀, u₁ give D³z_i[u₀, u₁, u₁] and D³z_i[u₁, u₀, u₀]:
        // T(a, b, b) = [T(a + b) + T(a − b) − 2 T(a)]/6 with T(y) = D³z[y, y, y] = 6 c₃(y).
        func cubic(_ y: ParameterVector) throws -> (Double, Double) {
            let c3 = try taylorCoefficients(xi, direction: y)[3]
            return (6 * c3[0, 0], 6 * c3[0, 1])
        }
        var plus = u0; plus.add(u1)
        var minus = u0; minus.add(u1, scaledBy: -1)
        let (tp0, tp1) = try cubic(plus), (tm0, tm1) = try cubic(minus)
        let (ta0, _) = try cubic(u0), (_, tb1) = try cubic(u1)
        let ddI0011 = (tp0 + tm0 - 2 * ta0) / 6           // D³z₀[u₀, u₁, u₁]
        let ddI1100 = (tp1 - tm1 - 2 * tb1) / 6           // D³z₁[u₁, u₀, u₀], T₁(u₁ − u₀) = −T₁(u₀ − u₁)
        let lh0u1 = h0u1.weighted(by: spec), lh0u0 = h0u0.weighted(by: spec)
        return DifferentialNTKSample(
            p: 0.5 * (dntk011 * z0 + dntk100 * z1),
            q: 0.5 * (dntk001 * z1 + dntk110 * z0),
            r: 0.5 * (ddI0011 + ddI1100),
            s: 0.5 * (h0u1.dot(lh0u1) + h1u0.dot(h1u0.weighted(by: spec))),
            t: h1u1.dot(lh0u0),
            u: h1u0.dot(lh0u1),
            dntk011: dntk011, dntk001: dntk001, z0: z0, z1: z1)
    }

    /// ‖λ^{1/2} (∇²_θ z_component(x_input)) λ^{1/2}‖, the spectral norm (largest |eigenvalue|) of the
    /// Hessian of one output in the metric of the learning-rate tensor, from exact Hessian–vector
    /// products by Lanczos iteration — power iteration accelerated in its Krylov space: after k
    /// products the largest |Ritz value| is at least the k-step power-iteration estimate ‖A v_k‖ from the
    /// same start, and it converges much faster when the top eigenvalues come in near ± pairs, as they
    /// do for the (block off-diagonal) Hessians of ReLU networks. Stops when the largest |Ritz value|
    /// changes by less than `tolerance` (relative) between steps, or after `maxIterations`. The start
    /// vector comes from the counter-based generator keyed by (seed, network index).
    public func hessianNorm(_ x: Matrix, input: Int, component: Int = 0, seed: UInt64, tolerance: Double = 1e-10,
                            maxIterations: Int = 200) throws -> (norm: Double, iterations: Int, converged: Bool) {
        try hessianNorm(try Matrix([x.row(input)]), cotangent: cotangent(inputs: 1, input: 0, component: component), seed: seed,
                        tolerance: tolerance, maxIterations: maxIterations)
    }

    /// The same for f = Σ_{δi} c_{δi} z_{i;δ} with any cotangent c (N × n_L): ‖λ^{1/2} (Σ c ∇²_θ z) λ^{1/2}‖, e.g. the
    /// curvature of the outputs along a residual direction (the lazy-training criterion, Chizat et al. 2019).
    public func hessianNorm(_ x: Matrix, cotangent c: Matrix, seed: UInt64, tolerance: Double = 1e-10,
                            maxIterations: Int = 200) throws -> (norm: Double, iterations: Int, converged: Bool) {
        let state = try BackpropState(network: self, x: x, cotangent: c)
        func apply(_ v: ParameterVector) throws -> ParameterVector {
            try state.hessianVectorProduct(v.weighted(by: spec, power: 0.5)).weighted(by: spec, power: 0.5)
        }
        var v = ParameterVector(normalLike: self, seed: seed, stream: UInt64(index) &+ 0x4E55)
        v = v.scaled(by: 1 / v.norm)
        var previous = ParameterVector(zeroLike: self)
        var alpha: [Double] = [], beta: [Double] = []
        var estimate = 0.0
        for it in 1...maxIterations {
            var w = try apply(v)
            if let b = beta.last { w.add(previous, scaledBy: -b) }
            let a = w.dot(v)
            w.add(v, scaledBy: -a)
            alpha.append(a)
            let b = w.norm
            // Largest |eigenvalue| of the tridiagonal T_k (α on the diagonal, β beside it).
            let ritz = try tridiagonalEigenvalues(diagonal: alpha, offDiagonal: beta).map { Swift.abs($0) }.max()!
            if Swift.abs(ritz - estimate) <= tolerance * ritz || b <= 1e-14 * ritz { return (ritz, it, true) }
            estimate = ritz
            beta.append(b)
            previous = v
            v = w.scaled(by: 1 / b)
        }
        return (estimate, maxIterations, false)
    }
}
