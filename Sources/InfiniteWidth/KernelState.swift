import Dispatch
import Foundation
import Gaussian
import Linalg

/// The per-layer state of the kernel recursion for N₁ × N₂ inputs: the diagonals K_δδ and Θ_δδ of
/// both input sets, and for each pair the deficit d = √(K₁₁K₂₂) − K₁₂ and Θ₁₂. In the symmetric
/// case only the upper triangle (j ≥ i) is updated.
struct KernelState {
    let rows: Int
    let cols: Int
    let symmetric: Bool
    var diag1: [Double]
    var diag2: [Double]
    var ntkDiag1: [Double]
    var ntkDiag2: [Double]
    var deficit: [Double]
    var ntk: [Double]

    /// A state whose deficit matrix takes over `deficitStorage` (rows × cols values, e.g. the Gram
    /// matrix's storage, overwritten entry by entry in the first layer).
    init(rows: Int, cols: Int, symmetric: Bool, deficitStorage: [Double]) {
        self.rows = rows
        self.cols = cols
        self.symmetric = symmetric
        diag1 = [Double](repeating: 0, count: rows)
        diag2 = [Double](repeating: 0, count: cols)
        ntkDiag1 = diag1
        ntkDiag2 = diag2
        deficit = deficitStorage
        ntk = LargeArrays.filled(rows * cols, with: 0)
    }

    var isFinite: Bool {
        diag1.allSatisfy(\.isFinite) && diag2.allSatisfy(\.isFinite) && ntkDiag1.allSatisfy(\.isFinite)
            && ntkDiag2.allSatisfy(\.isFinite)
    }

    /// K₁₂ = √(K₁₁K₂₂) − d and Θ₁₂ as matrices (mirrored in cache-sized blocks when symmetric; exact
    /// diagonal). `consuming` reuses the state's own storage (for the last layer).
    func materialize(consuming: Bool = false) -> LayerKernels {
        var k = consuming ? try! Matrix(rows: rows, cols: cols, storage: deficit) : Matrix(rows: rows, cols: cols)
        var t = consuming ? try! Matrix(rows: rows, cols: cols, storage: ntk) : Matrix(rows: rows, cols: cols)
        if consuming {
            let r1 = diag1.map { $0.squareRoot() }, r2 = diag2.map { $0.squareRoot() }
            let cols = self.cols, symmetric = self.symmetric
            k.storage.withUnsafeMutableBufferPointer { kb in
                let kp = SendablePointer(kb.baseAddress!)
                parallelRows(rows) { i in
                    for j in (symmetric ? i : 0)..<cols { kp.pointer[i * cols + j] = r1[i] * r2[j] - kp.pointer[i * cols + j] }
                }
                if symmetric {
                    for i in 0..<rows { kp.pointer[i * cols + i] = diag1[i] }
                    mirrorUpperToLower(kp.pointer, n: rows)
                }
            }
            if symmetric {
                t.storage.withUnsafeMutableBufferPointer { tb in
                    for i in 0..<rows { tb[i * cols + i] = ntkDiag1[i] }
                    mirrorUpperToLower(tb.baseAddress!, n: rows)
                }
            }
            return LayerKernels(nngp: k, ntk: t)
        }
        let r1 = diag1.map { $0.squareRoot() }, r2 = diag2.map { $0.squareRoot() }
        let cols = self.cols, symmetric = self.symmetric
        k.storage.withUnsafeMutableBufferPointer { kb in
            t.storage.withUnsafeMutableBufferPointer { tb in
                deficit.withUnsafeBufferPointer { db in
                    ntk.withUnsafeBufferPointer { nb in
                        let kp = SendablePointer(kb.baseAddress!), tp = SendablePointer(tb.baseAddress!)
                        let dp = SendableConstPointer(db.baseAddress!), np = SendableConstPointer(nb.baseAddress!)
                        parallelRows(rows) { i in
                            for j in (symmetric ? i : 0)..<cols {
                                kp.pointer[i * cols + j] = r1[i] * r2[j] - dp.pointer[i * cols + j]
                                tp.pointer[i * cols + j] = np.pointer[i * cols + j]
                            }
                        }
                        if symmetric {
                            for i in 0..<rows {
                                kp.pointer[i * cols + i] = diag1[i]
                                tp.pointer[i * cols + i] = ntkDiag1[i]
                            }
                            mirrorUpperToLower(kp.pointer, n: rows)
                            mirrorUpperToLower(tp.pointer, n: rows)
                        }
                    }
                }
            }
        }
        return LayerKernels(nngp: k, ntk: t)
    }

