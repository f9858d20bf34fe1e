import Dispatch
import Foundation
import Gaussian
import Linalg

/// The per-layer state of the kernel recursion for N₁ × N₂ inputs: the diagonals K_δδ and Θ_δδ of
/// both input sets, and for each pair its signed deficit/surplus w (see `InfiniteWidth.nextPair`,
/// stored in `deficit`) and Θ₁₂. In the symmetric case only the upper triangle (j ≥ i) is updated.
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
    mutating func materialize(consuming: Bool = false) -> LayerKernels {
        var k: Matrix, t: Matrix
        if consuming {
            // Move the storage out (leaving the state empty) so that it is converted in place, uncopied.
            k = try! Matrix(rows: rows, cols: cols, storage: deficit)
            t = try! Matrix(rows: rows, cols: cols, storage: ntk)
            deficit = []
            ntk = []
        } else {
            k = Matrix(rows: rows, cols: cols)
            t = Matrix(rows: rows, cols: cols)
        }
        if consuming {
            let r1 = diag1.map { $0.squareRoot() }, r2 = diag2.map { $0.squareRoot() }
            let cols = self.cols, symmetric = self.symmetric
            k.storage.withUnsafeMutableBufferPointer { kb in
                let kp = SendablePointer(kb.baseAddress!)
                parallelRows(rows) { i in
                    for j in (symmetric ? i : 0)..<cols {
                        kp.pointer[i * cols + j] = InfiniteWidth.decode(kp.pointer[i * cols + j], s: r1[i] * r2[j]).k12
                    }
                }
            }
            if symmetric {
                for i in 0..<rows { k[i, i] = diag1[i]; t[i, i] = ntkDiag1[i] }
                k.symmetrizeFromUpper()
                t.symmetrizeFromUpper()
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
                                kp.pointer[i * cols + j] = InfiniteWidth.decode(dp.pointer[i * cols + j], s: r1[i] * r2[j]).k12
                                tp.pointer[i * cols + j] = np.pointer[i * cols + j]
                            }
                        }
                    }
                }
            }
        }
        if symmetric {
            for i in 0..<rows { k[i, i] = diag1[i]; t[i, i] = ntkDiag1[i] }
            k.symmetrizeFromUpper()
            t.symmetrizeFromUpper()
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
                        let k11 = oldDiag1[i]
                        for j in jStart..<cols {
                            let s = r1[i] * r2[j]
                            let (u, v) = InfiniteWidth.geometry(dRow[j], s: s)
                            let pm = activation.pairMoments(k11: k11, k22: oldDiag2[j], s: s, oneMinusCos: u, onePlusCos: v)
                            tRow[j] = lambdaB + lambdaW * pm.sigmaSigma + cw * pm.derivDeriv * tRow[j]
                            dRow[j] = InfiniteWidth.nextPair(cb: cb, cw: cw, rootA11: ra1[i], rootA22: ra2[j], a12: pm.sigmaSigma,
                                                             deltaA: pm.sigmaDeficit, sigmaA: pm.sigmaSurplus,
                                                             rootK11: rn1[i], rootK22: rn2[j])
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

/// The inner loop of one layer for the rectified family (ABReLU, ReLU, leaky ReLU, abs): the
/// arc-cosine kernel inlined (no per-entry dispatch on the activation) and the pair update of
/// `InfiniteWidth.nextPair`, using per-input square roots.
enum RectifiedRow {
    @inline(__always)
    static func update(from j0: Int, to j1: Int, negative an: Double, positive ap: Double, cb: Double, cw: Double,
                       lambdaB: Double, lambdaW: Double, r1: Double, ra1: Double, rn1: Double,
                       r2: UnsafePointer<Double>, ra2: UnsafePointer<Double>, rn2: UnsafePointer<Double>,
                       deficit: UnsafeMutablePointer<Double>, ntk: UnsafeMutablePointer<Double>) {
        for j in j0..<j1 {
            let s = r1 * r2[j]
            let (u, v) = InfiniteWidth.geometry(deficit[j], s: s)
            let pm = ArcCosine.rectified(negative: an, positive: ap, s: s, oneMinusCos: u, onePlusCos: v)
            ntk[j] = lambdaB + lambdaW * pm.sigmaSigma + cw * pm.derivDeriv * ntk[j]
            deficit[j] = InfiniteWidth.nextPair(cb: cb, cw: cw, rootA11: ra1, rootA22: ra2[j], a12: pm.sigmaSigma,
                                                deltaA: pm.sigmaDeficit, sigmaA: pm.sigmaSurplus, rootK11: rn1, rootK22: rn2[j])
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

/// Raw pointers that may cross into `concurrentPerform` workers, each of which touches disjoint rows.
struct SendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Double>
    init(_ p: UnsafeMutablePointer<Double>) { pointer = p }
}

struct SendableConstPointer: @unchecked Sendable {
    let pointer: UnsafePointer<Double>
    init(_ p: UnsafePointer<Double>) { pointer = p }
}
