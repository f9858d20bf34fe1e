import Architecture
import Dispatch
import Foundation
import Gaussian
import Linalg

/// The infinite-width NNGP kernel K^(ℓ) and frozen NTK Θ^(ℓ) of a layer, for N₁ × N₂ inputs.
public struct LayerKernels: Sendable, Equatable {
    /// K^(ℓ)_{δ₁δ₂} (PDLT §4.1 for ℓ = 1, the recursion of §4.3 above).
    public var nngp: Matrix
    /// Θ^(ℓ)_{δ₁δ₂}, the frozen NTK (PDLT §8.3 at leading order, §9.1).
    public var ntk: Matrix
}

/// Kernels of every requested layer ℓ = 1 … L; `layers.last` is the output layer.
public struct InfiniteWidthKernels: Sendable {
    /// Layer indices ℓ (1-based) of the entries of `layers`.
    public var layerIndices: [Int]
    public var layers: [LayerKernels]
    public var output: LayerKernels { layers[layers.count - 1] }
}

/// Errors of kernel computations on user inputs.
public enum KernelError: Error, Equatable, CustomStringConvertible {
    case inputDimensionMismatch(expected: Int, got: Int, which: String)
    case emptyInputs(String)
    case nonFinite(String)
    case diverged(layer: Int)

    public var description: String {
        switch self {
        case let .inputDimensionMismatch(e, g, which):
            return "mismatched input dimensions: \(which) has \(g) columns, expected \(e)"
        case .emptyInputs(let which): return "\(which) has no rows"
        case .nonFinite(let which): return "\(which) contains NaN or Inf"
        case .diverged(let l): return "the kernel overflowed (became non-finite) at layer \(l): the network is deep in the chaotic/exploding phase"
        }
    }
}

/// The infinite-width kernels of an MLP.
///
/// Layer 1 (PDLT §4.1): K^(1) = C_b + C_W x·x′/n₀ and Θ^(1) = λ_b + λ_W x·x′/n₀.
/// Layer ℓ+1 (PDLT §4.3 and the opening of ch. 5 for K, §9.1 for Θ):
///   K^(ℓ+1)_{δ₁δ₂} = C_b + C_W ⟨σ(z_{δ₁}) σ(z_{δ₂})⟩_{K^(ℓ)},
///   Θ^(ℓ+1)_{δ₁δ₂} = λ_b + λ_W ⟨σσ⟩_{K^(ℓ)} + C_W ⟨σ′σ′⟩_{K^(ℓ)} Θ^(ℓ)_{δ₁δ₂}.
///
/// Numerics: each off-diagonal pair is carried by one signed number w — its deficit
/// d = √(K₁₁K₂₂) − K₁₂ when K₁₂ ≥ 0, minus its surplus √(K₁₁K₂₂) + K₁₂ when K₁₂ < 0 (the sign bit,
/// −0.0 included, tells which) — updated without cancellation (see `nextPair`). Deep networks whose
/// correlations flow to 1 (ReLU: 1 − ρ ~ ℓ⁻²) and (anti)parallel inputs thus keep full relative
/// accuracy in the angle θ (or π − θ) and in ⟨σ′σ′⟩. The N² loop runs on
/// all cores, in row blocks, with no per-entry allocation; the rectified family has an inlined path.
public enum InfiniteWidth {
    /// Kernels for the inputs `x1` (N₁ × n₀, rows are inputs) and, when given, the cross-kernel with
    /// `x2` (N₂ × n₀). `keepLayers`: which layers to return (default: the output layer only).
    public static func kernels(spec: NetworkSpec, x1: Matrix, x2: Matrix? = nil,
                               keepLayers: Set<Int>? = nil) throws -> InfiniteWidthKernels {
        try validate(spec: spec, x1: x1, x2: x2)
        let symmetric = x2 == nil
        let xb = x2 ?? x1
        let n0 = Double(x1.cols)
        let spec = spec.with(inputDimension: x1.cols)
        let keep = keepLayers ?? [spec.depth]
        var state = try firstLayer(spec: spec, x1: x1, x2: xb, symmetric: symmetric, n0: n0)
        var out = InfiniteWidthKernels(layerIndices: [], layers: [])
        for l in 1...spec.depth {
            if l > 1 {
                state.advance(activation: spec.activation, cb: spec.cb[l - 1], cw: spec.cw[l - 1],
                              lambdaB: spec.lambdaB[l - 1], lambdaW: spec.effectiveLambdaW(layer: l))
            }
            guard state.isFinite else { throw KernelError.diverged(layer: l) }
            if keep.contains(l) {
                out.layerIndices.append(l)
                out.layers.append(state.materialize(consuming: l == spec.depth))
            }
        }
        return out
    }

