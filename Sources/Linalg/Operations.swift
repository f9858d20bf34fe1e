/// Matrix products and factorizations over BLAS/LAPACK (see `BLAS.swift`). Never a hand-written
/// matrix multiply.
extension Matrix {
    /// op(A) · op(B), through DGEMM.
    public static func product(_ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false)
        throws(LinalgError) -> Matrix
    {
        let (m, ka) = transposeA ? (a.cols, a.rows) : (a.rows, a.cols)
        let (kb, n) = transposeB ? (b.cols, b.rows) : (b.rows, b.cols)
        guard ka == kb else {
            throw .shapeMismatch("cannot multiply \(m)×\(ka) by \(kb)×\(n)")
        }
        if m == 0 || n == 0 || ka == 0 { return Matrix(rows: m, cols: n) }
        // DGEMM with β = 0 writes every entry of C: no need to zero it first.
        var c = try Matrix(rows: m, cols: n, storage: [Double](unsafeUninitializedCapacity: m * n) { _, count in count = m * n })
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                c.storage.withUnsafeMutableBufferPointer { pc in
                    BLAS.dgemm(transA: transposeA, transB: transposeB, m: m, n: n, k: ka, alpha: 1,
                               a: pa.baseAddress!, lda: a.cols, b: pb.baseAddress!, ldb: b.cols,
                               beta: 0, c: pc.baseAddress!, ldc: n)
                }
            }
        }
        return c
    }

    /// self ← self + α op(A) op(B), through DGEMM with β = 1.
    public mutating func addProduct(_ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false,
                                    alpha: Double = 1) throws(LinalgError) {
        let (m, ka) = transposeA ? (a.cols, a.rows) : (a.rows, a.cols)
        let (kb, n) = transposeB ? (b.cols, b.rows) : (b.rows, b.cols)
        guard ka == kb, m == rows, n == cols else {
            throw .shapeMismatch("cannot add a \(m)×\(ka) by \(kb)×\(n) product to a \(rows)×\(cols) matrix")
        }
        if m == 0 || n == 0 || ka == 0 { return }
        let ldc = cols
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                storage.withUnsafeMutableBufferPointer { pc in
                    BLAS.dgemm(transA: transposeA, transB: transposeB, m: m, n: n, k: ka, alpha: alpha,
                               a: pa.baseAddress!, lda: a.cols, b: pb.baseAddress!, ldb: b.cols,
                               beta: 1, c: pc.baseAddress!, ldc: ldc)
                }
            }
        }
    }

    /// A · B.
    public static func * (a: Matrix, b: Matrix) throws(LinalgError) -> Matrix { try product(a, b) }

    /// Rows of A per block of `reproducibleProduct`.
    public static let reproducibleBlockRows = 128

    /// α A·Bᵀ — or, with `b` nil, the upper triangle of α A·Aᵀ (the rest of the diagonal blocks is written too, the
    /// remainder of the lower triangle is zero) — in fixed blocks of `reproducibleBlockRows` rows of A, each one
    /// single-threaded DGEMM, the blocks spread over the cores. Every entry comes from a BLAS call of the same shape
    /// whatever the thread count, so the result has the same bits on 1 or many threads, and in every process that
    /// computes the same product (MPI ranks). A multi-threaded DGEMM/DSYRK splits its work by the thread count, which
    /// changes the last bits of some entries.
    public static func reproducibleProduct(_ a: Matrix, transposed b: Matrix? = nil, scale alpha: Double = 1) throws(LinalgError) -> Matrix {
        let other = b ?? a
        guard a.cols == other.cols else { throw .shapeMismatch("cannot multiply \(a.rows)×\(a.cols) by (\(other.rows)×\(other.cols))ᵀ") }
        let (m, n, k) = (a.rows, other.rows, a.cols)
        var c = Matrix(rows: m, cols: n)
        if m == 0 || n == 0 || k == 0 { return c }
        let symmetric = b == nil
        let blocks = (m + reproducibleBlockRows - 1) / reproducibleBlockRows
        a.storage.withUnsafeBufferPointer { pa in
            other.storage.withUnsafeBufferPointer { pb in
                c.storage.withUnsafeMutableBufferPointer { pc in
                    let (sa, sb, sc) = (UnsafeMutableSendablePointer(UnsafeMutablePointer(mutating: pa.baseAddress!)),
                                        UnsafeMutableSendablePointer(UnsafeMutablePointer(mutating: pb.baseAddress!)),
                                        UnsafeMutableSendablePointer(pc.baseAddress!))
                    BLAS.singleThreaded {
                        DispatchQueue.concurrentPerform(iterations: blocks) { blk in
                            let i0 = blk * reproducibleBlockRows, i1 = min(m, i0 + reproducibleBlockRows)
                            let j0 = symmetric ? i0 : 0
                            BLAS.dgemm(transA: false, transB: true, m: i1 - i0, n: n - j0, k: k, alpha: alpha,
                                       a: sa.pointer + i0 * k, lda: k, b: sb.pointer + j0 * k, ldb: k,
                                       beta: 0, c: sc.pointer + i0 * n + j0, ldc: n)
                        }
                    }
                }
            }
        }
        return c
    }

    /// α A Aᵀ (symmetric rank-k update, DSYRK); both triangles filled unless `upperOnly`.
    public func gram(scale alpha: Double = 1, upperOnly: Bool = false) -> Matrix {
        let n = rows
        var c = Matrix(rows: n, cols: n)
        if n == 0 { return c }
        if cols > 0 {
            storage.withUnsafeBufferPointer { pa in
                c.storage.withUnsafeMutableBufferPointer { pc in
                    BLAS.dsyrk(n: n, k: cols, alpha: alpha, a: pa.baseAddress!, lda: cols, beta: 0,
                               c: pc.baseAddress!, ldc: n)
                }
            }
        }
        if !upperOnly { c.symmetrizeFromUpper() }
        return c
    }

    /// Copy the upper triangle onto the lower one, in 64×64 tiles (cache-friendly for large n),
    /// tile rows spread over all cores.
    public mutating func symmetrizeFromUpper() {
        precondition(isSquare, "symmetrize needs a square matrix")
        let n = rows
        let tile = 64
        let tiles = (n + tile - 1) / tile
        storage.withUnsafeMutableBufferPointer { buf in
            let p = UnsafeMutableSendablePointer(buf.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: tiles) { bi in
                let i0 = bi * tile, i1 = min(n, i0 + tile)
                for bj in bi..<tiles {
                    let j0 = bj * tile, j1 = min(n, j0 + tile)
                    for i in i0..<i1 { for j in max(j0, i + 1)..<j1 { p.pointer[j * n + i] = p.pointer[i * n + j] } }
                }
            }
        }
    }

    /// A x.
    public func apply(_ x: [Double]) throws(LinalgError) -> [Double] {
        guard x.count == cols else { throw .shapeMismatch("vector of length \(x.count) for a \(rows)×\(cols) matrix") }
        var y = [Double](repeating: 0, count: rows)
        if rows == 0 || cols == 0 { return y }
        storage.withUnsafeBufferPointer { pa in
            x.withUnsafeBufferPointer { px in
                y.withUnsafeMutableBufferPointer { py in
                    BLAS.dgemv(trans: false, m: rows, n: cols, alpha: 1, a: pa.baseAddress!, lda: cols,
                               x: px.baseAddress!, beta: 0, y: py.baseAddress!)
                }
            }
        }
        return y
    }
}

