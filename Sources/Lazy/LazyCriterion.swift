import Architecture
import Foundation
import Linalg
import SampledNetworks

/// The lazy-training criterion of Chizat, Oyallon & Bach (2019), "On lazy training in differentiable
/// programming": for the centred model h̃(w) = h(w) − h(w₀) on the N training inputs,
///   κ(w₀) = ‖h̃(w₀) − y*‖ · ‖D²h(w₀)‖ / ‖Dh(w₀)‖²,
/// small κ meaning training stays in the linearized (kernel) regime. Here, in the metric of the learning-rate
/// tensor λ (so the numbers are those of the dynamics that `train` runs):
/// - ‖Dh‖² = λ_max(Ĥ), the largest eigenvalue of the empirical NTK on the training inputs (one output);
/// - ‖D²h‖ = ‖λ^{1/2}(Σ_δ c_δ ∇²h_δ)λ^{1/2}‖, the curvature along the unit residual direction c = (h̃(w₀) − y*)/‖·‖
///   (the part of D²h that enters the Hessian of the square loss), by Lanczos on exact Hessian–vector products;
/// - ‖h̃(w₀) − y*‖ = ‖y*‖ (the centred model starts at zero).
/// For a model positively homogeneous of degree q in its trained parameters (a bias-free ReLU MLP of depth L with
/// λ_b = 0: q = L), scaling w₀ → sw₀ scales Dh by s^{q−1} and D²h by s^{q−2}, so κ(sw₀) = s^{−q} κ(w₀).
public enum LazyCriterion {
    public struct Value: Sendable {
        public var kappa: Double
        public var jacobianNorm: Double, hessianNorm: Double, residualNorm: Double
    }

    /// κ for `network` on inputs x (rows) and targets y (N × 1).
    public static func kappa(_ network: SampledNetwork, x: Matrix, targets y: Matrix, seed: UInt64 = 1) throws -> Value {
        precondition(network.spec.outputWidth == 1 && y.cols == 1 && y.rows == x.rows, "one output and one target per input")
        let residual = y.storage.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard residual > 0 else { return Value(kappa: 0, jacobianNorm: .nan, hessianNorm: .nan, residualNorm: 0) }
        let h = try network.empiricalNTK(x)
        let top = try SymmetricEigen(h).values.max() ?? 0
        let c = (-1 / residual) * y
        let curvature = try network.hessianNorm(x, cotangent: c, seed: seed, tolerance: 1e-12, maxIterations: 300).norm
        return Value(kappa: residual * curvature / top, jacobianNorm: top.squareRoot(), hessianNorm: curvature, residualNorm: residual)
    }

    /// The same network with every weight multiplied by s (biases too).
    public static func scaled(_ network: SampledNetwork, by s: Double) -> SampledNetwork {
        var out = network
        for l in out.layers.indices {
            out.layers[l].weights = s * out.layers[l].weights
            out.layers[l].biases = out.layers[l].biases.map { s * $0 }
        }
        return out
    }
}
