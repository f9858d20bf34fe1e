import Foundation

/// The width-scaling schemes of an MLP as abc-parameterizations (Yang & Hu, "Tensor Programs IV", arXiv 2011.14522,
/// §3; "Tensor Programs V", arXiv 2203.03466, Table 3): every weight is a multiplier times a trained parameter,
/// W^ℓ = n^{−a_ℓ} w^ℓ, with w^ℓ ~ N(0, n^{−2b_ℓ}) and learning rate η n^{−c_ℓ}, n the hidden width. DeepTheory
/// writes the exponents against the width ratio ρ = n/n_base, with constants fixed at the base width n_base (as
/// microsoft/mup's base shapes do), so that standard and μP are the same network at n = n_base.
///
/// - `standard` (SP; neural-tangents' `parameterization='standard'`, PyTorch's fan-in init): W ~ N(0, C_W/fan_in),
///   one learning rate η for everything.
/// - `ntk` (PDLT's parameterization, neural-tangents' `'ntk'`): W = √(C_W/fan_in)·w, w ~ N(0, 1), learning rate η
///   on w — PDLT's learning-rate tensor λ_W = C_W, λ_b = C_b (§7.1, §8.0).
/// - `mup` (maximal update, TP5 Table 3): SP's init for input and hidden layers, output weights N(0, C_W n_base/n²);
///   SGD learning rates η·ρ (input weights, hidden biases), η (hidden weights), η/ρ (output weights); Adam η (input
///   weights, all biases), η/ρ (hidden and output weights).
/// - `meanField` (Mei–Montanari–Nguyen 2018, Chizat–Bach 2018), one hidden layer only: h(x) = (1/n) Σ_j a_j σ(w_j·x
///   + b_j), a_j ~ N(0, C_W), SGD learning rate η·ρ on every particle (each particle moves by O(1)). With
///   n_base = 1 it is `mup` written in other coordinates (same function at every step).
public enum WidthScheme: String, Sendable, CaseIterable, Codable {
    case standard, ntk, mup, meanField = "mean-field"

    public var displayName: String {
        switch self {
        case .standard: return "SP"
        case .ntk: return "NTK"
        case .mup: return "μP"
        case .meanField: return "mean field"
        }
    }
}

/// The optimizers the width-scaling code trains with (PDLT §7.2 for SGD; Adam, Kingma & Ba 2015; sign descent;
/// Muon — spectral steepest descent per weight matrix, Jordan et al. 2024 — with Adam on the biases).
public enum WidthOptimizer: String, Sendable, CaseIterable, Codable {
    case sgd, adam, sign, muon
    /// Adam-like optimizers (update size independent of the gradient's scale) take TP5's Adam learning-rate exponents.
    var scaleInvariant: Bool { self != .sgd }
}

/// One weight layer's place in the network.
public enum LayerKind: String, Sendable, Codable { case input, hidden, output }

/// The abc exponents of one parameter tensor: multiplier ∝ ρ^{−a}, init std ∝ ρ^{−b}, learning rate ∝ ρ^{−c}.
public struct AbcExponents: Sendable, Equatable, Codable {
    public var a: Double, b: Double, c: Double
    public init(a: Double, b: Double, c: Double) { self.a = a; self.b = b; self.c = c }
}

/// What a layer's weights and biases are at width n: multipliers, init standard deviations of the trained
/// parameters, and learning-rate factors (the optimizer's η times this factor).
public struct LayerRule: Sendable, Equatable {
    public var kind: LayerKind
    public var weightMultiplier: Double, weightStd: Double, weightRate: Double
    public var biasMultiplier: Double, biasStd: Double, biasRate: Double
    public var weightExponents: AbcExponents, biasExponents: AbcExponents
}

public enum ParameterizationError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    public var description: String {
        switch self { case .invalid(let s): return s }
    }
}

extension WidthScheme {
    /// The abc exponents of the weights and biases of a layer of `kind` under this scheme and optimizer (TP4 §3,
    /// TP5 Table 3; the width-independent constants are in `rules`).
    /// Muon's orthogonalized weight update, scaled by √max(1, n_out/n_in), already has the width-correct size in
    /// every layer (spectral norm Θ(1) moves preactivations by Θ(1)), so its weights take c = 0 in every scheme.
    public func exponents(_ kind: LayerKind, optimizer: WidthOptimizer) -> (weights: AbcExponents, biases: AbcExponents) {
        var e = baseExponents(kind, optimizer: optimizer)
        if optimizer == .muon { e.weights.c = 0 }
        return e
    }