/// The lower Cholesky factor L of a symmetric positive-definite A = L Lᵀ.
public struct Cholesky: Sendable {
    /// Lower-triangular factor (upper triangle zero).
    public let lower: Matrix
    /// The jitter that was added to the diagonal to obtain it (0 when none was needed).
    public let jitter: Double

    /// Factor `a`. With `jitter > 0`, a failed factorization is retried with `jitter·mean(diag A)`
    /// added to the diagonal, growing ×10 up to `maxJitterTries` times; the jitter actually used is
    /// recorded in `jitter`. Throws `LinalgError.notPositiveDefinite` naming the failing minor.
    public init(_ a: Matrix, jitter: Double = 0, maxJitterTries: Int = 6) throws(LinalgError) {
        guard a.isSquare else { throw .shapeMismatch("Cholesky needs a square matrix, got \(a.rows)×\(a.cols)") }
        guard a.isFinite else { throw .nonFinite("the matrix to factor") }
        let n = a.rows
        let meanDiag = n > 0 ? a.diagonal.reduce(0, +) / Double(n) : 0
        var added = 0.0
        var tries = 0
        while true {
            var f = a
            if added > 0 { for i in 0..<n { f.storage[i * n + i] += added } }
            let info = f.storage.withUnsafeMutableBufferPointer { BLAS.dpotrfLower(n: n, a: $0.baseAddress!) }
            if info == 0 {
                for i in 0..<n { for j in (i + 1)..<n { f.storage[i * n + j] = 0 } }
                self.lower = f
                self.jitter = added
                return
            }
            if info < 0 { throw .lapackFailure(routine: "dpotrf", info: info) }
            guard jitter > 0, tries < maxJitterTries else {
                throw .notPositiveDefinite(minor: info, size: n, jitterTried: added)
            }
            added = added == 0 ? jitter * max(meanDiag, .leastNormalMagnitude) : added * 10
            tries += 1
        }
    }

    /// Solve A X = B for X.
    public func solve(_ b: Matrix) throws(LinalgError) -> Matrix {
        let n = lower.rows
        guard b.rows == n else { throw .shapeMismatch("right-hand side has \(b.rows) rows, the matrix is \(n)×\(n)") }
        var x = b
        if n == 0 || b.cols == 0 { return x }
        lower.storage.withUnsafeBufferPointer { pl in
            x.storage.withUnsafeMutableBufferPointer { px in
                BLAS.dtrtrsLower(trans: false, n: n, nrhs: b.cols, l: pl.baseAddress!, b: px.baseAddress!)
                BLAS.dtrtrsLower(trans: true, n: n, nrhs: b.cols, l: pl.baseAddress!, b: px.baseAddress!)
            }
        }
        return x
    }

