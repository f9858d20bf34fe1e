import Foundation
import Testing
@testable import Architecture
@testable import Gaussian
@testable import Linalg
@testable import SampledNetworks

/// Every coordinate of a parameter vector, flattened layer by layer (weights, then biases).
func flatten(_ v: ParameterVector) -> [Double] { v.layers.flatMap { $0.weights.storage + $0.biases } }

/// The unit vector along flattened coordinate k.
func unit(_ k: Int, like net: SampledNetwork) -> ParameterVector {
    var v = ParameterVector(zeroLike: net)
    var k = k
    for l in v.layers.indices {
        let w = v.layers[l].weights.storage.count, b = v.layers[l].biases.count
        if k < w { v.layers[l].weights.storage[k] = 1; return v }
        k -= w
        if k < b { v.layers[l].biases[k] = 1; return v }
        k -= b
    }
    fatalError("coordinate out of range")
}

func moved(_ net: SampledNetwork, along v: ParameterVector, by t: Double) -> SampledNetwork {
    var p = ParameterVector(layers: net.layers)
    p.add(v, scaledBy: t)
    var out = net
    out.layers = p.layers
    return out
}

@Suite struct DerivativeTests {
    static let activations = ["tanh", "gelu", "erf", "sin", "swish", "softplus"]

    /// σ″ and σ‴ of the smooth built-ins against central differences of σ′ and σ″.
    @Test(arguments: activations + ["sigmoid", "cos", "elu:0.7"])
    func activationDerivatives(_ name: String) throws {
        let act = try Activation.parse(name)
        let h = 1e-5
        for t in stride(from: -2.9, through: 2.9, by: 0.37) {
            let d2 = (act.derivative(t + h) - act.derivative(t - h)) / (2 * h)
            let d3 = (act.secondDerivative(t + h) - act.secondDerivative(t - h)) / (2 * h)
            #expect(abs(d2 - act.secondDerivative(t)) < 1e-8, "\(name) σ″(\(t))")
            #expect(abs(d3 - act.thirdDerivative(t)) < 1e-8, "\(name) σ‴(\(t))")
        }
    }

