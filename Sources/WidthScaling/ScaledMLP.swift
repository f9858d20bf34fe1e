import Foundation
import Gaussian
import Linalg
import Sampling
import SampledNetworks

/// An MLP in an abc-parameterization (`WidthScheme`): z^(1) = m_W^(1) x w^(1)ᵀ + m_b^(1) b^(1),
/// z^(ℓ+1) = m_W^(ℓ+1) σ(z^(ℓ)) w^(ℓ+1)ᵀ + m_b^(ℓ+1) b^(ℓ+1) (PDLT eq. 2.5–2.6 with the multipliers of TP4 §3), the
/// trained parameters w, b drawn from the counter-based generator keyed by (seed, layer). Forward and backward
/// passes are DGEMMs on the whole batch.
public struct ScaledMLP: Sendable {
    public let scheme: WidthScheme
    public let activation: Activation
    /// n₀, n₁, …, n_L.
    public let widths: [Int]
    public let baseWidth: Int
    public let rules: [LayerRule]
    /// The trained weights w^(ℓ) (n_ℓ × n_{ℓ−1}; the layer's weights are weightMultiplier · w).
    public var weights: [Matrix]
    /// The trained biases b^(ℓ).
    public var biases: [[Double]]

    public var depth: Int { rules.count }
    public var width: Int { widths[1] }

    /// Draw a network of `depth` layers with hidden width `width` (every hidden layer), `inputDimension` inputs and
    /// `outputWidth` outputs. `cw`, `cb`: one value for every layer, or one per layer. The learning-rate factors
    /// depend on the optimizer it will be trained with (TP5 Table 3).
    public init(scheme: WidthScheme, depth: Int, inputDimension: Int, width: Int, outputWidth: Int, baseWidth: Int,
                activation: Activation, cw: [Double], cb: [Double], optimizer: WidthOptimizer, seed: UInt64) throws(ParameterizationError) {
        func perLayer(_ v: [Double], _ name: String) throws(ParameterizationError) -> [Double] {
            if v.count == 1 { return [Double](repeating: v[0], count: max(depth, 0)) }
            guard v.count == depth else { throw .invalid("\(name) has \(v.count) values; give 1 or depth = \(depth)") }
            return v
        }
        let rules = try scheme.rules(depth: depth, inputDimension: inputDimension, width: width, outputWidth: outputWidth,
                                     baseWidth: baseWidth, cw: try perLayer(cw, "cw"), cb: try perLayer(cb, "cb"), optimizer: optimizer)
        let widths = [inputDimension] + [Int](repeating: width, count: depth - 1) + [outputWidth]
        var weights: [Matrix] = [], biases: [[Double]] = []
        for l in 1...depth {
            let (nIn, nOut) = (widths[l - 1], widths[l])
            let g = Philox4x32(seed: seed, stream: 0x5CA1_ED00 << 8 | UInt64(l))
            var w = Matrix(rows: nOut, cols: nIn)
            w.storage.withUnsafeMutableBufferPointer { g.fillNormals($0) }
            let ws = rules[l - 1].weightStd
            for k in w.storage.indices { w.storage[k] *= ws }
            var b = [Double](repeating: 0, count: nOut)
            b.withUnsafeMutableBufferPointer { g.fillNormals($0, offset: UInt64((nIn * nOut + 1) / 2)) }
            let bs = rules[l - 1].biasStd
            weights.append(w)
            biases.append(b.map { $0 * bs })
        }
        self.scheme = scheme
        self.activation = activation
        self.widths = widths
        self.baseWidth = baseWidth
        self.rules = rules
        self.weights = weights
        self.biases = biases
    }

    /// A network with given trained parameters (e.g. converted from a `SampledNetwork`); shapes must match `rules`.
    public init(scheme: WidthScheme, activation: Activation, baseWidth: Int, rules: [LayerRule], weights: [Matrix], biases: [[Double]]) {
        precondition(weights.count == rules.count && biases.count == rules.count, "one weight matrix and bias vector per layer")
        self.scheme = scheme
        self.activation = activation
        self.widths = [weights[0].cols] + weights.map(\.rows)
        self.baseWidth = baseWidth
        self.rules = rules
        self.weights = weights
        self.biases = biases
    }

    /// Preactivations z^(ℓ), ℓ = 1 … L, for inputs x (N × n₀); the last is the output.
    public func forward(_ x: Matrix) throws -> [Matrix] {
        guard x.cols == widths[0] else {
            throw ParameterizationError.invalid("inputs have \(x.cols) columns but the network takes \(widths[0])")
        }
        var outs: [Matrix] = []
        var input = x
        for l in 0..<depth {
            if l > 0 { input.storage.withUnsafeMutableBufferPointer { activation.applyInPlace($0) } }
            var z = Matrix(rows: x.rows, cols: widths[l + 1])
            try z.addProduct(input, weights[l], transposeB: true, alpha: rules[l].weightMultiplier)
            let bm = rules[l].biasMultiplier
            let n = z.cols
            biases[l].withUnsafeBufferPointer { bp in
                z.storage.withUnsafeMutableBufferPointer { zp in
                    for i in 0..<x.rows { for j in 0..<n { zp[i * n + j] += bm * bp[j] } }
                }
            }
            outs.append(z)
            input = z
        }
        return outs
    }