    /// Solve L Y = B (forward substitution) for Y.
    public func solveLower(_ b: Matrix) throws(LinalgError) -> Matrix {
        let n = lower.rows
        guard b.rows == n else { throw .shapeMismatch("right-hand side has \(b.rows) rows, the matrix is \(n)×\(n)") }
        var x = b
        if n == 0 || b.cols == 0 { return x }
        lower.storage.withUnsafeBufferPointer { pl in
            x.storage.withUnsafeMutableBufferPointer { px in
                BLAS.dtrtrsLower(trans: false, n: n, nrhs: b.cols, l: pl.baseAddress!, b: px.baseAddress!)
            }
        }
        return x
    }

    /// log det A = 2 Σ log L_ii.
    public var logDeterminant: Double {
        (0..<lower.rows).reduce(0) { $0 + 2 * _log(lower[$1, $1]) }
    }
}

/// Eigenvalues, ascending, of the symmetric tridiagonal matrix with `diagonal` and `offDiagonal`
/// (one shorter), by LAPACK dsterf (O(n²), no eigenvectors).
public func tridiagonalEigenvalues(diagonal: [Double], offDiagonal: [Double]) throws(LinalgError) -> [Double] {
    let n = diagonal.count
    guard offDiagonal.count == max(n - 1, 0) else {
        throw .shapeMismatch("a tridiagonal matrix of size \(n) needs \(max(n - 1, 0)) off-diagonal entries, got \(offDiagonal.count)")
    }
    guard diagonal.allSatisfy(\.isFinite), offDiagonal.allSatisfy(\.isFinite) else { throw .nonFinite("the tridiagonal matrix") }
    var d = diagonal, e = offDiagonal + [0]
    let info = d.withUnsafeMutableBufferPointer { pd in e.withUnsafeMutableBufferPointer { BLAS.dsterf(n: n, d: pd.baseAddress!, e: $0.baseAddress!) } }
    if info != 0 { throw .lapackFailure(routine: "dsterf", info: info) }
    return d
}

/// Symmetric eigendecomposition A = V diag(λ) Vᵀ (LAPACK dsyevd), eigenvalues ascending.
public struct SymmetricEigen: Sendable {
    public let values: [Double]
    /// Eigenvectors as columns.
    public let vectors: Matrix

    public init(_ a: Matrix) throws(LinalgError) {
        guard a.isSquare else { throw .shapeMismatch("eigendecomposition needs a square matrix, got \(a.rows)×\(a.cols)") }
        guard a.isFinite else { throw .nonFinite("the matrix to diagonalize") }
        let n = a.rows
        var v = a
        var w = [Double](repeating: 0, count: n)
        if n > 0 {
            let info = v.storage.withUnsafeMutableBufferPointer { pv in
                w.withUnsafeMutableBufferPointer { BLAS.dsyevd(n: n, a: pv.baseAddress!, w: $0.baseAddress!) }
            }
            if info != 0 { throw .lapackFailure(routine: "dsyevd", info: info) }
        }
        self.values = w
        self.vectors = v
    }
}

extension Matrix {
    /// Solve A X = B by LU with partial pivoting (LAPACK dgesv).
    public func solve(_ b: Matrix) throws(LinalgError) -> Matrix {
        guard isSquare else { throw .shapeMismatch("solve needs a square matrix, got \(rows)×\(cols)") }
        guard b.rows == rows else { throw .shapeMismatch("right-hand side has \(b.rows) rows, the matrix is \(rows)×\(cols)") }
        guard isFinite, b.isFinite else { throw .nonFinite("the linear system") }
        var a = self
        var x = b
        if rows == 0 || b.cols == 0 { return x }
        let info = a.storage.withUnsafeMutableBufferPointer { pa in
            x.storage.withUnsafeMutableBufferPointer { BLAS.dgesv(n: rows, nrhs: b.cols, a: pa.baseAddress!, b: $0.baseAddress!) }
        }
        if info > 0 { throw .singular(pivot: info, size: rows) }
        if info < 0 { throw .lapackFailure(routine: "dgesv", info: info) }
        return x
    }

    /// Smallest eigenvalue of a symmetric matrix (for positive-semidefiniteness checks).
    public func smallestEigenvalue() throws(LinalgError) -> Double {
        try SymmetricEigen(self).values.first ?? 0
    }
}

@usableFromInline func _log(_ x: Double) -> Double {
    #if canImport(Glibc)
    return Glibc.log(x)
    #else
    return Darwin.log(x)
    #endif
}
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Dispatch

/// A raw pointer that may cross into `concurrentPerform` workers touching disjoint elements.
struct UnsafeMutableSendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Double>
    init(_ p: UnsafeMutablePointer<Double>) { pointer = p }
}
