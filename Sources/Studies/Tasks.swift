import Architecture
import Foundation
import Linalg
import SampledNetworks
import Sampling

/// Learning tasks for the training studies: seeded train/test splits, standardization fitted on the
/// training set, one-hot targets, and synthetic tasks (a 1-D sine regression, a teacher network).
/// All randomness is counter-based (Philox keyed by the seed), so a task is the same on any machine.
public enum Tasks {
    public struct Split: Sendable {
        public var trainInputs: Matrix, trainTargets: Matrix, testInputs: Matrix, testTargets: Matrix
    }

    /// A random split with round(testFraction·N) test rows (at least one of each part).
    public static func split(_ x: Matrix, _ y: Matrix, testFraction: Double, seed: UInt64) throws -> Split {
        guard x.rows == y.rows else { throw TaskError("inputs have \(x.rows) rows but targets have \(y.rows)") }
        guard testFraction > 0, testFraction < 1 else { throw TaskError("the test fraction must be in (0, 1), got \(testFraction)") }
        let nTest = min(max(Int((testFraction * Double(x.rows)).rounded()), 1), x.rows - 1)
        guard x.rows >= 2 else { throw TaskError("need at least two rows to split") }
        var keys = [Double](repeating: 0, count: x.rows)
        keys.withUnsafeMutableBufferPointer { Philox4x32(seed: seed, stream: 0x5EED).fillNormals($0) }
        let order = (0..<x.rows).sorted { keys[$0] < keys[$1] }
        let test = Array(order[..<nTest]).sorted(), train = Array(order[nTest...]).sorted()
        func rows(_ m: Matrix, _ idx: [Int]) throws -> Matrix { try Matrix(idx.map { m.row($0) }) }
        return Split(trainInputs: try rows(x, train), trainTargets: try rows(y, train), testInputs: try rows(x, test), testTargets: try rows(y, test))
    }

    /// Column means and standard deviations of the training inputs, applied to any inputs (constant
    /// columns map to 0).
    public struct Standardizer: Sendable {
        public var mean: [Double], sd: [Double]
        public init(fitting x: Matrix) {
            let n = Double(x.rows)
            let m = (0..<x.cols).map { j in (0..<x.rows).reduce(0.0) { $0 + x[$1, j] } / n }
            mean = m
            sd = (0..<x.cols).map { j in ((0..<x.rows).reduce(0.0) { $0 + (x[$1, j] - m[j]) * (x[$1, j] - m[j]) } / n).squareRoot() }
        }
        public func apply(_ x: Matrix) -> Matrix {
            var out = x
            for i in 0..<x.rows { for j in 0..<x.cols { out[i, j] = sd[j] > 0 ? (x[i, j] - mean[j]) / sd[j] : 0 } }
            return out
        }
    }

    /// One-hot rows for integer labels 0 ..< classes (`on`/`off` values, e.g. 1 and 0, or 1 and −1/(C−1)).
    public static func oneHot(_ labels: [Int], classes: Int, on: Double = 1, off: Double = 0) throws -> Matrix {
        var y = Matrix(rows: labels.count, cols: classes, repeating: off)
        for (i, l) in labels.enumerated() {
            guard l >= 0 && l < classes else { throw TaskError("label \(l) of row \(i) is outside 0..<\(classes)") }
            y[i, l] = on
        }
        return y
    }

    /// y = sin(x) + noise·ε on N points x uniform in [−π, π] (inputs N × 1).
    public static func sine(points n: Int, noise: Double = 0, seed: UInt64) throws -> (Matrix, Matrix) {
        guard n > 0 else { throw TaskError("need at least one point") }
        var g = [Double](repeating: 0, count: 2 * n)
        g.withUnsafeMutableBufferPointer { Philox4x32(seed: seed, stream: 0x5117).fillNormals($0) }
        // Uniform from a normal by its CDF: u = Φ(g).
        let x = try Matrix(rows: n, cols: 1, storage: (0..<n).map { (2 * 0.5 * erfc(-g[$0] / 2.0.squareRoot()) - 1) * Double.pi })
        let y = try Matrix(rows: n, cols: 1, storage: (0..<n).map { Foundation.sin(x[$0, 0]) + noise * g[n + $0] })
        return (x, y)
    }

    /// A teacher network of `spec` (network `index` of ensemble `seed`) on N standard-normal inputs:
    /// targets are its outputs (N × n_L).
    public static func teacher(spec: NetworkSpec, inputDimension n0: Int, points n: Int, seed: UInt64, index: Int = 0) throws -> (Matrix, Matrix) {
        guard n > 0, n0 > 0 else { throw TaskError("need at least one point and one input dimension") }
        var x = Matrix(rows: n, cols: n0)
        x.storage.withUnsafeMutableBufferPointer { Philox4x32(seed: seed, stream: 0x7EAC).fillNormals($0) }
        let net = SampledNetwork(spec: spec.with(inputDimension: n0), seed: seed, index: index)
        return (x, try net.forward(x).last!)
    }
}

/// A task that cannot be built, with the reason.
public struct TaskError: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}
