import DataIO
import Foundation
import Linalg

/// The real data sets shipped with DeepTheory (copied from the UCI repository via scikit-learn; see
/// Data/README.md): digits (1797 × 64, 10 classes) and breast cancer (569 × 30, 2 classes).
public enum Datasets {
    public struct Labeled: Sendable {
        public var inputs: Matrix
        public var labels: [Int]
        public var featureNames: [String]
    }

    public static func digits() throws -> Labeled { try load("digits") }
    public static func breastCancer() throws -> Labeled { try load("breast_cancer") }

    static func load(_ name: String) throws -> Labeled {
        guard let url = Bundle.module.url(forResource: "Data/\(name)", withExtension: "csv") else {
            throw DataError.unreadable(path: "\(name).csv", reason: "the bundled data set is missing from the build")
        }
        let table = try CSV.read(path: url.path)
        let m = table.matrix
        var x = Matrix(rows: m.rows, cols: m.cols - 1)
        var labels = [Int](repeating: 0, count: m.rows)
        for i in 0..<m.rows {
            for j in 0..<(m.cols - 1) { x[i, j] = m[i, j] }
            labels[i] = Int(m[i, m.cols - 1])
        }
        return Labeled(inputs: x, labels: labels, featureNames: Array((table.header ?? []).dropLast()))
    }

    /// Scale each row to |x|²/n₀ = `q0` (the normalization under which K^(1) = C_b + C_W q0 on the
    /// diagonal); rows of zeros are left as they are.
    public static func normalizeRows(_ x: Matrix, q0: Double = 1) -> Matrix {
        var out = x
        let n0 = Double(x.cols)
        for i in 0..<x.rows {
            let norm2 = (0..<x.cols).reduce(0.0) { $0 + x[i, $1] * x[i, $1] }
            guard norm2 > 0 else { continue }
            let s = (q0 * n0 / norm2).squareRoot()
            for j in 0..<x.cols { out[i, j] *= s }
        }
        return out
    }

    /// Subtract each column's mean and divide by its standard deviation (constant columns → 0).
    public static func standardizeColumns(_ x: Matrix) -> Matrix {
        var out = x
        let n = Double(x.rows)
        for j in 0..<x.cols {
            let mean = (0..<x.rows).reduce(0.0) { $0 + x[$1, j] } / n
            let variance = (0..<x.rows).reduce(0.0) { $0 + (x[$1, j] - mean) * (x[$1, j] - mean) } / n
            let sd = variance.squareRoot()
            for i in 0..<x.rows { out[i, j] = sd > 0 ? (x[i, j] - mean) / sd : 0 }
        }
        return out
    }

    /// The first `perClass` examples of each of `classes`, in class order.
    public static func firstExamples(_ data: Labeled, classes: [Int], perClass: Int) -> (Matrix, [Int]) {
        var rows: [[Double]] = []
        var labels: [Int] = []
        for c in classes {
            var taken = 0
            for i in 0..<data.inputs.rows where data.labels[i] == c && taken < perClass {
                rows.append(data.inputs.row(i)); labels.append(c); taken += 1
            }
        }
        return ((try? Matrix(rows)) ?? Matrix(rows: 0, cols: data.inputs.cols), labels)
    }
}
