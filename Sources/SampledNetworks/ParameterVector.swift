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

    /// A flat P-vector in the layout of `SampledNetwork.gradientFeatures` (layer by layer, weights
    /// row-major, then biases) as a vector shaped like `network`'s parameters.
    public init(flat: [Double], like network: SampledNetwork) {
        self.init(zeroLike: network)
        var offset = 0
        for l in layers.indices {
            let w = layers[l].weights.storage.count, b = layers[l].biases.count
            precondition(offset + w + b <= flat.count, "flat parameter vector too short")
            layers[l].weights.storage = Array(flat[offset..<offset + w])
            layers[l].biases = Array(flat[offset + w..<offset + w + b])
            offset += w + b
        }
        precondition(offset == flat.count, "flat parameter vector too long")
    }

    /// The coordinates in the layout of `init(flat:like:)`.
    public var flat: [Double] { layers.flatMap { $0.weights.storage + $0.biases } }

    /// Σ_μ a_μ b_μ.
    public func dot(_ other: ParameterVector) -> Double {
        var s = 0.0
        for (a, b) in zip(layers, other.layers) {
            s += ParameterVector.dot(a.weights.storage, b.weights.storage) + ParameterVector.dot(a.biases, b.biases)
        }
        return s
    }

    public var norm: Double { dot(self).squareRoot() }

    /// self ← self + α·other.
    public mutating func add(_ other: ParameterVector, scaledBy alpha: Double = 1) {
        for l in layers.indices {
            ParameterVector.axpy(alpha, other.layers[l].weights.storage, &layers[l].weights.storage)
            ParameterVector.axpy(alpha, other.layers[l].biases, &layers[l].biases)
        }
    }

    /// α·self.
    public func scaled(by alpha: Double) -> ParameterVector {
        var out = self
        for l in out.layers.indices {
            ParameterVector.scale(&out.layers[l].weights.storage, alpha)
            ParameterVector.scale(&out.layers[l].biases, alpha)
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
            ParameterVector.scale(&out.layers[l].weights.storage, power == 1 ? lw : Foundation.pow(lw, power))
            ParameterVector.scale(&out.layers[l].biases, power == 1 ? lb : Foundation.pow(lb, power))
        }
        return out
    }

    // BLAS level 1 on each block (indexing through the nested arrays costs a uniqueness check per element).
    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in
            pa.isEmpty ? 0 : BLAS.ddot(n: pa.count, x: pa.baseAddress!, y: pb.baseAddress!)
        } }
    }

    static func axpy(_ alpha: Double, _ x: [Double], _ y: inout [Double]) {
        x.withUnsafeBufferPointer { px in y.withUnsafeMutableBufferPointer { py in
            if !py.isEmpty { BLAS.daxpy(n: py.count, alpha: alpha, x: px.baseAddress!, y: py.baseAddress!) }
        } }
    }

    static func scale(_ x: inout [Double], _ alpha: Double) {
        x.withUnsafeMutableBufferPointer { p in if !p.isEmpty { BLAS.dscal(n: p.count, alpha: alpha, x: p.baseAddress!) } }
    }
}