    /// Gradient, Hessian–vector product and cubic Taylor coefficient against central differences of
    /// the level below (error O(h²) with h = 1e-4: tolerance 1e-6 relative to the largest entry).
    @Test(arguments: activations)
    func derivativesMatchFiniteDifferences(_ name: String) throws {
        let spec = try NetworkSpec(inputDimension: 3, depth: 3, width: 5, outputWidth: 2, activation: try Activation.parse(name),
                                   cb: 0.2, cw: 1.4, lambdaB: 0.7, lambdaW: 1.3)
        let net = SampledNetwork(spec: spec, seed: 4, index: 2)
        let x = testInputs()
        var e = Matrix(rows: 3, cols: 2)
        e[0, 0] = 1; e[1, 1] = -0.5; e[2, 0] = 0.3
        func f(_ n: SampledNetwork) throws -> Double { let z = try n.forward(x).last!; return zip(z.storage, e.storage).reduce(0) { $0 + $1.0 * $1.1 } }
        let u = ParameterVector(normalLike: net, seed: 8, stream: 1)
        let (g, hu) = try net.hessianVectorProduct(x, cotangent: e, direction: u)
        let h = 1e-4
        let flatG = flatten(g)
        let fdG = try (0..<flatG.count).map { k in
            let v = unit(k, like: net)
            return (try f(moved(net, along: v, by: h)) - f(moved(net, along: v, by: -h))) / (2 * h)
        }
        let gScale = flatG.map(abs).max()!
        for k in flatG.indices { #expect(abs(fdG[k] - flatG[k]) < 1e-6 * gScale, "\(name) gradient \(k)") }
        // Hu = d/dt ∇f(θ + t u).
        let gp = flatten(try moved(net, along: u, by: h).gradient(x, cotangent: e))
        let gm = flatten(try moved(net, along: u, by: -h).gradient(x, cotangent: e))
        let flatHu = flatten(hu)
        let hScale = flatHu.map(abs).max()!
        for k in flatHu.indices { #expect(abs((gp[k] - gm[k]) / (2 * h) - flatHu[k]) < 1e-6 * hScale, "\(name) Hu \(k)") }
        // Taylor: c₁ = ∇f·u, 2c₂ = uᵀHu, 6c₃ = d/dt uᵀH(θ + tu)u.
        let c = try net.taylorCoefficients(x, direction: u)
        func contract(_ m: Matrix) -> Double { zip(m.storage, e.storage).reduce(0) { $0 + $1.0 * $1.1 } }
        #expect(abs(contract(c[1]) - g.dot(u)) < 1e-10 * abs(g.dot(u)) + 1e-12)
        #expect(abs(2 * contract(c[2]) - hu.dot(u)) < 1e-10 * abs(hu.dot(u)) + 1e-12)
        // Richardson-extrapolated central difference (error O(h⁴)).
        func uHu(_ t: Double) throws -> Double { try moved(net, along: u, by: t).hessianVectorProduct(x, cotangent: e, direction: u).product.dot(u) }
        let coarse = (try uHu(2 * h) - uHu(-2 * h)) / (4 * h), fine = (try uHu(h) - uHu(-h)) / (2 * h)
        let third = (4 * fine - coarse) / 3
        #expect(abs(6 * contract(c[3]) - third) < 1e-6 * max(abs(third), 1), "\(name) cubic: \(6 * contract(c[3])) vs \(third)")
        // Polarization: D³z[u, v, w] equals d/dt vᵀH(θ + t w)u.
        let v = ParameterVector(normalLike: net, seed: 8, stream: 2), w = ParameterVector(normalLike: net, seed: 8, stream: 3)
        let d3 = contract(try net.thirdDerivative(x, u, v, w))
        let hpw = try moved(net, along: w, by: h).hessianVectorProduct(x, cotangent: e, direction: u).product.dot(v)
        let hmw = try moved(net, along: w, by: -h).hessianVectorProduct(x, cotangent: e, direction: u).product.dot(v)
        #expect(abs(d3 - (hpw - hmw) / (2 * h)) < 1e-6 * max(abs(d3), 1), "\(name) D³z[u,v,w]")
    }

    /// The dNTK is the derivative of the NTK along the gradient direction (PDLT §11.1):
    /// d/dε Ĥ_{11}(θ + ε u₀) = 2 dĤ_{110}, and dĤ is symmetric in its last two indices;
    /// both parameterizations, so the λ weighting is checked too.
    @Test(arguments: [Parameterization.ntk, .standard])
    func dntkIsTheNTKsDerivative(_ parameterization: Parameterization) throws {
        let spec = try NetworkSpec(inputDimension: 3, depth: 4, width: 6, outputWidth: 2, activation: .tanh, cb: 0.1, cw: 1.5,
                                   lambdaB: 0.4, lambdaW: 0.9, parameterization: parameterization)
        let net = SampledNetwork(spec: spec, seed: 12, index: 5)
        let x = try Matrix([testInputs().row(1)])
        let e0 = net.cotangent(inputs: 1, input: 0, component: 0), e1 = net.cotangent(inputs: 1, input: 0, component: 1)
        let u0 = try net.gradient(x, cotangent: e0).weighted(by: spec)
        let u1 = try net.gradient(x, cotangent: e1).weighted(by: spec)
        let h = 1e-5
        let fd = (try moved(net, along: u0, by: h).empiricalNTK(x, component: 1)[0, 0]
                  - moved(net, along: u0, by: -h).empiricalNTK(x, component: 1)[0, 0]) / (2 * h)
        let dntk110 = u1.dot(try net.hessianVectorProduct(x, cotangent: e1, direction: u0).product)
        let dntk101 = u0.dot(try net.hessianVectorProduct(x, cotangent: e1, direction: u1).product)
        #expect(abs(fd - 2 * dntk110) < 1e-6 * abs(fd), "\(fd) vs \(2 * dntk110)")
        #expect(abs(dntk110 - dntk101) < 1e-12 * abs(dntk110))
        let sample = try net.differentialNTK(testInputs(), input: 1)
        #expect(sample.dntk001 == u0.dot(try net.hessianVectorProduct(x, cotangent: e0, direction: u1).product))
    }

    /// Power iteration against the full Hessian (built column by column from Hessian–vector
    /// products, diagonalized by LAPACK) in the λ metric.
    @Test(arguments: ["tanh", "relu"])
    func hessianNormMatchesFullSpectrum(_ name: String) throws {
        let spec = try NetworkSpec(inputDimension: 3, depth: 3, width: 4, outputWidth: 2, activation: try Activation.parse(name),
                                   cb: 0.1, cw: 1.6, lambdaB: 0.5, lambdaW: 1.5)
        let net = SampledNetwork(spec: spec, seed: 2, index: 9)
        let x = testInputs()
        let e = net.cotangent(inputs: 3, input: 2, component: 1)
        let count = flatten(ParameterVector(zeroLike: net)).count
        var full = Matrix(rows: count, cols: count)
        for k in 0..<count {
            let v = unit(k, like: net).weighted(by: spec, power: 0.5)
            let col = flatten(try net.hessianVectorProduct(x, cotangent: e, direction: v).product.weighted(by: spec, power: 0.5))
            for i in 0..<count { full[i, k] = col[i] }
        }
        #expect(full.asymmetry < 1e-12 * full.maxAbs)
        let exact = try SymmetricEigen(full).values.map(abs).max()!
        let power = try net.hessianNorm(x, input: 2, component: 1, seed: 1, tolerance: 1e-13, maxIterations: 400)
        #expect(power.converged)
        #expect(abs(power.norm - exact) < 1e-6 * exact, "\(name): power \(power.norm) vs LAPACK \(exact)")
    }

    /// The tensor samples with sample indices: on an all-equal tuple they are the single-input samples
    /// (P, Q, S, T, U to rounding; R is one of the two assignments the single-input sample averages), and
    /// they have the symmetries of the tensors (P in δ₁ ↔ δ₂, R in δ₂ ↔ δ₃, S/T/U under (δ₁δ₂)(δ₃δ₄) swap).
    @Test func differentialTensorsReduceToSingleInput() throws {
        let spec = try NetworkSpec(inputDimension: 3, depth: 3, width: 6, outputWidth: 2, activation: .tanh, cb: 0.1, cw: 1.5,
                                   lambdaB: 0.5, lambdaW: 1.2)
        let net = SampledNetwork(spec: spec, seed: 4, index: 2)
        let x = testInputs()
        let n = x.rows
        let t = try net.differentialNTKTensors(x)
        func at(_ v: [Double], _ a: Int, _ b: Int, _ c: Int, _ d: Int) -> Double { v[((a * n + b) * n + c) * n + d] }
        for d in 0..<n {
            let single = try net.differentialNTK(x, input: d)
            for (mine, theirs) in [(t.p, single.p), (t.q, single.q), (t.s, single.s), (t.t, single.t), (t.u, single.u)] {
                #expect(abs(at(mine, d, d, d, d) - theirs) <= 1e-12 * max(abs(theirs), 1e-3))
            }
            let xi = try Matrix([x.row(d)])
            let u0 = try net.gradient(xi, cotangent: net.cotangent(inputs: 1, input: 0, component: 0)).weighted(by: spec)
            let u1 = try net.gradient(xi, cotangent: net.cotangent(inputs: 1, input: 0, component: 1)).weighted(by: spec)
            let r = try net.thirdDerivative(xi, u0, u1, u1)[0, 0]
            #expect(abs(at(t.r, d, d, d, d) - r) <= 1e-10 * max(abs(r), 1e-3))
        }
        for a in 0..<n { for b in 0..<n { for c in 0..<n { for d in 0..<n {
            #expect(abs(at(t.p, a, b, c, d) - at(t.p, a, c, b, d)) <= 1e-12 * max(abs(at(t.p, a, b, c, d)), 1e-6))
            #expect(at(t.r, a, b, c, d) == at(t.r, a, b, d, c))
            for v in [t.s, t.t, t.u] { #expect(abs(at(v, a, b, c, d) - at(v, b, a, d, c)) <= 1e-12 * max(abs(at(v, a, b, c, d)), 1e-6)) }
        } } } }
    }
}
