import Foundation
import Testing
@testable import Linalg

@Suite struct LinalgTests {
    let a = try! Matrix([[4, 2, 0.6], [2, 5, 1], [0.6, 1, 3]])

    @Test func productMatchesDefinition() throws {
        let b = try Matrix([[1, 2], [3, 4], [5, 6]])
        let c = try a * b
        for i in 0..<3 { for j in 0..<2 {
            let expect = (0..<3).reduce(0.0) { $0 + a[i, $1] * b[$1, j] }
            #expect(abs(c[i, j] - expect) < 1e-14)
        } }
        let ct = try Matrix.product(b, a, transposeA: true)
        #expect(ct.rows == 2 && ct.cols == 3)
        #expect(ct.relativeDistance(to: c.transposed) < 1e-15)
        #expect(throws: LinalgError.self) { try Matrix.product(b, b) }
    }

    @Test func gramIsSymmetricRankK() throws {
        let x = try Matrix([[1, 2, 3], [0, -1, 2]])
        let g = x.gram(scale: 0.5)
        #expect(g[0, 1] == g[1, 0])
        #expect(abs(g[0, 1] - 0.5 * (0 - 2 + 6)) < 1e-15)
        #expect(abs(g[0, 0] - 7) < 1e-15)
    }

    /// The blocked product equals DGEMM to rounding (symmetric: on and above the diagonal), and each block of rows is
    /// the same bits as that block's own single-threaded DGEMM: nothing depends on how the blocks met the threads.
    @Test func reproducibleProductIsBlockwiseDGEMM() throws {
        var x = Matrix(rows: 300, cols: 7), y = Matrix(rows: 50, cols: 7)
        for i in 0..<300 { for j in 0..<7 { x[i, j] = sin(Double(3 * i + 5 * j)) } }
        for i in 0..<50 { for j in 0..<7 { y[i, j] = cos(Double(2 * i + j)) } }
        let cross = try Matrix.reproducibleProduct(x, transposed: y, scale: 0.5)
        var reference = try Matrix.product(x, y, transposeB: true)
        reference.storage = reference.storage.map { $0 * 0.5 }
        #expect(cross.relativeDistance(to: reference) < 1e-15)
        let sym = try Matrix.reproducibleProduct(x, scale: 2)
        let g = x.gram(scale: 2)
        for i in 0..<300 { for j in i..<300 { #expect(abs(sym[i, j] - g[i, j]) <= 1e-14 * (1 + abs(g[i, j]))) } }
        #expect(sym[200, 10] == 0, "below the diagonal blocks nothing is written")
        let b = Matrix.reproducibleBlockRows
        let rows = try Matrix(rows: b, cols: 7, storage: Array(x.storage[(b * 7)..<(2 * b * 7)]))
        let block = try BLAS.singleThreaded { try Matrix.reproducibleProduct(rows, transposed: y, scale: 0.5) }
        #expect(Array(cross.storage[(b * 50)..<(2 * b * 50)]) == block.storage)
        #expect(throws: LinalgError.self) { try Matrix.reproducibleProduct(x, transposed: a) }
    }

    @Test func choleskySolvesAndReconstructs() throws {
        let ch = try Cholesky(a)
        let llt = try Matrix.product(ch.lower, ch.lower, transposeB: true)
        #expect(llt.relativeDistance(to: a) < 1e-14)
        let b = try Matrix([[1], [2], [3]])
        let x = try ch.solve(b)
        #expect(try (a * x).relativeDistance(to: b) < 1e-14)
        let y = try a.solve(b)
        #expect(y.relativeDistance(to: x) < 1e-13)
    }

    @Test func choleskyRejectsIndefiniteWithClearMessage() throws {
        let bad = try Matrix([[1, 2], [2, 1]])
        do {
            _ = try Cholesky(bad)
            Issue.record("expected failure")
        } catch {
            #expect(error == .notPositiveDefinite(minor: 2, size: 2, jitterTried: 0))
            #expect(error.description.contains("not positive definite"))
        }
        // A singular PSD matrix (duplicate inputs) factors with jitter, which is reported.
        let singular = try Matrix([[1, 1], [1, 1]])
        #expect(throws: LinalgError.self) { try Cholesky(singular) }
        let ch = try Cholesky(singular, jitter: 1e-10)
        #expect(ch.jitter > 0)
    }

    @Test func eigenDecomposition() throws {
        let e = try SymmetricEigen(a)
        #expect(e.values == e.values.sorted())
        for k in 0..<3 {
            let v = (0..<3).map { e.vectors[$0, k] }
            let av = try a.apply(v)
            for i in 0..<3 { #expect(abs(av[i] - e.values[k] * v[i]) < 1e-13) }
        }
        let trace = a.diagonal.reduce(0, +)
        #expect(abs(e.values.reduce(0, +) - trace) < 1e-13)
    }

    @Test func singularSolveIsReported() throws {
        let s = try Matrix([[1, 2], [2, 4]])
        #expect(throws: LinalgError.singular(pivot: 2, size: 2)) { try s.solve(Matrix.identity(2)) }
    }

    @Test func raggedRowsRejected() {
        #expect(throws: LinalgError.self) { try Matrix([[1, 2], [3]]) }
    }
}
