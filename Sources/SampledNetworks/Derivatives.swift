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
        try hessianVectorProduct(x, cotangent: e, direction: nil).gradient
    }

    /// ∇_θ f and the exact Hessian–vector product (∇²_θ f) u (forward mode over reverse mode). With
    /// tangents ż, ȧ of the forward pass along u and ė of the backward errors:
    ///   ż^(ℓ) = ȧ^(ℓ−1) W^(ℓ)ᵀ + a^(ℓ−1) U^(ℓ)ᵀ + u_b^(ℓ),  ȧ^(ℓ) = σ′(z^(ℓ)) ⊙ ż^(ℓ),
    ///   ė^(ℓ) = (ė^(ℓ+1) W^(ℓ+1) + e^(ℓ+1) U^(ℓ+1)) ⊙ σ′(z^(ℓ)) + (e^(ℓ+1) W^(ℓ+1)) ⊙ σ″(z^(ℓ)) ⊙ ż^(ℓ),
    ///   (Hu)_W^(ℓ) = ė^(ℓ)ᵀ a^(ℓ−1) + e^(ℓ)ᵀ ȧ^(ℓ−1),  (Hu)_b^(ℓ) = Σ_δ ė^(ℓ)_δ.
    /// `direction: nil` skips the tangents and returns only the gradient.
    public func hessianVectorProduct(_ x: Matrix, cotangent e: Matrix, direction u: ParameterVector?) throws
        -> (gradient: ParameterVector, product: ParameterVector)
    {
        guard e.rows == x.rows, e.cols == spec.outputWidth else {
            throw LinalgError.shapeMismatch("the cotangent is \(e.rows)×\(e.cols); expected \(x.rows)×\(spec.outputWidth)")
        }
        let act = spec.activation
        let (z, a) = try states(x)
        let depth = layers.count
        // Forward tangents ȧ^(ℓ−1) (inputs to layer ℓ) and ż^(ℓ).
        var aDot: [Matrix] = [Matrix(rows: x.rows, cols: x.cols)]
        var zDot: [Matrix] = []
        if let u {
            for l in 0..<depth {
                var zd = try Matrix.product(a[l], u.layers[l].weights, transposeB: true)
                if l > 0 { try zd.addProduct(aDot[l], layers[l].weights, transposeB: true) }
                zd.addToRows(u.layers[l].biases)
                zDot.append(zd)
                if l + 1 < depth { aDot.append(zd.hadamard(z[l]) { d, t in d * act.derivative(t) }) }
            }
        }
        var grad = ParameterVector(layers: layers)
        var hvp = ParameterVector(layers: layers)
        var err = e
        var errDot = Matrix(rows: e.rows, cols: e.cols)
        for l in stride(from: depth - 1, through: 0, by: -1) {
            grad.layers[l].weights = try Matrix.product(err, a[l], transposeA: true)
            grad.layers[l].biases = err.columnSums()
            if u != nil {
                var hw = try Matrix.product(errDot, a[l], transposeA: true)
                if l > 0 { try hw.addProduct(err, aDot[l], transposeA: true) }
                hvp.layers[l].weights = hw
                hvp.layers[l].biases = errDot.columnSums()
            }
            guard l > 0 else { break }
            // Back to layer l − 1 (0-based): pre = e W, e ← pre ⊙ σ′(z), ė ← (ė W + e U) ⊙ σ′(z) + pre ⊙ σ″(z) ⊙ ż.
            let pre = try Matrix.product(err, layers[l].weights)
            if let u {
                var preDot = try Matrix.product(errDot, layers[l].weights)
                try preDot.addProduct(err, u.layers[l].weights)
                var next = preDot.hadamard(z[l - 1]) { p, t in p * act.derivative(t) }
                let curvature = pre.hadamard(z[l - 1]) { p, t in p * act.secondDerivative(t) }
                for k in next.storage.indices { next.storage[k] += curvature.storage[k] * zDot[l - 1].storage[k] }
                errDot = next
            }
            err = pre.hadamard(z[l - 1]) { p, t in p * act.derivative(t) }
        }
        return (grad, u == nil ? ParameterVector(zeroLike: self) : hvp)
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

    /// Element-wise f(self, other).
    func hadamard(_ other: Matrix, _ f: (Double, Double) -> Double) -> Matrix {
        var out = self
        for k in out.storage.indices { out.storage[k] = f(storage[k], other.storage[k]) }
        return out
    }
}
