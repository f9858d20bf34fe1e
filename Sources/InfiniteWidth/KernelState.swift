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

    init(rows: Int, cols: Int, symmetric: Bool) {
        self.rows = rows
        self.cols = cols
        self.symmetric = symmetric
        diag1 = [Double](repeating: 0, count: rows)
        diag2 = [Double](repeating: 0, count: cols)
        ntkDiag1 = diag1
        ntkDiag2 = diag2
        deficit = [Double](repeating: 0, count: rows * cols)
        ntk = deficit
    }

    var isFinite: Bool {
        diag1.allSatisfy(\.isFinite) && diag2.allSatisfy(\.isFinite) && ntkDiag1.allSatisfy(\.isFinite)
            && ntkDiag2.allSatisfy(\.isFinite)
    }

    /// K₁₂ = √(K₁₁K₂₂) − d and Θ₁₂ as matrices (mirrored when symmetric; exact diagonal).
    func materialize() -> LayerKernels {
        var k = Matrix(rows: rows, cols: cols)
        var t = Matrix(rows: rows, cols: cols)
        let r1 = diag1.map { $0.squareRoot() }, r2 = diag2.map { $0.squareRoot() }
        for i in 0..<rows {
            for j in (symmetric ? i : 0)..<cols {
                let idx = i * cols + j
                let kv = (symmetric && i == j) ? diag1[i] : r1[i] * r2[j] - deficit[idx]
                let tv = (symmetric && i == j) ? ntkDiag1[i] : ntk[idx]
                k.storage[idx] = kv
                t.storage[idx] = tv
                if symmetric { k.storage[j * cols + i] = kv; t.storage[j * cols + i] = tv }
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
        let rows = self.rows, cols = self.cols, symmetric = self.symmetric
        let oldDiag1 = diag1, oldDiag2 = diag2
        let rect: (Double, Double)? = {
            if case let .rectified(n, p) = activation.kind { return (n, p) }
            return nil
        }()
        deficit.withUnsafeMutableBufferPointer { dBuf in
            ntk.withUnsafeMutableBufferPointer { tBuf in
                let dp = SendablePointer(dBuf.baseAddress!), tp = SendablePointer(tBuf.baseAddress!)
                let block = max(1, min(32, rows / 16))
                let chunks = (rows + block - 1) / block
                // Small row blocks, scheduled dynamically, balance the triangular work.
                DispatchQueue.concurrentPerform(iterations: chunks) { c in
                    let lo = c * block, hi = min(rows, lo + block)
                    for i in lo..<hi {
                        let k11 = oldDiag1[i], s1 = k11.squareRoot(), a11 = a1[i], nk11 = newDiag1[i]
                        let jStart = symmetric ? i + 1 : 0
                        if jStart >= cols { continue }
                        let dRow = dp.pointer + i * cols, tRow = tp.pointer + i * cols
                        if let (an, ap) = rect {
                            for j in jStart..<cols {
                                let k22 = oldDiag2[j]
                                let pm = ArcCosine.rectified(negative: an, positive: ap, s: s1 * k22.squareRoot(), deficit: dRow[j])
                                tRow[j] = lambdaB + lambdaW * pm.sigmaSigma + cw * pm.derivDeriv * tRow[j]
                                dRow[j] = InfiniteWidth.nextDeficit(cb: cb, cw: cw, a11: a11, a22: a2[j], a12: pm.sigmaSigma,
                                                                    deltaA: pm.sigmaDeficit, k11: nk11, k22: newDiag2[j])
                            }
                        } else {
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

/// A raw pointer that may cross into `concurrentPerform` workers, each of which writes disjoint rows.
struct SendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Double>
    init(_ p: UnsafeMutablePointer<Double>) { pointer = p }
}
