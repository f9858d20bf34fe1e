import Architecture
import Gaussian
import Linalg
import Sampling

/// One finite-width MLP drawn from the initialization distribution of a `NetworkSpec` (PDLT §2.1,
/// §4): b^(ℓ) ~ N(0, C_b^(ℓ)), W^(ℓ) ~ N(0, C_W^(ℓ)/n_{ℓ−1}). Parameters come from the
/// counter-based generator keyed by (seed, network index, layer), so network k is the same bits
/// whatever thread or shard draws it.
public struct SampledNetwork: Sendable {
    public struct Layer: Sendable, Equatable {
        /// W^(ℓ), n_ℓ × n_{ℓ−1}.
        public var weights: Matrix
        /// b^(ℓ), n_ℓ.
        public var biases: [Double]
    }

    public let spec: NetworkSpec
    public let index: Int
    public var layers: [Layer]

    /// Draw network `index` of the ensemble `seed` (the spec's input dimension must be set).
    public init(spec: NetworkSpec, seed: UInt64, index: Int) {
        precondition(spec.inputDimension != nil, "the spec needs its input dimension")
        self.spec = spec
        self.index = index
        var layers: [Layer] = []
        for l in 1...spec.depth {
            let nIn = spec.width(ofLayer: l - 1), nOut = spec.width(ofLayer: l)
            let g = Philox4x32(seed: seed, stream: UInt64(index) << 16 | UInt64(l))
            var w = Matrix(rows: nOut, cols: nIn)
            let wScale = (spec.cw[l - 1] / Double(nIn)).squareRoot()
            w.storage.withUnsafeMutableBufferPointer { g.fillNormals($0) }
            for k in 0..<w.storage.count { w.storage[k] *= wScale }
            var b = [Double](repeating: 0, count: nOut)
            let bScale = spec.cb[l - 1].squareRoot()
            // Biases continue the stream after the weights' blocks.
            b.withUnsafeMutableBufferPointer { g.fillNormals($0, offset: UInt64((nIn * nOut + 1) / 2)) }
            for k in 0..<nOut { b[k] *= bScale }
            layers.append(Layer(weights: w, biases: b))
        }
        self.layers = layers
    }

    /// Preactivations z^(ℓ) of every layer ℓ = 1 … L for inputs `x` (N × n₀, rows are inputs):
    /// z^(1) = x W^(1)ᵀ + b^(1), z^(ℓ+1) = σ(z^(ℓ)) W^(ℓ+1)ᵀ + b^(ℓ+1) (PDLT eq. 2.5–2.6 in §2.1),
    /// each layer one DGEMM on the whole batch. Result[ℓ−1] is N × n_ℓ.
    public func forward(_ x: Matrix) throws -> [Matrix] {
        var outs: [Matrix] = []
        var input = x
        for (l, layer) in layers.enumerated() {
            if l > 0 { input.storage.withUnsafeMutableBufferPointer { spec.activation.applyInPlace($0) } }
            var z = try Matrix.product(input, layer.weights, transposeB: true)
            let n = z.cols
            z.storage.withUnsafeMutableBufferPointer { zp in
                layer.biases.withUnsafeBufferPointer { bp in
                    for i in 0..<zp.count / max(n, 1) { for j in 0..<n { zp[i * n + j] += bp[j] } }
                }
            }
            outs.append(z)
            input = z
        }
        return outs
    }
}

/// A NaN or Inf in a sampled network's computation, named by the quantity, the layer and the network where it first
/// appeared (so that an exploding spec is reported at its cause, not at some later linear-algebra call).
public struct NonFiniteValue: Error, CustomStringConvertible {
    public let quantity: String
    public let layer: Int?
    public let network: Int
    public init(quantity: String, layer: Int?, network: Int) { self.quantity = quantity; self.layer = layer; self.network = network }
    public var description: String {
        "non-finite value (NaN or Inf) in \(quantity)\(layer.map { " of layer \($0)" } ?? "") of network \(network): "
            + "the activations overflowed — lower C_W or the depth (the spec is deep in the exploding phase), or check the inputs"
    }
}

extension SampledNetwork {
    /// Throw `NonFiniteValue` at the first layer whose preactivations are not finite.
    public func checkFinite(_ preactivations: [Matrix]) throws {
        for (l, z) in preactivations.enumerated() where !z.isFinite {
            throw NonFiniteValue(quantity: "the preactivations z", layer: l + 1, network: index)
        }
    }
}
