import Foundation

/// An activation function σ, as a value: its name (the CLI's spelling), σ, σ′, the points where σ′
/// jumps (kinks, where quadrature must split), and the Taylor coefficients at 0 used by the
/// criticality analysis of the K* = 0 universality class (PDLT §5.3.3: σ(z) = Σ σ_p z^p / p!).
///
/// Built-ins: `linear`, `relu`, `leaky_relu:A`, `abrelu:A:B` (σ(t) = A·t for t < 0, B·t for t > 0),
/// `abs`, `step` (Heaviside), `sign`, `erf`, `tanh`, `sin`, `cos`, `gelu` (t·Φ(t), exact), `swish` (SiLU,
/// t·sigmoid(t)), `sigmoid`, `softplus`, `elu:A`. `Activation.custom` wraps any closure.
public struct Activation: Sendable, CustomStringConvertible, Codable, Hashable {
    public enum Kind: Sendable, Hashable {
        case linear
        /// σ(t) = negative·t for t < 0, positive·t for t > 0 (ReLU: 0, 1; leaky: a, 1; abs: −1, 1).
        case rectified(negative: Double, positive: Double)
        case step, sign, erf, tanh, sin, cos, gelu, swish, sigmoid, softplus
        case elu(alpha: Double)
        case custom
    }

    public let kind: Kind
    /// The CLI spelling, e.g. `leaky_relu:0.1`.
    public let name: String
    private let customValue: (@Sendable (Double) -> Double)?
    private let customDerivative: (@Sendable (Double) -> Double)?
    private let customKinks: [Double]

    private init(kind: Kind, name: String) {
        self.kind = kind
        self.name = name
        self.customValue = nil
        self.customDerivative = nil
        self.customKinks = []
    }

    /// A user activation. Without `derivative`, σ′ is a central finite difference (relative error
    /// ~1e-10 for smooth σ). `kinks` lists points where σ′ jumps, so quadrature splits there.
    public static func custom(name: String, kinks: [Double] = [],
                              _ value: @escaping @Sendable (Double) -> Double,
                              derivative: (@Sendable (Double) -> Double)? = nil) -> Activation {
        var a = Activation(kind: .custom, name: name)
        a = Activation(custom: a, value: value, derivative: derivative, kinks: kinks)
        return a
    }

    private init(custom base: Activation, value: @escaping @Sendable (Double) -> Double,
                 derivative: (@Sendable (Double) -> Double)?, kinks: [Double]) {
        self.kind = .custom
        self.name = base.name
        self.customValue = value
        self.customDerivative = derivative
        self.customKinks = kinks.sorted()
    }

    public static let linear = Activation(kind: .linear, name: "linear")
    public static let relu = Activation(kind: .rectified(negative: 0, positive: 1), name: "relu")
    public static let abs = Activation(kind: .rectified(negative: -1, positive: 1), name: "abs")
    public static let step = Activation(kind: .step, name: "step")
    /// sign(t) (neural-tangents' `Sign`); σ′ = 0 almost everywhere.
    public static let sign = Activation(kind: .sign, name: "sign")
    public static let erf = Activation(kind: .erf, name: "erf")
    public static let tanh = Activation(kind: .tanh, name: "tanh")
    public static let sin = Activation(kind: .sin, name: "sin")
    public static let cos = Activation(kind: .cos, name: "cos")
    public static let gelu = Activation(kind: .gelu, name: "gelu")
    public static let swish = Activation(kind: .swish, name: "swish")
    public static let sigmoid = Activation(kind: .sigmoid, name: "sigmoid")
    public static let softplus = Activation(kind: .softplus, name: "softplus")

    public static func leakyRelu(_ a: Double) -> Activation {
        Activation(kind: .rectified(negative: a, positive: 1), name: "leaky_relu:\(fmt(a))")
    }

    /// σ(t) = a₋·t for t < 0 and a₊·t for t > 0 (Hanin's ABReLU family).
    public static func abrelu(negative: Double, positive: Double) -> Activation {
        Activation(kind: .rectified(negative: negative, positive: positive), name: "abrelu:\(fmt(negative)):\(fmt(positive))")
    }

    public static func elu(_ alpha: Double) -> Activation {
        Activation(kind: .elu(alpha: alpha), name: "elu:\(fmt(alpha))")
    }