    static func validate(spec: NetworkSpec, x1: Matrix, x2: Matrix?) throws {
        try spec.validate()
        guard x1.rows > 0 else { throw KernelError.emptyInputs("the inputs") }
        guard x1.isFinite else { throw KernelError.nonFinite("the inputs") }
        if let n0 = spec.inputDimension, n0 != x1.cols {
            throw KernelError.inputDimensionMismatch(expected: n0, got: x1.cols, which: "the inputs")
        }
        if let x2 {
            guard x2.rows > 0 else { throw KernelError.emptyInputs("the second inputs") }
            guard x2.isFinite else { throw KernelError.nonFinite("the second inputs") }
            guard x2.cols == x1.cols else {
                throw KernelError.inputDimensionMismatch(expected: x1.cols, got: x2.cols, which: "the second inputs")
            }
        }
    }

    /// Layer 1 from the Gram matrix G = x·x′/n₀ (`Matrix.reproducibleProduct`: the same bits for any thread count),
    /// in parallel over rows.
    static func firstLayer(spec: NetworkSpec, x1: Matrix, x2: Matrix, symmetric: Bool, n0: Double) throws -> KernelState {
        var gram = try Matrix.reproducibleProduct(x1, transposed: symmetric ? nil : x2, scale: 1 / n0)
        let g1 = (0..<x1.rows).map { i in x1.row(i).reduce(0.0) { $0 + $1 * $1 } / n0 }
        let g2 = symmetric ? g1 : (0..<x2.rows).map { i in x2.row(i).reduce(0.0) { $0 + $1 * $1 } / n0 }
        let rg1 = g1.map { $0.squareRoot() }, rg2 = g2.map { $0.squareRoot() }
        let n1 = x1.rows, n2 = x2.rows, d = x1.cols
        let cb = spec.cb[0], cw = spec.cw[0], lb = spec.lambdaB[0], lw = spec.effectiveLambdaW(layer: 1)
        var st = KernelState(rows: n1, cols: n2, symmetric: symmetric, deficitStorage: [])
        for i in 0..<n1 { st.diag1[i] = cb + cw * g1[i]; st.ntkDiag1[i] = lb + lw * g1[i] }
        for j in 0..<n2 { st.diag2[j] = cb + cw * g2[j]; st.ntkDiag2[j] = lb + lw * g2[j] }
        let rk1 = st.diag1.map { $0.squareRoot() }, rk2 = st.diag2.map { $0.squareRoot() }
        // The per-input square roots as raw pointers: one buffer of 4·N values.
        let roots = rg1 + rg2 + rk1 + rk2
        st.deficit = gram.storage
        gram = Matrix(rows: 0, cols: 0)  // release the second reference: the deficit is computed in place
        st.deficit.withUnsafeMutableBufferPointer { db in
                st.ntk.withUnsafeMutableBufferPointer { tb in
                    x1.storage.withUnsafeBufferPointer { xa in
                        x2.storage.withUnsafeBufferPointer { xb in
                            roots.withUnsafeBufferPointer { rb in
                                let p = FirstLayerPointers(
                                    gram: UnsafePointer(db.baseAddress!), deficit: db.baseAddress!, ntk: tb.baseAddress!,
                                    x1: xa.baseAddress!, x2: xb.baseAddress!, rg1: rb.baseAddress!, rg2: rb.baseAddress! + n1,
                                    rk1: rb.baseAddress! + n1 + n2, rk2: rb.baseAddress! + 2 * n1 + n2)
                                parallelRows(n1) { i in
                                    FirstLayerRow.update(row: i, cols: n2, dim: d, n0: n0, symmetric: symmetric,
                                                         cb: cb, cw: cw, lambdaB: lb, lambdaW: lw, p)
                                }
                            }
                        }
                    }
                }
        }
        return st
    }

    /// The signed pair value w′ of K′ = C_b + C_W A (deficit if K′₁₂ ≥ 0, −surplus otherwise) from
    /// the deficit Δ_A and surplus Σ_A of A, without cancellation:
    /// K′₁₁K′₂₂ − K′₁₂² = C_b C_W ((√A₁₁ − √A₂₂)² + 2Δ_A) + C_W² Δ_A Σ_A
    /// = (√(K′₁₁K′₂₂) − K′₁₂)(√(K′₁₁K′₂₂) + K′₁₂).
    @inlinable
    public static func nextPair(cb: Double, cw: Double, rootA11: Double, rootA22: Double, a12: Double, deltaA: Double,
                                sigmaA: Double, rootK11: Double, rootK22: Double) -> Double {
        let sNew = rootK11 * rootK22
        let k12 = cb + cw * a12
        let r = rootA11 - rootA22
        let num = max(cb * cw * (r * r + 2 * max(deltaA, 0)) + cw * cw * max(deltaA, 0) * max(sigmaA, 0), 0)
        return k12 >= 0 ? num / (sNew + k12) : -(num / (sNew - k12))
    }

