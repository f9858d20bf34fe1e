import Architecture
import Gaussian
import Linalg

/// Exact parameter derivatives of a sampled network's outputs, batched over inputs with every
/// product a DGEMM: gradients (reverse mode), Hessian–vector products (forward over reverse) and
/// third directional derivatives (univariate Taylor mode + polarization). These are the Monte-Carlo
/// side of the dNTK and ddNTKs of PDLT ch. 11 and of the Hessian norm of Hanin's lecture.
///
/// Everything is for a scalar f(θ) = Σ_{δ,i} E_{δi} z^(L)_{i;δ}(θ) with a cotangent E (N × n_L):
/// E = e_δ e_iᵀ picks one output component on one input.
extension SampledNetwork {
    /// Preactivations z^(ℓ) (ℓ = 1 … L) and the inputs to each layer a^(ℓ−1) (a^(0) = x, a^(ℓ) = σ(z^(ℓ))).
    func states(_ x: Matrix) throws -> (z: [Matrix], a: [Matrix]) {
        let z = try forward(x)
        var a = [x]
        for l in 0..<(z.count - 1) {
            var s = z[l]
            s.storage.withUnsafeMutableBufferPointer { spec.activation.applyInPlace($0) }
            a.append(s)
        }
        return (z, a)
    }

    /// The cotangent selecting output component `component` on input row `input` of an N-row batch.
    public func cotangent(inputs: Int, input: Int, component: Int) -> Matrix {
        var e = Matrix(rows: inputs, cols: spec.outputWidth)
        e[input, component] = 1
        return e
    }

    /// ∇_θ f for f = Σ E_{δi} z^(L)_{i;δ} (reverse mode, PDLT eq. 7.18–7.19 chain rule):
    /// e^(L) = E, e^(ℓ) = (e^(ℓ+1) W^(ℓ+1)) ⊙ σ′(z^(ℓ)); ∂f/∂W^(ℓ) = e^(ℓ)ᵀ a^(ℓ−1), ∂f/∂b^(ℓ) = Σ_δ e^(ℓ)_δ.
    public func gradient(_ x: Matrix, cotangent e: Matrix) throws -> ParameterVector {
        try BackpropState(network: self, x: x, cotangent: e).gradient
    }

    /// ∇_θ f and the exact Hessian–vector product (∇²_θ f) u (see `BackpropState`).
    public func hessianVectorProduct(_ x: Matrix, cotangent e: Matrix, direction u: ParameterVector) throws
        -> (gradient: ParameterVector, product: ParameterVector)
    {
        let state = try BackpropState(network: self, x: x, cotangent: e)
        return (state.gradient, try state.hessianVectorProduct(u))
    }

    /// Taylor coefficients of the outputs along a straight line in parameter space:
    /// z^(L)(θ + t u) = Σ_{k=0}^{3} c_k t^k + O(t⁴), each c_k N × n_L. Per layer, with W(t) = W + tU,
    /// c_k(z) = c_k(a) Wᵀ + c_{k−1}(a) Uᵀ (+ u_b at k = 1), and through σ (Faà di Bruno):
    /// a₁ = σ′z₁, a₂ = σ′z₂ + σ″z₁²/2, a₃ = σ′z₃ + σ″z₁z₂ + σ‴z₁³/6.
    public func taylorCoefficients(_ x: Matrix, direction u: ParameterVector) throws -> [Matrix] {
        let act = spec.activation
        var a = [x, Matrix(rows: x.rows, cols: x.cols), Matrix(rows: x.rows, cols: x.cols), Matrix(rows: x.rows, cols: x.cols)]
        var c: [Matrix] = []
        for l in 0..<layers.count {
            c = []
            for k in 0...3 {
                var zk = try Matrix.product(a[k], layers[l].weights, transposeB: true)
                if k > 0 { try zk.addProduct(a[k - 1], u.layers[l].weights, transposeB: true) }
                if k == 0 { zk.addToRows(layers[l].biases) }
                if k == 1 { zk.addToRows(u.layers[l].biases) }
                c.append(zk)
            }
            guard l + 1 < layers.count else { break }
            var next = c
            for i in c[0].storage.indices {
                let t = c[0].storage[i], z1 = c[1].storage[i], z2 = c[2].storage[i], z3 = c[3].storage[i]
                let d1 = act.derivative(t), d2 = act.secondDerivative(t), d3 = act.thirdDerivative(t)
                next[0].storage[i] = act.value(t)
                next[1].storage[i] = d1 * z1
                next[2].storage[i] = d1 * z2 + 0.5 * d2 * z1 * z1
                next[3].storage[i] = d1 * z3 + d2 * z1 * z2 + d3 * z1 * z1 * z1 / 6
            }
            a = next
        }
        return c
    }