    func baseExponents(_ kind: LayerKind, optimizer: WidthOptimizer) -> (weights: AbcExponents, biases: AbcExponents) {
        let adam = optimizer.scaleInvariant
        let e = AbcExponents.init(a:b:c:)
        switch (self, kind) {
        case (.standard, .input): return (e(0, 0, 0), e(0, 0, 0))
        case (.standard, _): return (e(0, 0.5, 0), e(0, 0, 0))
        case (.ntk, .input): return (e(0, 0, 0), e(0, 0, 0))
        case (.ntk, _): return (e(0.5, 0, 0), e(0, 0, 0))
        case (.mup, .input): return (e(0, 0, adam ? 0 : -1), e(0, 0, adam ? 0 : -1))
        case (.mup, .hidden): return (e(0, 0.5, adam ? 1 : 0), e(0, 0, adam ? 0 : -1))
        case (.mup, .output): return (e(0, 1, 1), e(0, 0, 0))
        case (.meanField, .output): return (e(1, 0, adam ? 0 : -1), e(0, 0, 0))
        case (.meanField, _): return (e(0, 0, adam ? 0 : -1), e(0, 0, adam ? 0 : -1))
        }
    }

    /// The per-layer rules for widths n₀ (input), n (every hidden layer), k (output) and `depth` weight layers, at
    /// width ratio n/`baseWidth`. `cw`, `cb`: the variances C_W, C_b per layer (length depth). At n = n_base,
    /// standard and μP are the same network with the same learning rates.
    public func rules(depth: Int, inputDimension d: Int, width n: Int, outputWidth k: Int, baseWidth: Int,
                      cw: [Double], cb: [Double], optimizer: WidthOptimizer) throws(ParameterizationError) -> [LayerRule] {
        guard depth >= 2 else { throw .invalid("a width-scaled MLP needs at least one hidden layer (depth ≥ 2), got depth \(depth)") }
        guard n >= 1 else { throw .invalid("width must be at least 1, got \(n)") }
        guard d >= 1, k >= 1 else { throw .invalid("input and output dimensions must be at least 1") }
        guard baseWidth >= 1 else { throw .invalid("base width must be at least 1, got \(baseWidth)") }
        guard cw.count == depth, cb.count == depth else { throw .invalid("give C_W and C_b for each of the \(depth) layers") }
        for (l, v) in cw.enumerated() where !(v > 0 && v.isFinite) { throw .invalid("C_W of layer \(l + 1) must be positive and finite, got \(v)") }
        for (l, v) in cb.enumerated() where !(v >= 0 && v.isFinite) { throw .invalid("C_b of layer \(l + 1) must be ≥ 0 and finite, got \(v)") }
        if self == .meanField && depth != 2 {
            throw .invalid("the mean-field parameterization is defined for one hidden layer (depth 2), got depth \(depth); use mup, its maximal-update extension to deeper nets")
        }
        let rho = Double(n) / Double(baseWidth)
        return (1...depth).map { l in
            let kind: LayerKind = l == 1 ? .input : (l == depth ? .output : .hidden)
            let (we, be) = exponents(kind, optimizer: optimizer)
            let fanInBase = Double(l == 1 ? d : baseWidth)
            // Constants at the base width: SP's fan-in init; NTK moves it into the multiplier; mean field's output
            // multiplier is 1/n_base (so 1/n at width n) on a_j ~ N(0, C_W).
            let (m0, s0): (Double, Double)
            switch (self, kind) {
            case (.ntk, _): (m0, s0) = ((cw[l - 1] / fanInBase).squareRoot(), 1)
            case (.meanField, .output): (m0, s0) = (1 / Double(baseWidth), cw[l - 1].squareRoot())
            default: (m0, s0) = (1, (cw[l - 1] / fanInBase).squareRoot())
            }
            let (bm0, bs0) = self == .ntk ? (cb[l - 1].squareRoot(), 1.0) : (1.0, cb[l - 1].squareRoot())
            return LayerRule(kind: kind,
                             weightMultiplier: m0 * Foundation.pow(rho, -we.a), weightStd: s0 * Foundation.pow(rho, -we.b),
                             weightRate: Foundation.pow(rho, -we.c),
                             biasMultiplier: bm0 * Foundation.pow(rho, -be.a), biasStd: bs0 * Foundation.pow(rho, -be.b),
                             biasRate: Foundation.pow(rho, -be.c), weightExponents: we, biasExponents: be)
        }
    }
}