    /// u = 1 − cos θ and v = 1 + cos θ of a signed pair value w: the one stored exactly, the other
    /// as 2 minus it.
    @inlinable
    public static func geometry(_ w: Double, s: Double) -> (u: Double, v: Double) {
        if w.sign == .minus { let v = s > 0 ? min(-w / s, 2) : 1; return (2 - v, v) }
        let u = s > 0 ? min(w / s, 2) : 1
        return (u, 2 - u)
    }

    /// K₁₂ and the deficit d ∈ [0, 2s] of a signed pair value w (see `nextPair`), s = √(K₁₁K₂₂).
    @inlinable
    public static func decode(_ w: Double, s: Double) -> (k12: Double, deficit: Double) {
        w.sign == .minus ? (-w - s, 2 * s + w) : (s - w, w)
    }

    /// The deficit of K′ = C_b + C_W A from the deficit Δ_A of A, without cancellation:
    /// K′₁₁K′₂₂ − K′₁₂² = C_b C_W ((√A₁₁ − √A₂₂)² + 2Δ_A) + C_W² Δ_A (2√(A₁₁A₂₂) − Δ_A).
    @inlinable
    public static func nextDeficit(cb: Double, cw: Double, a11: Double, a22: Double, a12: Double, deltaA: Double,
                            k11: Double, k22: Double) -> Double {
        let sNew = (k11 * k22).squareRoot()
        let k12 = cb + cw * a12
        if k12 <= 0 { return sNew - k12 }
        let r = a11.squareRoot() - a22.squareRoot()
        let num = cb * cw * (r * r + 2 * deltaA) + cw * cw * deltaA * (2 * (a11 * a22).squareRoot() - deltaA)
        return max(num, 0) / (sNew + k12)
    }
}

struct FirstLayerPointers: @unchecked Sendable {
    let gram: UnsafePointer<Double>
    let deficit: UnsafeMutablePointer<Double>
    let ntk: UnsafeMutablePointer<Double>
    let x1: UnsafePointer<Double>
    let x2: UnsafePointer<Double>
    let rg1: UnsafePointer<Double>, rg2: UnsafePointer<Double>, rk1: UnsafePointer<Double>, rk2: UnsafePointer<Double>
}

/// One row of layer 1: Θ^(1) = λ_b + λ_W G and the deficit of K^(1) = C_b + C_W G from the deficit
/// of G (recomputed from the inputs, without cancellation, for nearly parallel pairs).
enum FirstLayerRow {
    @inline(__always)
    static func update(row i: Int, cols n2: Int, dim d: Int, n0: Double, symmetric: Bool, cb: Double, cw: Double,
                       lambdaB lb: Double, lambdaW lw: Double, _ p: FirstLayerPointers) {
        let rg1 = p.rg1[i], rk1 = p.rk1[i]
        for j in (symmetric ? i : 0)..<n2 {
            let k = i * n2 + j
            let a12 = p.gram[k]
            let s = rg1 * p.rg2[j]
            var def = s - a12, sur = s + a12
            let parallel = def < 1e-4 * s, antiparallel = sur < 1e-4 * s
            if (parallel || antiparallel) && s > 0 && !(symmetric && i == j) {
                // Nearly (anti)parallel inputs: √(G₁₁G₂₂) ∓ G₁₂ = s |x̂ ∓ x̂′|²/2 from the inputs themselves.
                let inv1 = 1 / (rg1 * n0.squareRoot()), inv2 = 1 / (p.rg2[j] * n0.squareRoot())
                let sign: Double = parallel ? -1 : 1
                var acc = 0.0
                for c in 0..<d {
                    let t = p.x1[i * d + c] * inv1 + sign * p.x2[j * d + c] * inv2
                    acc += t * t
                }
                if parallel { def = s * acc / 2; sur = 2 * s - def } else { sur = s * acc / 2; def = 2 * s - sur }
            }
            if symmetric && i == j { def = 0; sur = 2 * s }
            p.ntk[k] = lb + lw * a12
            p.deficit[k] = InfiniteWidth.nextPair(cb: cb, cw: cw, rootA11: rg1, rootA22: p.rg2[j], a12: s - def,
                                                  deltaA: def, sigmaA: sur, rootK11: rk1, rootK22: p.rk2[j])
        }
    }
}
