import Foundation
import Gaussian

/// How the learning rates of a network's parameters are expressed.
///
/// - `ntk`: PDLT's convention (and neural-tangents' `parameterization='ntk'`): the learning-rate
///   tensor is λ_b for biases and λ_W/n_{ℓ−1} for weights (PDLT §7.1 and §8.0, group-by-group
///   learning rates); the NTK at infinite width is width-independent.
/// - `standard`: learning rates η_b, η_W on the raw parameters (neural-tangents'
///   `parameterization='standard'`), i.e. PDLT's λ_b = η_b and λ_W = η_W · n_{ℓ−1}; the weight part
///   of the NTK then grows with the width of the layer below.
public enum Parameterization: String, Codable, Sendable, CaseIterable {
    case ntk
    case standard
}

/// A deep MLP as PDLT describes it (PDLT §2.1): input dimension n₀, depth L (number of
/// weight layers; the output is z^(L)), hidden widths n₁ … n_{L−1}, output width n_L, one
/// activation σ, initialization hyperparameters C_b^(ℓ), C_W^(ℓ) (b ~ N(0, C_b), W ~ N(0, C_W/n_{ℓ−1}))
/// and learning-rate hyperparameters λ_b^(ℓ), λ_W^(ℓ), for ℓ = 1 … L.
///
/// JSON keys: `input_dim` (optional), `depth`, `width` or `widths`, `output_width`, `activation`,
/// `cb`, `cw`, `lambda_b`, `lambda_w` (each a number or a list of L numbers), `parameterization`.
/// neural-tangents: C_W = W_std², C_b = b_std²; the defaults λ_W = C_W, λ_b = C_b reproduce its NTK.
public struct NetworkSpec: Sendable, Equatable {
    public var inputDimension: Int?
    public var depth: Int
    /// n₁ … n_{L−1} (empty for L = 1).
    public var hiddenWidths: [Int]
    public var outputWidth: Int
    public var activation: Activation
    /// C_b^(ℓ), ℓ = 1 … L.
    public var cb: [Double]
    /// C_W^(ℓ), ℓ = 1 … L.
    public var cw: [Double]
    /// λ_b^(ℓ), ℓ = 1 … L.
    public var lambdaB: [Double]
    /// λ_W^(ℓ), ℓ = 1 … L.
    public var lambdaW: [Double]
    public var parameterization: Parameterization

    /// Default hidden width when none is given (only finite-width quantities and the standard
    /// parameterization depend on it).
    public static let defaultWidth = 512

    /// The largest depth a spec may have (per-layer arrays are allocated from the depth, so a corrupted file with
    /// depth 10¹⁸ must be refused, not allocated).
    public static let maxDepth = 1_000_000

    static func checkDepth(_ depth: Int) throws(SpecError) {
        guard depth >= 1 else { throw .invalid("depth must be at least 1 (number of weight layers), got \(depth)") }
        guard depth <= maxDepth else { throw .invalid("depth \(depth) is larger than the supported \(maxDepth) layers") }
    }

    /// A spec with uniform hyperparameters. `lambdaB`/`lambdaW` default to neural-tangents' choice:
    /// `cb`/`cw` in the ntk parameterization, 1 (raw-parameter learning rate) in the standard one.
    public init(inputDimension: Int? = nil, depth: Int, width: Int = NetworkSpec.defaultWidth, outputWidth: Int = 1,
                activation: Activation, cb: Double, cw: Double, lambdaB: Double? = nil, lambdaW: Double? = nil,
                parameterization: Parameterization = .ntk) throws(SpecError) {
        try Self.checkDepth(depth)
        try self.init(inputDimension: inputDimension, depth: depth,
                      hiddenWidths: [Int](repeating: width, count: max(depth - 1, 0)), outputWidth: outputWidth,
                      activation: activation, cb: [Double](repeating: cb, count: max(depth, 0)),
                      cw: [Double](repeating: cw, count: max(depth, 0)),
                      lambdaB: lambdaB.map { [Double](repeating: $0, count: max(depth, 0)) },
                      lambdaW: lambdaW.map { [Double](repeating: $0, count: max(depth, 0)) },
                      parameterization: parameterization)
    }

