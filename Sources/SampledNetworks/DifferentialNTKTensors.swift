import Architecture
import Linalg

/// The dNTK and ddNTK of one sampled network with a sample index on every z (PDLT §11.1–11.3, §∞.1;
/// docs/derivations/dntk-two-inputs.md): the per-network samples whose means times n_{L−1} estimate the
/// tensors P, Q, R, S, T, U_{δ₀δ₁δ₂δ₃} of `TwoInputDifferentialNTK` / `MultiInputStatistics`, from output
/// components 0 and 1 (so that the Kronecker structures in the output indices pick one tensor each):
///   P: dĤ_{011;δ₀δ₁δ₂} z_{0;δ₃},   Q: dĤ_{001;δ₀δ₁δ₂} z_{1;δ₃},   R: dd_IĤ_{0011;δ₀δ₁δ₂δ₃},
///   S: dd_IIĤ_{0011;δ₁δ₂δ₃δ₄},     T: dd_IIĤ_{0101;…},             U: dd_IIĤ_{0110;…},
/// each P, Q, S, T, U averaged with the assignment that swaps components 0 and 1 (same expectation).
/// With u_{i;δ} = λ∇z_{i;δ} and H_{i;δ} = ∇²z_{i;δ}: dĤ_{i₀i₁i₂;δ₀δ₁δ₂} = u_{i₁;δ₁}·H_{i₀;δ₀}u_{i₂;δ₂},
/// dd_IIĤ_{i₁i₂i₃i₄;δ₁δ₂δ₃δ₄} = (H_{i₁;δ₁}u_{i₃;δ₃})·λ(H_{i₂;δ₂}u_{i₄;δ₄}) — 4N² Hessian–vector products — and
/// dd_IĤ_{0011;δ₀δ₁δ₂δ₃} = D³z_{0;δ₀}[u_{0;δ₁}, u_{1;δ₂}, u_{1;δ₃}] (`thirdDerivative`: all inputs δ₀ in 4 Taylor
/// passes per (δ₁, δ₂ ≤ δ₃)).
public struct DifferentialNTKTensorSample: Sendable, Equatable {
    public let inputs: Int
    /// Flat N⁴ arrays, index ((δ₀N + δ₁)N + δ₂)N + δ₃.
    public var p: [Double], q: [Double], r: [Double], s: [Double], t: [Double], u: [Double]
}

extension SampledNetwork {
    /// The samples of P … U on every tuple of the rows of `x` (the spec needs at least two outputs).
    public func differentialNTKTensors(_ x: Matrix) throws -> DifferentialNTKTensorSample {
        precondition(spec.outputWidth >= 2, "the dNTK statistics need at least two output components")
        let n = x.rows
        // States, gradients and directions for every (component i, input δ), index i·N + δ.
        let states = try (0..<2).flatMap { i in try (0..<n).map { d in
            try BackpropState(network: self, x: x, cotangent: cotangent(inputs: n, input: d, component: i)) } }
        let dirs = states.map { $0.gradient.weighted(by: spec) }
        // hv[a][b] = H_a u_b for a, b over (component, input).
        let hv = try states.map { s in try dirs.map { try s.hessianVectorProduct($0) } }
        let lhv = hv.map { row in row.map { $0.weighted(by: spec) } }
        let z = try forward(x).last!
        func id(_ i: Int, _ d: Int) -> Int { i * n + d }
        func flat(_ a: Int, _ b: Int, _ c: Int, _ d: Int) -> Int { ((a * n + b) * n + c) * n + d }
        let count = n * n * n * n
        var sample = DifferentialNTKTensorSample(inputs: n, p: .init(repeating: 0, count: count), q: .init(repeating: 0, count: count),
                                                 r: .init(repeating: 0, count: count), s: .init(repeating: 0, count: count),
                                                 t: .init(repeating: 0, count: count), u: .init(repeating: 0, count: count))
        /// dĤ_{i₀i₁i₂;d₀d₁d₂}
        func dntk(_ i0: Int, _ i1: Int, _ i2: Int, _ d0: Int, _ d1: Int, _ d2: Int) -> Double {
            dirs[id(i1, d1)].dot(hv[id(i0, d0)][id(i2, d2)])
        }
        /// dd_IIĤ_{i₁i₂i₃i₄;d₁d₂d₃d₄}
        func ddII(_ i1: Int, _ i2: Int, _ i3: Int, _ i4: Int, _ d1: Int, _ d2: Int, _ d3: Int, _ d4: Int) -> Double {
            hv[id(i1, d1)][id(i3, d3)].dot(lhv[id(i2, d2)][id(i4, d4)])
        }
        for a in 0..<n { for b in 0..<n { for c in 0..<n { for d in 0..<n {
            let k = flat(a, b, c, d)
            sample.p[k] = 0.5 * (dntk(0, 1, 1, a, b, c) * z[d, 0] + dntk(1, 0, 0, a, b, c) * z[d, 1])
            sample.q[k] = 0.5 * (dntk(0, 0, 1, a, b, c) * z[d, 1] + dntk(1, 1, 0, a, b, c) * z[d, 0])
            sample.s[k] = 0.5 * (ddII(0, 0, 1, 1, a, b, c, d) + ddII(1, 1, 0, 0, a, b, c, d))
            sample.t[k] = 0.5 * (ddII(0, 1, 0, 1, a, b, c, d) + ddII(1, 0, 1, 0, a, b, c, d))
            sample.u[k] = 0.5 * (ddII(0, 1, 1, 0, a, b, c, d) + ddII(1, 0, 0, 1, a, b, c, d))
        } } } }
        // R: D³z_{0;δ₀}[u_{0;δ₁}, u_{1;δ₂}, u_{1;δ₃}] for all δ₀ per Taylor pass; symmetric in (δ₂, δ₃).
        for b in 0..<n { for c in 0..<n { for d in c..<n {
            let d3 = try thirdDerivative(x, dirs[id(0, b)], dirs[id(1, c)], dirs[id(1, d)])  // all inputs δ₀ at once
            for a in 0..<n {
                sample.r[flat(a, b, c, d)] = d3[a, 0]
                sample.r[flat(a, b, d, c)] = d3[a, 0]
            }
        } } }
        return sample
    }
}