    /// The third directional derivative D³z^(L)[u, v, w] (N × n_L) by polarization of the cubic
    /// Taylor coefficient, D³z[y, y, y] = 6 c₃(y):
    /// D³z[u, v, w] = (1/24) Σ_{s,s′ = ±1} s s′ D³z[u + s v + s′ w]^{⊗3}.
    public func thirdDerivative(_ x: Matrix, _ u: ParameterVector, _ v: ParameterVector, _ w: ParameterVector) throws -> Matrix {
        var out = Matrix(rows: x.rows, cols: spec.outputWidth)
        for s in [1.0, -1.0] {
            for s2 in [1.0, -1.0] {
                var y = u
                y.add(v, scaledBy: s)
                y.add(w, scaledBy: s2)
                let c3 = try taylorCoefficients(x, direction: y)[3]
                for k in out.storage.indices { out.storage[k] += s * s2 * 6 * c3.storage[k] / 24 }
            }
        }
        return out
    }
}

/// The forward and backward passes of one network on a batch for one cotangent E, kept so that
/// Hessian–vector products only propagate tangents (forward mode over reverse mode). With tangents
/// ż, ȧ of the forward pass along u and ė of the backward errors:
///   ż^(ℓ) = ȧ^(ℓ−1) W^(ℓ)ᵀ + a^(ℓ−1) U^(ℓ)ᵀ + u_b^(ℓ),  ȧ^(ℓ) = σ′(z^(ℓ)) ⊙ ż^(ℓ),
///   ė^(ℓ) = (ė^(ℓ+1) W^(ℓ+1) + e^(ℓ+1) U^(ℓ+1)) ⊙ σ′(z^(ℓ)) + (e^(ℓ+1) W^(ℓ+1)) ⊙ σ″(z^(ℓ)) ⊙ ż^(ℓ),
///   (Hu)_W^(ℓ) = ė^(ℓ)ᵀ a^(ℓ−1) + e^(ℓ)ᵀ ȧ^(ℓ−1),  (Hu)_b^(ℓ) = Σ_δ ė^(ℓ)_δ.
public struct BackpropState: Sendable {
    public let network: SampledNetwork
    /// a^(ℓ−1), the input of layer ℓ (index ℓ − 1).
    let a: [Matrix]
    /// σ′(z^(ℓ)) and σ″(z^(ℓ)) of the hidden layers (index ℓ − 1).
    let d1: [Matrix], d2: [Matrix]
    /// e^(ℓ) (index ℓ − 1) and e^(ℓ+1) W^(ℓ+1) before the ⊙ σ′ (index ℓ − 1, hidden layers).
    let errors: [Matrix], backProjected: [Matrix]
    public let gradient: ParameterVector
    /// z^(L) on the batch.
    public let outputs: Matrix

    public init(network: SampledNetwork, x: Matrix, cotangent e: Matrix) throws {
        try self.init(network: network, x: x, secondOrder: true) { _ in e }
    }

