import Foundation
import Testing
@testable import Architecture
@testable import Linalg
@testable import SampledNetworks
@testable import Studies

@Suite struct TaskTests {
    /// Splits: sizes, disjoint and complete, the same for the same seed, different for another.
    @Test func splitIsSeededAndComplete() throws {
        let x = try Matrix((0..<20).map { [Double($0), Double($0 * $0)] }), y = try Matrix((0..<20).map { [Double($0)] })
        let a = try Tasks.split(x, y, testFraction: 0.25, seed: 3), b = try Tasks.split(x, y, testFraction: 0.25, seed: 3)
        let c = try Tasks.split(x, y, testFraction: 0.25, seed: 4)
        #expect(a.testInputs.rows == 5 && a.trainInputs.rows == 15)
        #expect(a.testTargets == b.testTargets && a.testTargets != c.testTargets)
        let all = Set(a.trainTargets.storage + a.testTargets.storage)
        #expect(all.count == 20)
        #expect(throws: TaskError.self) { try Tasks.split(x, try Matrix([[1.0]]), testFraction: 0.2, seed: 1) }
    }

    /// Standardization fitted on training data; one-hot; sine; teacher targets are the network's outputs.
    @Test func transformsAndSyntheticTasks() throws {
        let x = try Matrix([[1.0, 5], [3, 5], [5, 5]])
        let s = Tasks.Standardizer(fitting: x)
        let z = s.apply(x)
        #expect(abs(z[0, 0] + z[2, 0]) < 1e-15 && z[1, 0] == 0 && z[0, 1] == 0)
        #expect(try Tasks.oneHot([2, 0], classes: 3) == Matrix([[0.0, 0, 1], [1, 0, 0]]))
        #expect(throws: TaskError.self) { try Tasks.oneHot([3], classes: 3) }
        let (sx, sy) = try Tasks.sine(points: 50, seed: 2)
        #expect(sx.storage.allSatisfy { abs($0) <= Double.pi } && (0..<50).allSatisfy { abs(sy[$0, 0] - sin(sx[$0, 0])) < 1e-15 })
        let spec = try NetworkSpec(depth: 2, width: 8, outputWidth: 2, activation: .tanh, cb: 0.1, cw: 1.5)
        let (tx, ty) = try Tasks.teacher(spec: spec, inputDimension: 3, points: 10, seed: 5)
        let net = SampledNetwork(spec: spec.with(inputDimension: 3), seed: 5, index: 0)
        #expect(ty == (try net.forward(tx).last!))
    }
}