    public func outputs(_ x: Matrix) throws -> Matrix { try forward(x).last! }

    /// Gradients of a loss with respect to the trained parameters, given the preactivations of `forward(x)` and
    /// ∂loss/∂z^(L) (N × n_L): backpropagation, ∂/∂w^(ℓ) = m_W (∂/∂z^(ℓ))ᵀ a^(ℓ−1), ∂/∂a^(ℓ−1) = m_W (∂/∂z^(ℓ)) w^(ℓ).
    public func gradients(_ x: Matrix, preactivations zs: [Matrix], outputCotangent: Matrix) throws -> (weights: [Matrix], biases: [[Double]]) {
        var gw = [Matrix](repeating: Matrix(rows: 0, cols: 0), count: depth)
        var gb = [[Double]](repeating: [], count: depth)
        var dz = outputCotangent
        for l in stride(from: depth - 1, through: 0, by: -1) {
            var a = l == 0 ? x : zs[l - 1]
            if l > 0 { a.storage.withUnsafeMutableBufferPointer { activation.applyInPlace($0) } }
            var g = Matrix(rows: widths[l + 1], cols: widths[l])
            try g.addProduct(dz, a, transposeA: true, alpha: rules[l].weightMultiplier)
            gw[l] = g
            var bsum = [Double](repeating: 0, count: widths[l + 1])
            let n = dz.cols
            for i in 0..<dz.rows { for j in 0..<n { bsum[j] += dz.storage[i * n + j] } }
            gb[l] = bsum.map { $0 * rules[l].biasMultiplier }
            if l > 0 {
                var da = Matrix(rows: dz.rows, cols: widths[l])
                try da.addProduct(dz, weights[l], alpha: rules[l].weightMultiplier)
                da.storage.withUnsafeMutableBufferPointer { dp in
                    zs[l - 1].storage.withUnsafeBufferPointer { activation.multiplyByDerivative(dp, at: $0) }
                }
                dz = da
            }
        }
        return (gw, gb)
    }

    /// Number of trained parameters.
    public var parameterCount: Int { zip(weights, biases).reduce(0) { $0 + $1.0.storage.count + $1.1.count } }

    /// All trained parameters in one vector (layer by layer: weights row-major, then biases).
    public var flat: [Double] { zip(weights, biases).flatMap { $0.0.storage + $0.1 } }

    /// The same network with parameters from a `flat` vector.
    public func with(flat v: [Double]) -> ScaledMLP {
        precondition(v.count == parameterCount, "parameter vector has the wrong length")
        var out = self
        var o = 0
        for l in 0..<depth {
            let c = weights[l].storage.count
            out.weights[l].storage = Array(v[o..<(o + c)]); o += c
            out.biases[l] = Array(v[o..<(o + biases[l].count)]); o += biases[l].count
        }
        return out
    }
}

extension ScaledMLP {
    /// A PDLT-sampled network (`SampledNetwork`, ntk parameterization with λ_W = C_W, λ_b = C_b, equal hidden
    /// widths) in the `ntk` scheme: w = W/√(C_W/n_{ℓ−1}), b = b/√C_b. SGD at learning rate η on it is PDLT's gradient
    /// descent with the learning-rate tensor (λ_b, λ_W/n_{ℓ−1}) at the same η (§7.2, §8.0).
    public init(ntk network: SampledNetwork) throws(ParameterizationError) {
        let spec = network.spec
        guard spec.parameterization == .ntk, spec.lambdaW == spec.cw, spec.lambdaB == spec.cb else {
            throw .invalid("only ntk-parameterized specs with the default learning rates (λ_W = C_W, λ_b = C_b) map to the ntk scheme")
        }
        guard spec.depth >= 2, Set(spec.hiddenWidths).count == 1 else { throw .invalid("the width schemes need equal hidden widths and depth ≥ 2") }
        let d = spec.width(ofLayer: 0)
        let rules = try WidthScheme.ntk.rules(depth: spec.depth, inputDimension: d, width: spec.hiddenWidths[0],
                                              outputWidth: spec.outputWidth, baseWidth: spec.hiddenWidths[0],
                                              cw: spec.cw, cb: spec.cb, optimizer: .sgd)
        let weights = zip(network.layers, rules).map { (1 / $0.1.weightMultiplier) * $0.0.weights }
        let biases = zip(network.layers, rules).map { l, r in l.biases.map { r.biasMultiplier > 0 ? $0 / r.biasMultiplier : 0 } }
        self.init(scheme: .ntk, activation: spec.activation, baseWidth: spec.hiddenWidths[0], rules: rules, weights: weights, biases: biases)
    }
}
