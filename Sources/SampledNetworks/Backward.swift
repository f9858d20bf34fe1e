import Architecture
import Gaussian
import Linalg

/// Backpropagation and the empirical NTK of one sampled network, computed layer by layer from
/// forward activations and backward errors (never from a full Jacobian).
extension SampledNetwork {
    /// Forward pass plus, for output component `component`, the backward errors
    /// δ^(ℓ)_{δ;j} = ∂z^(L)_{component;δ}/∂z^(ℓ)_{j;δ} for ℓ = 1 … L (each N × n_ℓ):
    /// δ^(L) = e_component, δ^(ℓ) = (δ^(ℓ+1) W^(ℓ+1)) ⊙ σ′(z^(ℓ)).
    public func backward(_ x: Matrix, component: Int) throws -> (preactivations: [Matrix], errors: [Matrix]) {
        precondition(component >= 0 && component < spec.outputWidth, "output component out of range")
        let zs = try forward(x)
        var errors = [Matrix](repeating: Matrix(rows: 0, cols: 0), count: layers.count)
        var delta = Matrix(rows: x.rows, cols: spec.outputWidth)
        for i in 0..<x.rows { delta[i, component] = 1 }
        errors[layers.count - 1] = delta
        if layers.count >= 2 {
            for l in stride(from: layers.count - 2, through: 0, by: -1) {
                var d = try Matrix.product(errors[l + 1], layers[l + 1].weights)  // N × n_ℓ
                d.storage.withUnsafeMutableBufferPointer { dp in
                    zs[l].storage.withUnsafeBufferPointer { spec.activation.multiplyByDerivative(dp, at: $0) }
                }
                errors[l] = d
            }
        }
        return (zs, errors)
    }

    /// ∂z^(L)_{component}/∂x for every input (N × n₀) = δ^(1) W^(1).
    public func inputGradient(_ x: Matrix, component: Int) throws -> Matrix {
        try Matrix.product(try backward(x, component: component).errors[0], layers[0].weights)
    }

    /// The empirical NTK Ĥ_{ii;δ₁δ₂} of output component `component` (PDLT §7.2, §8.0 with the
    /// learning-rate tensor λ_b, λ_W/n_{ℓ−1}):
    /// Ĥ = Σ_ℓ [ λ_b^(ℓ) δ^(ℓ)δ^(ℓ)ᵀ + (λ_W^(ℓ)/n_{ℓ−1}) (δ^(ℓ)δ^(ℓ)ᵀ) ⊙ (a^(ℓ−1)a^(ℓ−1)ᵀ) ],
    /// with a^(0) = x and a^(ℓ) = σ(z^(ℓ)); each Gram product is one DSYRK.
    public func empiricalNTK(_ x: Matrix, component: Int = 0) throws -> Matrix {
        try empiricalNTK(x, backward: try backward(x, component: component))
    }

    /// The network's own gradient features (PDLT §7.2, §10.4; the lecture's linear models): row δ is
    /// φ(x_δ) = λ^{1/2} ∂z^(L)_{component;δ}/∂θ in the layout of `ParameterVector` (layer by layer, the
    /// weights row-major, then the biases), N × P. A linear model z = Wφ with these features is the network
    /// linearized around θ₀ (minus z₀), and φφᵀ is the empirical NTK: `gram()` equals `empiricalNTK(x)`.
    /// Built from the same forward activations and backward errors, one outer product per input and layer.
    public func gradientFeatures(_ x: Matrix, component: Int = 0) throws -> Matrix {
        let (zs, errors) = try backward(x, component: component)
        let count = layers.reduce(0) { $0 + $1.weights.storage.count + $1.biases.count }
        var phi = Matrix(rows: x.rows, cols: count)
        var offset = 0
        for l in 1...spec.depth {
            var a = l == 1 ? x : zs[l - 2]
            if l > 1 { a.storage.withUnsafeMutableBufferPointer { spec.activation.applyInPlace($0) } }
            let sb = spec.lambdaB[l - 1].squareRoot()
            let sw = (spec.effectiveLambdaW(layer: l) / Double(spec.width(ofLayer: l - 1))).squareRoot()
            let d = errors[l - 1]
            let (rows, cols) = (d.cols, a.cols)
            for row in 0..<x.rows {
                for j in 0..<rows {
                    let dj = d[row, j]
                    let base = row * count + offset + j * cols
                    for k in 0..<cols { phi.storage[base + k] = sw * dj * a[row, k] }
                    phi.storage[row * count + offset + rows * cols + j] = sb * dj
                }
            }
            offset += rows * cols + rows
        }
        return phi
    }

    /// The network's own meta-features (PDLT §11.4, §∞.2.2) applied to weights, matrix-free: for each row w of
    /// `weights` (k × P, coordinates of `gradientFeatures`) the N × P matrix with rows ψ(x_δ)w, where
    /// ψ(x) = λ^{1/2} ∇²_θ z_component(x) λ^{1/2}; one exact Hessian–vector product per input. With
    /// φ = `gradientFeatures` and ε = 1 the quadratic model z = φw + ½ wψw is the network's quadratic
    /// truncation in the coordinates w = λ^{−1/2}(θ − θ₀).
    public func hessianMetaFeatures(_ x: Matrix, weights: Matrix, component: Int = 0) throws -> [Matrix] {
        var cotangent = Matrix(rows: 1, cols: spec.outputWidth)
        cotangent[0, component] = 1
        return try (0..<weights.rows).map { i in
            let u = ParameterVector(flat: weights.row(i), like: self).weighted(by: spec, power: 0.5)
            return try Matrix((0..<x.rows).map { a in
                try hessianVectorProduct(try Matrix([x.row(a)]), cotangent: cotangent, direction: u).product.weighted(by: spec, power: 0.5).flat
            })
        }
    }

    /// The same from a `backward(x, component:)` already computed (no second forward/backward pass).
    public func empiricalNTK(_ x: Matrix, backward: (preactivations: [Matrix], errors: [Matrix])) throws -> Matrix {
        let (zs, errors) = backward
        var h = Matrix(rows: x.rows, cols: x.rows)
        for l in 1...spec.depth {
            var a = l == 1 ? x : zs[l - 2]
            if l > 1 { a.storage.withUnsafeMutableBufferPointer { spec.activation.applyInPlace($0) } }
            let dd = errors[l - 1].gram()
            let aa = a.gram()
            let lb = spec.lambdaB[l - 1], lw = spec.effectiveLambdaW(layer: l) / Double(spec.width(ofLayer: l - 1))
            for k in 0..<h.storage.count { h.storage[k] += dd.storage[k] * (lb + lw * aa.storage[k]) }
        }
        return h
    }
}
