import Foundation
import Testing
@testable import Architecture
@testable import Gaussian
@testable import Linalg
@testable import SampledNetworks

@Suite struct NetworkTrainingTests {
    let x = try! Matrix([[1.0, -0.5, 0.3], [0.2, 0.9, -1.1], [-0.7, 0.4, 0.8], [0.5, 0.5, 0.5], [-1.0, 0.1, -0.2]])
    let y = try! Matrix([[0.5], [-1.0], [0.3], [0.8], [-0.2]])
    let test = try! Matrix([[0.3, -0.3, 0.1], [-0.6, 1.0, 0.4]])

    /// The linearized model is kernel gradient descent with the network's own NTK, step by step:
    /// f ← f − (η/(N k)) Ĥ (f_train − y) on train and test inputs, exact to rounding.
    @Test func linearizedModelIsKernelGradientDescent() throws {
        let spec = try NetworkSpec(inputDimension: 3, depth: 3, width: 16, outputWidth: 1, activation: .tanh, cb: 0.1, cw: 1.5,
                                   lambdaB: 0.5, lambdaW: 1.2)
        let net = SampledNetwork(spec: spec, seed: 3, index: 1)
        let run = try net.train(x: x, y: y, test: test, steps: 25, learningRate: 0.7, model: .linearized)
        let all = try Matrix(x.rowArrays + test.rowArrays)
        let h = try net.empiricalNTK(all)
        var f = try net.forward(all).last!
        let a = 0.7 / Double(x.rows)
        for _ in 0..<25 {
            let r = (0..<x.rows).map { f[$0, 0] - y[$0, 0] }
            let update = (0..<all.rows).map { i in (0..<x.rows).reduce(0.0) { $0 + h[i, $1] * r[$1] } }
            for i in 0..<all.rows { f[i, 0] -= a * update[i] }
        }
        for t in 0..<test.rows {
            #expect(abs(run.testOutputs[t, 0] - f[x.rows + t, 0]) < 1e-10 * max(1, abs(f[x.rows + t, 0])))
        }
        #expect(run.ntkChange == 0 && run.trainLoss.count == 26 && run.trainLoss.last! < run.trainLoss.first!)
    }

    /// The Taylor hierarchy: after training, the quadratic truncation is closer to the trained network
    /// than the linearized one (the dNTK's order, PDLT §∞.2), for each of several networks.
    @Test func quadraticIsCloserThanLinearized() throws {
        let spec = try NetworkSpec(inputDimension: 3, depth: 3, width: 64, outputWidth: 1, activation: .tanh, cb: 0.1, cw: 1.5)
        for k in 0..<4 {
            let net = SampledNetwork(spec: spec, seed: 9, index: k)
            let runs = try TrainedModel.allCases.map { try net.train(x: x, y: y, test: test, steps: 40, learningRate: 0.5, model: $0) }
            let dLin = (runs[1].testOutputs - runs[0].testOutputs).maxAbs, dQuad = (runs[2].testOutputs - runs[0].testOutputs).maxAbs
            #expect(dQuad < dLin, "network \(k): |quadratic − network| \(dQuad) vs |linearized − network| \(dLin)")
        }
    }
}