    /// Every built-in activation with default parameters (the report's table of critical points).
    public static let builtins: [Activation] = [
        .linear, .relu, .leakyRelu(0.1), .abrelu(negative: -0.5, positive: 1.5), .abs, .step, .sign, .erf, .tanh, .sin,
        .cos, .gelu, .swish, .sigmoid, .softplus, .elu(1),
    ]

    /// The names `parse` accepts, for error messages and `--help`.
    public static let spellings =
        "relu, leaky_relu:A, abrelu:A:B, linear, abs, step, sign, erf, tanh, sin, cos, gelu, swish, sigmoid, softplus, elu:A"

    /// Parse the CLI spelling (`relu`, `leaky_relu:0.1`, `abrelu:-0.5:1.5`, `elu:1`, …).
    public static func parse(_ text: String) throws(ActivationError) -> Activation {
        let parts = text.trimmingCharacters(in: .whitespaces).lowercased().split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        func number(_ i: Int) throws(ActivationError) -> Double {
            guard i < parts.count, let v = Double(parts[i]), v.isFinite else {
                throw .badParameter(text, "expected a finite number after ':'")
            }
            return v
        }
        func arity(_ n: Int) throws(ActivationError) {
            guard parts.count == n + 1 else { throw .badParameter(text, "\(parts[0]) takes \(n) parameter(s)") }
        }
        switch parts[0] {
        case "linear", "identity": try arity(0); return .linear
        case "relu": try arity(0); return .relu
        case "abs": try arity(0); return .abs
        case "step", "heaviside": try arity(0); return .step
        case "sign": try arity(0); return .sign
        case "erf": try arity(0); return .erf
        case "tanh": try arity(0); return .tanh
        case "sin": try arity(0); return .sin
        case "cos": try arity(0); return .cos
        case "gelu": try arity(0); return .gelu
        case "swish", "silu": try arity(0); return .swish
        case "sigmoid": try arity(0); return .sigmoid
        case "softplus": try arity(0); return .softplus
        case "leaky_relu": try arity(1); return .leakyRelu(try number(1))
        case "abrelu": try arity(2); return .abrelu(negative: try number(1), positive: try number(2))
        case "elu": try arity(1); return .elu(try number(1))
        default: throw .unknown(text)
        }
    }

    public var description: String { name }

