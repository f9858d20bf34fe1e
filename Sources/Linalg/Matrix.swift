/// A dense, row-major matrix of `Double` (float64), the one matrix type of DeepTheory.
///
/// Storage is a flat array so that BLAS/LAPACK can work on it in place; `self[i, j]` is
/// `storage[i * cols + j]`. Kernels such as K^(ℓ)_{δ₁δ₂} (PDLT §4.1) and Θ^(ℓ)_{δ₁δ₂} are
/// `Matrix` values with rows = cols = number of inputs.
public struct Matrix: Equatable, Sendable, CustomStringConvertible {
    public let rows: Int
    public let cols: Int
    public var storage: [Double]

    /// A `rows × cols` matrix filled with `value`.
    public init(rows: Int, cols: Int, repeating value: Double = 0) {
        precondition(rows >= 0 && cols >= 0, "matrix dimensions must be non-negative")
        self.rows = rows
        self.cols = cols
        self.storage = LargeArrays.filled(rows * cols, with: value)
    }

    /// A matrix over existing row-major storage; `storage.count` must be `rows * cols`.
    public init(rows: Int, cols: Int, storage: [Double]) throws(LinalgError) {
        guard rows >= 0, cols >= 0, storage.count == rows * cols else {
            throw .shapeMismatch("storage of \(storage.count) numbers cannot be a \(rows)×\(cols) matrix")
        }
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    /// A matrix from rows; every row must have the same length.
    public init(_ rowArrays: [[Double]]) throws(LinalgError) {
        let r = rowArrays.count
        let c = rowArrays.first?.count ?? 0
        for (i, row) in rowArrays.enumerated() where row.count != c {
            throw .shapeMismatch("row \(i) has \(row.count) entries, row 0 has \(c)")
        }
        self.rows = r
        self.cols = c
        self.storage = rowArrays.flatMap { $0 }
    }

    /// The n×n identity.
    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, cols: n)
        for i in 0..<n { m.storage[i * n + i] = 1 }
        return m
    }

    /// A diagonal matrix.
    public static func diagonal(_ d: [Double]) -> Matrix {
        var m = Matrix(rows: d.count, cols: d.count)
        for i in 0..<d.count { m.storage[i * d.count + i] = d[i] }
        return m
    }

    @inlinable
    public subscript(i: Int, j: Int) -> Double {
        get { storage[i * cols + j] }
        set { storage[i * cols + j] = newValue }
    }

    public var isSquare: Bool { rows == cols }
    public var shape: (rows: Int, cols: Int) { (rows, cols) }

    /// Row `i` as an array.
    public func row(_ i: Int) -> [Double] { Array(storage[(i * cols)..<((i + 1) * cols)]) }

    /// The rows as nested arrays (for JSON output).
    public var rowArrays: [[Double]] { (0..<rows).map(row) }

    /// The main diagonal.
    public var diagonal: [Double] { (0..<min(rows, cols)).map { storage[$0 * cols + $0] } }

    /// The transpose.
    public var transposed: Matrix {
        var t = Matrix(rows: cols, cols: rows)
        if storage.isEmpty { return t }  // 0 × 10¹⁴ must not loop 10¹⁴ times (found by the readers' fuzzer)
        for i in 0..<rows { for j in 0..<cols { t.storage[j * rows + i] = storage[i * cols + j] } }
        return t
    }

    /// Largest absolute entry (0 for an empty matrix).
    public var maxAbs: Double { storage.reduce(0) { max($0, abs($1)) } }

    /// Whether every entry is finite.
    public var isFinite: Bool { storage.allSatisfy { $0.isFinite } }

    /// Largest |A_ij − A_ji| relative to the largest |A_ij|.
    public var asymmetry: Double {
        precondition(isSquare)
        var worst = 0.0
        for i in 0..<rows { for j in (i + 1)..<cols { worst = max(worst, abs(self[i, j] - self[j, i])) } }
        let scale = maxAbs
        return scale > 0 ? worst / scale : worst
    }

    public var description: String {
        rowArrays.map { $0.map { String($0) }.joined(separator: " ") }.joined(separator: "\n")
    }

    // MARK: elementwise

    public static func + (a: Matrix, b: Matrix) -> Matrix {
        precondition(a.rows == b.rows && a.cols == b.cols, "shape mismatch in +")
        var c = a
        for k in 0..<c.storage.count { c.storage[k] += b.storage[k] }
        return c
    }

    public static func - (a: Matrix, b: Matrix) -> Matrix {
        precondition(a.rows == b.rows && a.cols == b.cols, "shape mismatch in -")
        var c = a
        for k in 0..<c.storage.count { c.storage[k] -= b.storage[k] }
        return c
    }

    /// Element-wise f(self, other) of two matrices of the same shape.
    public func hadamard(_ other: Matrix, _ f: (Double, Double) -> Double) -> Matrix {
        precondition(rows == other.rows && cols == other.cols, "element-wise operation on \(rows)×\(cols) and \(other.rows)×\(other.cols)")
        var out = self
        for k in out.storage.indices { out.storage[k] = f(storage[k], other.storage[k]) }
        return out
    }

    public static func * (s: Double, a: Matrix) -> Matrix {
        var c = a
        for k in 0..<c.storage.count { c.storage[k] *= s }
        return c
    }

    /// Largest |a − b| relative to the largest |b| entry (the "relative to the largest entry" norm
    /// used in every agreement test).
    public func relativeDistance(to b: Matrix) -> Double {
        precondition(rows == b.rows && cols == b.cols, "shape mismatch")
        var worst = 0.0
        for k in 0..<storage.count { worst = max(worst, abs(storage[k] - b.storage[k])) }
        let scale = b.maxAbs
        return scale > 0 ? worst / scale : worst
    }
}