    /// One layer of the recursion (see `InfiniteWidth`), in place.
    mutating func advance(activation: Activation, cb: Double, cw: Double, lambdaB: Double, lambdaW: Double) {
        // Diagonals: single-input moments.
        let single1 = diag1.map { activation.singleMoments($0) }
        let single2 = symmetric ? single1 : diag2.map { activation.singleMoments($0) }
        let newDiag1 = single1.map { cb + cw * $0.sigma2 }
        let newDiag2 = single2.map { cb + cw * $0.sigma2 }
        let a1 = single1.map(\.sigma2), a2 = single2.map(\.sigma2)
        // Square roots the pair loop needs, once per input rather than once per pair.
        let r1 = diag1.map { $0.squareRoot() }, r2 = diag2.map { $0.squareRoot() }
        let ra1 = a1.map { $0.squareRoot() }, ra2 = a2.map { $0.squareRoot() }
        let rn1 = newDiag1.map { $0.squareRoot() }, rn2 = newDiag2.map { $0.squareRoot() }
        let cols = self.cols, symmetric = self.symmetric
        let oldDiag1 = diag1, oldDiag2 = diag2
        let rect: (Double, Double)? = {
            if case let .rectified(n, p) = activation.kind { return (n, p) }
            return nil
        }()
        deficit.withUnsafeMutableBufferPointer { dBuf in
            ntk.withUnsafeMutableBufferPointer { tBuf in
                let dp = SendablePointer(dBuf.baseAddress!), tp = SendablePointer(tBuf.baseAddress!)
                parallelRows(rows) { i in
                    let jStart = symmetric ? i + 1 : 0
                    if jStart >= cols { return }
                    let dRow = dp.pointer + i * cols, tRow = tp.pointer + i * cols
                    if let (an, ap) = rect {
                        r2.withUnsafeBufferPointer { r2p in ra2.withUnsafeBufferPointer { ra2p in rn2.withUnsafeBufferPointer { rn2p in
                            RectifiedRow.update(
                                from: jStart, to: cols, negative: an, positive: ap, cb: cb, cw: cw, lambdaB: lambdaB,
                                lambdaW: lambdaW, r1: r1[i], ra1: ra1[i], rn1: rn1[i], r2: r2p.baseAddress!,
                                ra2: ra2p.baseAddress!, rn2: rn2p.baseAddress!, deficit: dRow, ntk: tRow)
                        } } }
                    } else {
                        let k11 = oldDiag1[i], a11 = a1[i], nk11 = newDiag1[i]
                        for j in jStart..<cols {
                            let pm = activation.pairMoments(k11: k11, k22: oldDiag2[j], deficit: dRow[j])
                            tRow[j] = lambdaB + lambdaW * pm.sigmaSigma + cw * pm.derivDeriv * tRow[j]
                            dRow[j] = InfiniteWidth.nextDeficit(cb: cb, cw: cw, a11: a11, a22: a2[j], a12: pm.sigmaSigma,
                                                                deltaA: pm.sigmaDeficit, k11: nk11, k22: newDiag2[j])
                        }
                    }
                }
            }
        }
        for i in 0..<rows { ntkDiag1[i] = lambdaB + lambdaW * single1[i].sigma2 + cw * single1[i].deriv2 * ntkDiag1[i] }
        if symmetric {
            ntkDiag2 = ntkDiag1
        } else {
            for j in 0..<cols { ntkDiag2[j] = lambdaB + lambdaW * single2[j].sigma2 + cw * single2[j].deriv2 * ntkDiag2[j] }
        }
        diag1 = newDiag1
        diag2 = newDiag2
    }
}

