import Foundation

extension Activation {
    /// t ↦ σ(t)^{e[0]} σ′(t)^{e[1]} σ″(t)^{e[2]} σ‴(t)^{e[3]} t^{e[4]}: the one-input factor of the Gaussian moments in the
    /// order-1/n recursions (PDLT §4.3, §8.3, §11.2, §∞; `TwoInputDifferentialNTK`, `MultiInputStatistics`).
    public func monomial(_ e: [Int]) -> (Double) -> Double {
        { t in
            var v = 1.0
            for _ in 0..<e[0] { v *= self.value(t) }
            for _ in 0..<e[1] { v *= self.derivative(t) }
            for _ in 0..<e[2] { v *= self.secondDerivative(t) }
            for _ in 0..<e[3] { v *= self.thirdDerivative(t) }
            for _ in 0..<e[4] { v *= t }
            return v
        }
    }

    /// σ″(t) (0 almost everywhere for the rectified family, step and sign: the value automatic
    /// differentiation uses). Needed by exact Hessian–vector products and the dNTK of sampled networks
    /// (PDLT §11.1: second derivatives of z with respect to parameters).
    public func secondDerivative(_ t: Double) -> Double {
        switch kind {
        case .linear, .rectified, .step, .sign: return 0
        case .erf: return -2 * t * derivative(t)
        case .tanh: let y = Foundation.tanh(t); return -2 * y * (1 - y * y)
        case .sin: return -Foundation.sin(t)
        case .cos: return -Foundation.cos(t)
        case .gelu: return (2 - t * t) * normalPDF(t)
        case .swish: let s = logistic(t), s1 = s * (1 - s); return 2 * s1 + t * s1 * (1 - 2 * s)
        case .sigmoid: let s = logistic(t); return s * (1 - s) * (1 - 2 * s)
        case .softplus: let s = logistic(t); return s * (1 - s)
        case let .elu(alpha): return t > 0 ? 0 : alpha * Foundation.exp(t)
        case .custom:
            let h = 1e-4 * max(1, Swift.abs(t))
            return (derivative(t + h) - derivative(t - h)) / (2 * h)
        }
    }

    /// σ‴(t), for third derivatives of z (the ddNTK, PDLT §11.3).
    public func thirdDerivative(_ t: Double) -> Double {
        switch kind {
        case .linear, .rectified, .step, .sign: return 0
        case .erf: return (4 * t * t - 2) * derivative(t)
        case .tanh: let y = Foundation.tanh(t); return (1 - y * y) * (6 * y * y - 2)
        case .sin: return -Foundation.cos(t)
        case .cos: return Foundation.sin(t)
        case .gelu: return (t * t * t - 4 * t) * normalPDF(t)
        case .swish:
            let s = logistic(t), s1 = s * (1 - s), s2 = s1 * (1 - 2 * s), s3 = s1 * (1 - 6 * s + 6 * s * s)
            return 3 * s2 + t * s3
        case .sigmoid: let s = logistic(t); return s * (1 - s) * (1 - 6 * s + 6 * s * s)
        case .softplus: let s = logistic(t); return s * (1 - s) * (1 - 2 * s)
        case let .elu(alpha): return t > 0 ? 0 : alpha * Foundation.exp(t)
        case .custom:
            let h = 1e-4 * max(1, Swift.abs(t))
            return (derivative(t + h) - 2 * derivative(t) + derivative(t - h)) / (h * h)
        }
    }
}
