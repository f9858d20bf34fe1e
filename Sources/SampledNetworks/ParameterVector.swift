import Foundation
import Architecture
import Linalg
import Sampling

/// A vector in the parameter space θ = {b^(ℓ), W^(ℓ)} of a sampled network: a gradient, a
/// Hessian–vector product or a direction, laid out like the network's own layers.
public struct ParameterVector: Sendable, Equatable {
    public var layers: [SampledNetwork.Layer]

    public init(layers: [SampledNetwork.Layer]) { self.layers = layers }

    /// The zero vector shaped like `network`'s parameters.
    public init(zeroLike network: SampledNetwork) {
        layers = network.layers.map {
            SampledNetwork.Layer(weights: Matrix(rows: $0.weights.rows, cols: $0.weights.cols),
                                 biases: [Double](repeating: 0, count: $0.biases.count))
        }
    }

    /// Independent standard normals in every coordinate, from the counter-based generator keyed by
    /// (seed, stream): the same vector whatever thread draws it.
    public init(normalLike network: SampledNetwork, seed: UInt64, stream: UInt64) {
        self.init(zeroLike: network)
        for l in layers.indices {
            let g = Philox4x32(seed: seed, stream: stream &* 1024 &+ UInt64(l))
            layers[l].weights.storage.withUnsafeMutableBufferPointer { g.fillNormals($0) }
            let offset = UInt64((layers[l].weights.storage.count + 1) / 2)
            layers[l].biases.withUnsafeMutableBufferPointer { g.fillNormals($0, offset: offset) }
        }
    }

    /// Σ_μ a_μ b_μ.
    public func dot(_ other: ParameterVector) -> Double {
        var s = 0.0
        for (a, b) in zip(layers, other.layers) {
            for k in a.weights.storage.indices { s += a.weights.storage[k] * b.weights.storage[k] }
            for k in a.biases.indices { s += a.biases[k] * b.biases[k] }
        }
        return s
    }

    public var norm: Double { dot(self).squareRoot() }

    /// self ← self + α·other.
    public mutating func add(_ other: ParameterVector, scaledBy alpha: Double = 1) {
        for l in layers.indices {
            for k in layers[l].weights.storage.indices { layers[l].weights.storage[k] += alpha * other.layers[l].weights.storage[k] }
            for k in layers[l].biases.indices { layers[l].biases[k] += alpha * other.layers[l].biases[k] }
        }
    }

    /// α·self.
    public func scaled(by alpha: Double) -> ParameterVector {
        var out = self
        for l in out.layers.indices {
            for k in out.layers[l].weights.storage.indices { out.layers[l].weights.storage[k] *= alpha }
            for k in out.layers[l].biases.indices { out.layers[l].biases[k] *= alpha }
        }
        return out
    }

    /// Multiply each coordinate by λ_μ^power for the diagonal learning-rate tensor of `spec`
    /// (PDLT eq. 7.21 with λ_b^(ℓ) on biases and λ_W^(ℓ)/n_{ℓ−1} on weights): power 1 turns a
    /// gradient into the direction gradient descent moves, power ½ maps to the λ metric.
    public func weighted(by spec: NetworkSpec, power: Double = 1) -> ParameterVector {
        var out = self
        for l in out.layers.indices {
            let lb = spec.lambdaB[l], lw = spec.effectiveLambdaW(layer: l + 1) / Double(spec.width(ofLayer: l))
            let sb = power == 1 ? lb : Foundation.pow(lb, power)
            let sw = power == 1 ? lw : Foundation.pow(lw, power)
            for k in out.layers[l].weights.storage.indices { out.layers[l].weights.storage[k] *= sw }
            for k in out.layers[l].biases.indices { out.layers[l].biases[k] *= sb }
        }
        return out
    }
}