    // MARK: Codable / Hashable by name (custom closures cannot be encoded)

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try Activation.parse(text)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }

    public static func == (a: Activation, b: Activation) -> Bool { a.kind == b.kind && a.name == b.name }
    public func hash(into h: inout Hasher) { h.combine(name) }

    // MARK: evaluation

    /// σ(t).
    @inlinable
    public func callAsFunction(_ t: Double) -> Double { value(t) }

    public func value(_ t: Double) -> Double {
        switch kind {
        case .linear: return t
        case let .rectified(neg, pos): return t > 0 ? pos * t : neg * t
        case .step: return t > 0 ? 1 : 0
        case .sign: return t > 0 ? 1 : (t < 0 ? -1 : 0)
        case .erf: return Foundation.erf(t)
        case .tanh: return Foundation.tanh(t)
        case .sin: return Foundation.sin(t)
        case .cos: return Foundation.cos(t)
        case .gelu: return t * normalCDF(t)
        case .swish: return t * logistic(t)
        case .sigmoid: return logistic(t)
        case .softplus: return t > 0 ? t + Foundation.log1p(Foundation.exp(-t)) : Foundation.log1p(Foundation.exp(t))
        case let .elu(alpha): return t > 0 ? t : alpha * Foundation.expm1(t)
        case .custom: return customValue!(t)
        }
    }

    /// σ′(t). For `step` this is 0 (the derivative automatic differentiation uses almost everywhere,
    /// so the NTK of a step network has no contribution through step layers).
    public func derivative(_ t: Double) -> Double {
        switch kind {
        case .linear: return 1
        case let .rectified(neg, pos): return t > 0 ? pos : neg
        case .step, .sign: return 0
        case .erf: return 2 / Double.pi.squareRoot() * Foundation.exp(-t * t)
        case .tanh: let c = Foundation.cosh(t); return c.isFinite ? 1 / (c * c) : 0
        case .sin: return Foundation.cos(t)
        case .cos: return -Foundation.sin(t)
        case .gelu: return normalCDF(t) + t * normalPDF(t)
        case .swish: let s = logistic(t); return s + t * s * (1 - s)
        case .sigmoid: let s = logistic(t); return s * (1 - s)
        case .softplus: return logistic(t)
        case let .elu(alpha): return t > 0 ? 1 : alpha * Foundation.exp(t)
        case .custom:
            if let d = customDerivative { return d(t) }
            let h = 1e-5 * max(1, Swift.abs(t))
            return (customValue!(t + h) - customValue!(t - h)) / (2 * h)
        }
    }

    /// Points where σ or σ′ is not smooth (quadrature splits there).
    public var kinks: [Double] {
        switch kind {
        case .rectified, .step, .sign: return [0]
        case .elu: return [0]
        case .custom: return customKinks
        default: return []
        }
    }

    /// Whether σ is positively homogeneous of degree 1 (the scale-invariant universality class,
    /// PDLT §5.2): linear and the rectified family.
    public var isScaleInvariant: Bool {
        switch kind {
        case .linear, .rectified: return true
        default: return false
        }
    }

    /// The slopes (a₋, a₊) of a scale-invariant activation (linear: (1, 1)).
    public var slopes: (negative: Double, positive: Double)? {
        switch kind {
        case .linear: return (1, 1)
        case let .rectified(n, p): return (n, p)
        default: return nil
        }
    }

    /// Taylor coefficients (σ₀, σ₁, σ₂, σ₃) with σ(z) = σ₀ + σ₁ z + σ₂ z²/2 + σ₃ z³/6 + … at z = 0
    /// (PDLT §5.3.3), or nil where σ is not smooth at 0.
    public var taylorAtZero: (s0: Double, s1: Double, s2: Double, s3: Double)? {
        let sqrtPi = Double.pi.squareRoot()
        switch kind {
        case .linear: return (0, 1, 0, 0)
        case .rectified, .step, .sign: return nil
        case .erf: return (0, 2 / sqrtPi, 0, -4 / sqrtPi)
        case .tanh: return (0, 1, 0, -2)
        case .sin: return (0, 1, 0, -1)
        case .cos: return (1, 0, -1, 0)
        // t Φ(t) = t/2 + t²/√(2π) + 0·t³ + …  ⇒ σ₂ = 2/√(2π), σ₃ = 0.
        case .gelu: return (0, 0.5, 2 / (2 * Double.pi).squareRoot(), 0)
        // t·sigmoid(t) = t/2 + t²/4 − t⁴/48 … ⇒ σ₂ = 1/2, σ₃ = 0.
        case .swish: return (0, 0.5, 0.5, 0)
        // sigmoid = 1/2 + t/4 − t³/48 ⇒ σ₃ = −1/8.
        case .sigmoid: return (0.5, 0.25, 0, -0.125)
        // softplus = log 2 + t/2 + t²/8 − t⁴/192 ⇒ σ₂ = 1/4, σ₃ = 0.
        case .softplus: return (Foundation.log(2), 0.5, 0.25, 0)
        case .elu: return nil  // σ″ jumps at 0 for every α
        case .custom:
            if customKinks.contains(0) { return nil }
            let f = customValue!
            let h = 1e-3
            let s1 = (f(h) - f(-h)) / (2 * h)
            let s2 = (f(h) - 2 * f(0) + f(-h)) / (h * h)
            let h3 = 1e-2
            let s3 = (f(2 * h3) - 2 * f(h3) + 2 * f(-h3) - f(-2 * h3)) / (2 * h3 * h3 * h3)
            return (f(0), s1, s2, s3)
        }
    }
}

/// Errors in naming an activation.
public enum ActivationError: Error, Equatable, CustomStringConvertible {
    case unknown(String)
    case badParameter(String, String)

    public var description: String {
        switch self {
        case .unknown(let s): return "unknown activation '\(s)'; known: \(Activation.spellings)"
        case let .badParameter(s, why): return "bad activation '\(s)': \(why)"
        }
    }
}

/// Φ(t), the standard normal CDF.
@inlinable public func normalCDF(_ t: Double) -> Double { 0.5 * Foundation.erfc(-t / 2.0.squareRoot()) }
/// φ(t), the standard normal density.
@inlinable public func normalPDF(_ t: Double) -> Double { Foundation.exp(-0.5 * t * t) / (2 * Double.pi).squareRoot() }
/// 1/(1 + e^{−t}), computed without overflow.
@inlinable public func logistic(_ t: Double) -> Double {
    t >= 0 ? 1 / (1 + Foundation.exp(-t)) : { let e = Foundation.exp(t); return e / (1 + e) }()
}

func fmt(_ x: Double) -> String {
    x == x.rounded() && Swift.abs(x) < 1e15 ? String(Int(x)) : String(x)
}