/// The inner loop of one layer for the rectified family (ABReLU, ReLU, leaky ReLU, abs), with the
/// arc-cosine kernel in deficit form (see `ArcCosine.rectified`) and the deficit update of
/// `InfiniteWidth.nextDeficit` fused, using per-input square roots.
enum RectifiedRow {
    @inline(__always)
    static func update(from j0: Int, to j1: Int, negative an: Double, positive ap: Double, cb: Double, cw: Double,
                       lambdaB: Double, lambdaW: Double, r1: Double, ra1: Double, rn1: Double,
                       r2: UnsafePointer<Double>, ra2: UnsafePointer<Double>, rn2: UnsafePointer<Double>,
                       deficit: UnsafeMutablePointer<Double>, ntk: UnsafeMutablePointer<Double>) {
        let sumSq = ap * ap + an * an, diffSq = (ap - an) * (ap - an)
        let inv2pi = 1 / (2 * Double.pi)
        let dd0 = sumSq * Double.pi * inv2pi, ddSlope = (2 * ap * an - sumSq) * inv2pi
        for j in j0..<j1 {
            let s = r1 * r2[j]
            let d = deficit[j]
            var u = s > 0 ? d / s : 1
            u = min(max(u, 0), 2)
            let theta = 2 * Foundation.asin((0.5 * u).squareRoot())
            let smt: Double
            if theta < 0.5 {
                smt = ArcCosine.sinMinusThetaCos(theta)
            } else {
                smt = (u * (2 - u)).squareRoot() - theta * (1 - u)
            }
            let deltaA = s * (0.5 * sumSq * u - diffSq * smt * inv2pi)
            let a12 = 0.5 * sumSq * s - deltaA
            let dd = dd0 + ddSlope * theta
            ntk[j] = lambdaB + lambdaW * a12 + cw * dd * ntk[j]
            let k12 = cb + cw * a12
            let sNew = rn1 * rn2[j]
            if k12 <= 0 {
                deficit[j] = sNew - k12
            } else {
                let r = ra1 - ra2[j]
                let dA = max(deltaA, 0)
                let num = cb * cw * (r * r + 2 * dA) + cw * cw * dA * (2 * ra1 * ra2[j] - dA)
                deficit[j] = max(num, 0) / (sNew + k12)
            }
        }
    }
}

/// Run `body(i)` for i in 0..<rows on all cores, in small blocks scheduled dynamically (so the
/// triangular work of the symmetric case stays balanced).
func parallelRows(_ rows: Int, _ body: @Sendable (Int) -> Void) {
    let block = max(1, min(16, rows / 64))
    let chunks = (rows + block - 1) / block
    if chunks <= 1 {
        for i in 0..<rows { body(i) }
        return
    }
    DispatchQueue.concurrentPerform(iterations: chunks) { c in
        let lo = c * block, hi = min(rows, lo + block)
        for i in lo..<hi { body(i) }
    }
}

/// A[j][i] = A[i][j] for j > i, in 64×64 tiles for cache locality.
func mirrorUpperToLower(_ a: UnsafeMutablePointer<Double>, n: Int) {
    let tile = 64
    let tiles = (n + tile - 1) / tile
    let p = SendablePointer(a)
    DispatchQueue.concurrentPerform(iterations: tiles) { bi in
        let i0 = bi * tile, i1 = min(n, i0 + tile)
        for bj in bi..<tiles {
            let j0 = bj * tile, j1 = min(n, j0 + tile)
            for i in i0..<i1 {
                for j in max(j0, i + 1)..<j1 { p.pointer[j * n + i] = p.pointer[i * n + j] }
            }
        }
    }
}

/// Raw pointers that may cross into `concurrentPerform` workers, each of which touches disjoint rows.
struct SendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Double>
    init(_ p: UnsafeMutablePointer<Double>) { pointer = p }
}

struct SendableConstPointer: @unchecked Sendable {
    let pointer: UnsafePointer<Double>
    init(_ p: UnsafePointer<Double>) { pointer = p }
}