    /// The cotangent computed from the outputs z^(L) (e.g. the loss gradient (z − y)/(Nk)), so the
    /// forward pass runs once; `outputs` keeps z^(L). `secondOrder: false` skips σ″ (gradients only:
    /// `hessianVectorProduct` then must not be called).
    public init(network: SampledNetwork, x: Matrix, secondOrder: Bool, cotangent: (Matrix) throws -> Matrix) throws {
        let spec = network.spec, act = spec.activation
        self.network = network
        let (z, a) = try network.states(x)
        let e = try cotangent(z.last!)
        guard e.rows == x.rows, e.cols == spec.outputWidth else {
            throw LinalgError.shapeMismatch("the cotangent is \(e.rows)×\(e.cols); expected \(x.rows)×\(spec.outputWidth)")
        }
        outputs = z.last!
        let depth = network.layers.count
        d1 = z.dropLast().map { m in
            var out = m
            out.storage.withUnsafeMutableBufferPointer { p in
                for k in 0..<p.count { p[k] = 1 }
                m.storage.withUnsafeBufferPointer { act.multiplyByDerivative(p, at: $0) }
            }
            return out
        }
        d2 = secondOrder ? z.dropLast().map { $0.hadamard($0) { t, _ in act.secondDerivative(t) } } : []
        var errors = [Matrix](repeating: e, count: depth)
        var back = [Matrix](repeating: e, count: max(depth - 1, 0))
        var grad = ParameterVector(layers: network.layers)
        for l in stride(from: depth - 1, through: 0, by: -1) {
            grad.layers[l].weights = try Matrix.product(errors[l], a[l], transposeA: true)
            grad.layers[l].biases = errors[l].columnSums()
            guard l > 0 else { break }
            back[l - 1] = try Matrix.product(errors[l], network.layers[l].weights)
            errors[l - 1] = back[l - 1].hadamard(d1[l - 1], *)
        }
        self.a = a
        self.errors = errors
        self.backProjected = back
        self.gradient = grad
    }

    /// (∇²_θ f) u, exact.
    public func hessianVectorProduct(_ u: ParameterVector) throws -> ParameterVector {
        let layers = network.layers, depth = layers.count
        // Forward tangents: ȧ^(ℓ−1) (index ℓ − 1; ȧ^(0) = 0) and ż^(ℓ).
        var aDot: [Matrix] = [Matrix(rows: 0, cols: 0)]
        var zDot: [Matrix] = []
        for l in 0..<depth {
            var zd = try Matrix.product(a[l], u.layers[l].weights, transposeB: true)
            if l > 0 { try zd.addProduct(aDot[l], layers[l].weights, transposeB: true) }
            zd.addToRows(u.layers[l].biases)
            zDot.append(zd)
            if l + 1 < depth { aDot.append(zd.hadamard(d1[l], *)) }
        }
        var hvp = ParameterVector(layers: layers)
        var errDot = Matrix(rows: errors[depth - 1].rows, cols: errors[depth - 1].cols)
        for l in stride(from: depth - 1, through: 0, by: -1) {
            var hw = try Matrix.product(errDot, a[l], transposeA: true)
            if l > 0 { try hw.addProduct(errors[l], aDot[l], transposeA: true) }
            hvp.layers[l].weights = hw
            hvp.layers[l].biases = errDot.columnSums()
            guard l > 0 else { break }
            var preDot = try Matrix.product(errDot, layers[l].weights)
            try preDot.addProduct(errors[l], u.layers[l].weights)
            let (p1, p2, pre, zd) = (d1[l - 1].storage, d2[l - 1].storage, backProjected[l - 1].storage, zDot[l - 1].storage)
            for k in preDot.storage.indices { preDot.storage[k] = preDot.storage[k] * p1[k] + pre[k] * p2[k] * zd[k] }
            errDot = preDot
        }
        return hvp
    }
}

extension Matrix {
    /// Add `b` to every row.
    mutating func addToRows(_ b: [Double]) {
        let n = cols
        storage.withUnsafeMutableBufferPointer { p in
            for i in 0..<rows { for j in 0..<n { p[i * n + j] += b[j] } }
        }
    }

    /// Σ over rows.
    func columnSums() -> [Double] {
        var s = [Double](repeating: 0, count: cols)
        for i in 0..<rows { for j in 0..<cols { s[j] += storage[i * cols + j] } }
        return s
    }

}
