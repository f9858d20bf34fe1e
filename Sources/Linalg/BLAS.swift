#if canImport(Accelerate)
import Accelerate
#else
import COpenBLAS
#endif

/// The raw BLAS/LAPACK calls DeepTheory uses, in one place: OpenBLAS + LAPACKE on Linux,
/// Accelerate on Apple. Everything is row-major float64. Nothing else in the package calls BLAS
/// directly; the `Matrix` operations in `Operations.swift` are built on these.
public enum BLAS {
    /// Limit the BLAS library's own threads (use 1 inside parallel workers).
    public static func setThreads(_ n: Int) {
        #if !canImport(Accelerate)
        openblas_set_num_threads(Int32(n))
        #endif
    }

    /// Run `body` with the BLAS library single-threaded (for work spread over the cores by the caller), then restore
    /// the thread count it had.
    public static func singleThreaded<T>(_ body: () throws -> T) rethrows -> T {
        #if canImport(Accelerate)
        return try body()
        #else
        let before = Int(openblas_get_num_threads())
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(Int32(before)) }
        return try body()
        #endif
    }

    /// C ← α op(A) op(B) + β C on raw row-major buffers (`lda` etc. are row strides).
    @inlinable
    public static func dgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Double, a: UnsafePointer<Double>, lda: Int,
        b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// C ← α A Aᵀ + β C (upper triangle written), A is n×k row-major.
    @inlinable
    public static func dsyrk(n: Int, k: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
                             beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(n), Int32(k), alpha, a, Int32(lda),
                    beta, c, Int32(ldc))
    }

    /// y ← α A x + β y.
    @inlinable
    public static func dgemv(trans: Bool, m: Int, n: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
                             x: UnsafePointer<Double>, beta: Double, y: UnsafeMutablePointer<Double>) {
        cblas_dgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), alpha, a, Int32(lda),
                    x, 1, beta, y, 1)
    }

    /// Lower Cholesky factor in place (row-major). Returns LAPACK's info.
    static func dpotrfLower(n: Int, a: UnsafeMutablePointer<Double>) -> Int {
        #if canImport(Accelerate)
        // Accelerate's LAPACK is column-major: the row-major lower factor is the column-major upper one.
        var uplo: Int8 = Int8(UInt8(ascii: "U")); var nn = __CLPK_integer(n); var lda = nn; var info = __CLPK_integer(0)
        dpotrf_(&uplo, &nn, a, &lda, &info)
        return Int(info)
        #else
        return Int(LAPACKE_dpotrf(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), a, Int32(n)))
        #endif
    }

    /// Solve op(L) X = B with L lower triangular n×n and B n×nrhs (row-major), in place.
    static func dtrtrsLower(trans: Bool, n: Int, nrhs: Int, l: UnsafePointer<Double>,
                            b: UnsafeMutablePointer<Double>) {
        cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, trans ? CblasTrans : CblasNoTrans, CblasNonUnit,
                    Int32(n), Int32(nrhs), 1.0, l, Int32(n), b, Int32(nrhs))
    }

    /// General solve A X = B by LU with partial pivoting (A overwritten). Returns info.
    static func dgesv(n: Int, nrhs: Int, a: UnsafeMutablePointer<Double>, b: UnsafeMutablePointer<Double>) -> Int {
        #if canImport(Accelerate)
        // Solve Aᵀ-in-column-major = A-in-row-major: transpose first.
        var at = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { at[j * n + i] = a[i * n + j] } }
        var bt = [Double](repeating: 0, count: n * nrhs)
        for i in 0..<n { for j in 0..<nrhs { bt[j * n + i] = b[i * nrhs + j] } }
        var nn = __CLPK_integer(n); var nr = __CLPK_integer(nrhs); var lda = nn; var ldb = nn
        var ipiv = [__CLPK_integer](repeating: 0, count: n); var info = __CLPK_integer(0)
        dgesv_(&nn, &nr, &at, &lda, &ipiv, &bt, &ldb, &info)
        for i in 0..<n { for j in 0..<nrhs { b[i * nrhs + j] = bt[j * n + i] } }
        return Int(info)
        #else
        var ipiv = [Int32](repeating: 0, count: n)
        return Int(LAPACKE_dgesv(LAPACK_ROW_MAJOR, Int32(n), Int32(nrhs), a, Int32(n), &ipiv, b, Int32(nrhs)))
        #endif
    }

    /// x · y.
    @inlinable
    public static func ddot(n: Int, x: UnsafePointer<Double>, y: UnsafePointer<Double>) -> Double {
        cblas_ddot(Int32(n), x, 1, y, 1)
    }

    /// y ← α x + y.
    @inlinable
    public static func daxpy(n: Int, alpha: Double, x: UnsafePointer<Double>, y: UnsafeMutablePointer<Double>) {
        cblas_daxpy(Int32(n), alpha, x, 1, y, 1)
    }

    /// x ← α x.
    @inlinable
    public static func dscal(n: Int, alpha: Double, x: UnsafeMutablePointer<Double>) {
        cblas_dscal(Int32(n), alpha, x, 1)
    }

    /// Eigenvalues (ascending, into `d`) of the symmetric tridiagonal matrix with diagonal `d` and
    /// off-diagonal `e` (destroyed), by the root-free QL/QR of LAPACK dsterf. Returns info.
    static func dsterf(n: Int, d: UnsafeMutablePointer<Double>, e: UnsafeMutablePointer<Double>) -> Int {
        #if canImport(Accelerate)
        var nn = __CLPK_integer(n); var info = __CLPK_integer(0)
        dsterf_(&nn, d, e, &info)
        return Int(info)
        #else
        return Int(LAPACKE_dsterf(Int32(n), d, e))
        #endif
    }

    /// Symmetric eigendecomposition (divide and conquer): eigenvalues ascending into `w`, eigenvectors
    /// as the columns of `a` (row-major). Returns info.
    static func dsyevd(n: Int, a: UnsafeMutablePointer<Double>, w: UnsafeMutablePointer<Double>) -> Int {
        #if canImport(Accelerate)
        // Column-major on the symmetric matrix is the same matrix; eigenvectors come back as columns
        // in column-major = rows in row-major, so transpose afterwards.
        var jobz: Int8 = Int8(UInt8(ascii: "V")); var uplo: Int8 = Int8(UInt8(ascii: "L"))
        var nn = __CLPK_integer(n); var lda = nn; var info = __CLPK_integer(0)
        var lwork = __CLPK_integer(-1); var liwork = __CLPK_integer(-1)
        var wq = 0.0; var iwq = __CLPK_integer(0)
        dsyevd_(&jobz, &uplo, &nn, a, &lda, w, &wq, &lwork, &iwq, &liwork, &info)
        lwork = __CLPK_integer(wq); liwork = iwq
        var work = [Double](repeating: 0, count: Int(lwork)); var iwork = [__CLPK_integer](repeating: 0, count: Int(liwork))
        dsyevd_(&jobz, &uplo, &nn, a, &lda, w, &work, &lwork, &iwork, &liwork, &info)
        for i in 0..<n { for j in (i + 1)..<n { let t = a[i * n + j]; a[i * n + j] = a[j * n + i]; a[j * n + i] = t } }
        return Int(info)
        #else
        return Int(LAPACKE_dsyevd(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "U")),
                                  Int32(n), a, Int32(n), w))
        #endif
    }
}
