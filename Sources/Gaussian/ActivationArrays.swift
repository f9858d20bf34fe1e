import Foundation

extension Activation {
    /// σ applied in place to every element (one dispatch on the kind, then a tight loop: ~30× faster
    /// than calling `value` per element, which copies the activation value each time).
    public func applyInPlace(_ p: UnsafeMutableBufferPointer<Double>) {
        switch kind {
        case .linear: return
        case let .rectified(neg, pos):
            for k in 0..<p.count { let t = p[k]; p[k] = t > 0 ? pos * t : neg * t }
        case .tanh:
            for k in 0..<p.count { p[k] = Foundation.tanh(p[k]) }
        case .erf:
            for k in 0..<p.count { p[k] = Foundation.erf(p[k]) }
        default:
            for k in 0..<p.count { p[k] = value(p[k]) }
        }
    }

    /// p[k] *= σ′(z[k]) for every element (the backward pass's Hadamard product).
    public func multiplyByDerivative(_ p: UnsafeMutableBufferPointer<Double>, at z: UnsafeBufferPointer<Double>) {
        precondition(p.count == z.count)
        switch kind {
        case .linear: return
        case let .rectified(neg, pos):
            for k in 0..<p.count { p[k] *= z[k] > 0 ? pos : neg }
        case .tanh:
            for k in 0..<p.count { let c = Foundation.cosh(z[k]); p[k] *= c.isFinite ? 1 / (c * c) : 0 }
        default:
            for k in 0..<p.count { p[k] *= derivative(z[k]) }
        }
    }
}