    /// A spec with per-layer hyperparameters; arrays of length 1 are broadcast to all layers.
    public init(inputDimension: Int? = nil, depth: Int, hiddenWidths: [Int], outputWidth: Int = 1,
                activation: Activation, cb: [Double], cw: [Double], lambdaB: [Double]? = nil, lambdaW: [Double]? = nil,
                parameterization: Parameterization = .ntk) throws(SpecError) {
        try Self.checkDepth(depth)
        func layers(_ v: [Double], _ name: String) throws(SpecError) -> [Double] {
            if v.count == 1 { return [Double](repeating: v[0], count: depth) }
            guard v.count == depth else { throw .invalid("\(name) has \(v.count) values; give 1 or depth = \(depth)") }
            return v
        }
        var widths = hiddenWidths
        if widths.count == 1 && depth > 2 { widths = [Int](repeating: widths[0], count: depth - 1) }
        guard widths.count == depth - 1 else {
            throw .invalid("\(widths.count) hidden widths given for depth \(depth); give 1 or depth − 1 = \(depth - 1)")
        }
        self.inputDimension = inputDimension
        self.depth = depth
        self.hiddenWidths = widths
        self.outputWidth = outputWidth
        self.activation = activation
        self.cb = try layers(cb, "cb")
        self.cw = try layers(cw, "cw")
        // Default learning rates: neural-tangents' — λ = C in the ntk parameterization, raw-parameter
        // learning rate 1 (λ_b = 1, λ_W = n_{ℓ−1}) in the standard one.
        let standard = parameterization == .standard
        self.lambdaB = try layers(lambdaB ?? (standard ? [1] : cb), "lambda_b")
        self.lambdaW = try layers(lambdaW ?? (standard ? [1] : cw), "lambda_w")
        self.parameterization = parameterization
        try validate()
    }

    /// Checks every hyperparameter, naming the first bad one.
    public func validate() throws(SpecError) {
        if let n0 = inputDimension, n0 < 1 { throw .invalid("input dimension must be at least 1, got \(n0)") }
        guard depth >= 1 else { throw .invalid("depth must be at least 1, got \(depth)") }
        for (i, n) in hiddenWidths.enumerated() where n < 1 {
            throw .invalid("width of hidden layer \(i + 1) must be at least 1, got \(n)")
        }
        guard outputWidth >= 1 else { throw .invalid("output width must be at least 1, got \(outputWidth)") }
        func check(_ v: [Double], _ name: String, allowZero: Bool) throws(SpecError) {
            for (i, x) in v.enumerated() {
                guard x.isFinite else { throw .invalid("\(name) of layer \(i + 1) is not finite (\(x))") }
                guard x >= 0 else { throw .invalid("\(name) of layer \(i + 1) is negative (\(x)); variances and learning rates must be ≥ 0") }
                if !allowZero && x == 0 { throw .invalid("\(name) of layer \(i + 1) must be positive") }
            }
        }
        try check(cw, "C_W (cw)", allowZero: false)
        try check(cb, "C_b (cb)", allowZero: true)
        try check(lambdaW, "λ_W (lambda_w)", allowZero: true)
        try check(lambdaB, "λ_b (lambda_b)", allowZero: true)
    }

    /// The number of weights and biases of one network, Σ_ℓ n_ℓ (n_{ℓ−1} + 1) for ℓ = 1 … L (PDLT §2.1; n₀ from
    /// `inputDimension`, 0 when unknown), saturating at Int.max instead of overflowing.
    public var parameterCount: Int {
        var total = 0
        for l in 1...depth {
            let (w, o1) = width(ofLayer: l).multipliedReportingOverflow(by: width(ofLayer: l - 1) + 1)
            let (t, o2) = total.addingReportingOverflow(w)
            if o1 || o2 { return Int.max }
            total = t
        }
        return total
    }

    /// n_ℓ for ℓ = 0 … L (n₀ must be known).
    public func width(ofLayer l: Int) -> Int {
        if l == 0 { return inputDimension ?? 0 }
        if l == depth { return outputWidth }
        return hiddenWidths[l - 1]
    }

    /// PDLT's λ_W^(ℓ) in the NTK recursion for layer ℓ = 1 … L: λ_W in the ntk parameterization,
    /// η_W · n_{ℓ−1} in the standard one.
    public func effectiveLambdaW(layer l: Int) -> Double {
        switch parameterization {
        case .ntk: return lambdaW[l - 1]
        case .standard: return lambdaW[l - 1] * Double(width(ofLayer: l - 1))
        }
    }

    /// The same network with another input dimension.
    public func with(inputDimension n0: Int) -> NetworkSpec {
        var s = self
        s.inputDimension = n0
        return s
    }

    /// The same network with another output width n_L (e.g. the number of target columns).
    public func with(outputWidth nL: Int) -> NetworkSpec {
        var s = self
        s.outputWidth = nL
        return s
    }

    /// Aspect ratio r = Σ_{ℓ=1}^{L−1} 1/n_ℓ (= L/n for equal widths up to the last layer; Hanin's L/n,
    /// PDLT's expansion parameter, §3.4, §4.6).
    public var aspectRatio: Double { hiddenWidths.reduce(0) { $0 + 1 / Double($1) } }
}

/// An invalid network description.
public enum SpecError: Error, Equatable, CustomStringConvertible {
    case invalid(String)
    public var description: String {
        switch self { case .invalid(let s): return "invalid network spec: \(s)" }
    }
}
