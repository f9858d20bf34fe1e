import Foundation
import Testing
@testable import Architecture
@testable import Gaussian
@testable import Linalg
@testable import Training

/// The fixture of bench/nt/make_predict_fixtures.py: neural-tangents 0.6.5's
/// `gradient_descent_mse_ensemble` and `gp_inference` on ReLU and erf networks.
struct PredictFixture {
    let cases: [[String: Any]]
    init() throws {
        let url = Bundle.module.url(forResource: "Fixtures/nt_predict", withExtension: "json")!
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        cases = root["cases"] as! [[String: Any]]
    }
}

func matrix(_ v: Any?) throws -> Matrix { try Matrix((v as! [[Any]]).map { $0.map { ($0 as! NSNumber).doubleValue } }) }

/// max |a − b| / max |b|.
func relativeError(_ a: Matrix, _ b: Matrix) -> Double {
    zip(a.storage, b.storage).map { abs($0 - $1) }.max()! / max(b.maxAbs, 1e-300)
}

@Suite struct PredictionTests {
    /// Every record (NNGP and NTK, t = 0.5, 30, ∞, η = 1, 0.5, diag_reg = 0, 1e-3, k = 1, 2 output
    /// columns): mean and covariance equal to neural-tangents' to 1e-8 relative to the largest entry,
    /// once from the fixture's own kernels (the formulas alone) and once from DeepTheory's kernels.
    @Test func matchesNeuralTangents() throws {
        let fixture = try PredictFixture()
        var checked = 0
        for c in fixture.cases {
            let kernels = c["kernels"] as! [String: Any]
            let theirs = InfiniteWidthPrediction.Kernels(
                nngpTrain: try matrix(kernels["nngp_train_train"]), nngpTestTrain: try matrix(kernels["nngp_test_train"]),
                nngpTest: try matrix(kernels["nngp_test_test"]), ntkTrain: try matrix(kernels["ntk_train_train"]),
                ntkTestTrain: try matrix(kernels["ntk_test_train"]))
            let act = try Activation.parse(c["activation"] as! String)
            let spec = try NetworkSpec(depth: (c["depth"] as! NSNumber).intValue, activation: act,
                                       cb: (c["cb"] as! NSNumber).doubleValue, cw: (c["cw"] as! NSNumber).doubleValue)
            let ours = try InfiniteWidthPrediction.Kernels(spec: spec, train: try matrix(c["x_train"]), test: try matrix(c["x_test"]))
            let y = try matrix(c["y_train"])
            for record in c["gradient_descent_mse_ensemble"] as! [[String: Any]] {
                let kernel = InfiniteWidthPrediction.Kernel(rawValue: record["get"] as! String)!
                let t = (record["t"] as? NSNumber)?.doubleValue
                let lr = (record["learning_rate"] as! NSNumber).doubleValue, reg = (record["diag_reg"] as! NSNumber).doubleValue
                let mean = try matrix(record["mean"]), cov = try matrix(record["cov"])
                for (label, k) in [("fixture kernels", theirs), ("DeepTheory kernels", ours)] {
                    let r = try InfiniteWidthPrediction.gradientDescentEnsemble(k, targets: y, time: t, learningRate: lr, diagReg: reg, kernel: kernel)
                    let tag = "\(c["name"]!) \(kernel) t=\(t.map { "\($0)" } ?? "∞") η=\(lr) ε=\(reg) (\(label))"
                    #expect(relativeError(r.mean, mean) < 1e-8, "\(tag) mean: \(relativeError(r.mean, mean))")
                    #expect(relativeError(r.covariance, cov) < 1e-8, "\(tag) covariance: \(relativeError(r.covariance, cov))")
                    checked += 1
                }
            }
            // gp_inference with the NNGP is the Bayesian posterior: the same as t = ∞.
            for record in c["gp_inference"] as! [[String: Any]] where record["get"] as! String == "nngp" {
                let reg = (record["diag_reg"] as! NSNumber).doubleValue
                let r = try InfiniteWidthPrediction.gradientDescentEnsemble(ours, targets: y, time: nil, diagReg: reg, kernel: .nngp)
                #expect(relativeError(r.mean, try matrix(record["mean"])) < 1e-8)
                #expect(relativeError(r.covariance, try matrix(record["cov"])) < 1e-8)
            }
        }
        #expect(checked == 4 * 24 * 2)
    }

    /// Large times approach t = ∞ (non-singular kernel), t = 0 is the prior (mean 0, covariance K_tt).
    @Test func limitsInTime() throws {
        let fixture = try PredictFixture()
        let c = fixture.cases[0]
        let spec = try NetworkSpec(depth: 3, activation: .relu, cb: 0.1, cw: 2)
        let k = try InfiniteWidthPrediction.Kernels(spec: spec, train: try matrix(c["x_train"]), test: try matrix(c["x_test"]))
        let y = try matrix(c["y_train"])
        for kernel in InfiniteWidthPrediction.Kernel.allCases {
            let inf = try InfiniteWidthPrediction.gradientDescentEnsemble(k, targets: y, time: nil, kernel: kernel)
            let late = try InfiniteWidthPrediction.gradientDescentEnsemble(k, targets: y, time: 1e9, kernel: kernel)
            #expect(relativeError(late.mean, inf.mean) < 1e-8 && relativeError(late.covariance, inf.covariance) < 1e-7)
            let zero = try InfiniteWidthPrediction.gradientDescentEnsemble(k, targets: y, time: 0, kernel: kernel)
            #expect(zero.mean.maxAbs == 0 && relativeError(zero.covariance, k.nngpTest) < 1e-14)
        }
    }

    /// Bad input: wrong target rows, NaN targets, negative time, a singular kernel at t = ∞.
    @Test func badInputIsRejected() throws {
        let x = try Matrix([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])  // two identical inputs: singular kernels
        let spec = try NetworkSpec(depth: 2, activation: .relu, cb: 0, cw: 2)
        let k = try InfiniteWidthPrediction.Kernels(spec: spec, train: x, test: x)
        #expect(throws: TrainingError.self) { try InfiniteWidthPrediction.gradientDescentEnsemble(k, targets: try Matrix([[1.0], [2.0]]), time: nil, kernel: .ntk) }
        #expect(throws: TrainingError.self) { try InfiniteWidthPrediction.gradientDescentEnsemble(k, targets: try Matrix([[1.0], [.nan], [0]]), time: nil, kernel: .ntk) }
        #expect(throws: TrainingError.self) { try InfiniteWidthPrediction.gradientDescentEnsemble(k, targets: try Matrix([[1.0], [2.0], [0]]), time: -1, kernel: .ntk) }
        do {
            _ = try InfiniteWidthPrediction.gradientDescentEnsemble(k, targets: try Matrix([[1.0], [2.0], [0]]), time: nil, kernel: .ntk)
            Issue.record("a singular kernel should be refused")
        } catch let e as TrainingError {
            #expect(e.description.contains("--diag-reg"))
        }
        // With regularization it works.
        _ = try InfiniteWidthPrediction.gradientDescentEnsemble(k, targets: try Matrix([[1.0], [2.0], [0]]), time: nil, diagReg: 1e-6, kernel: .ntk)
    }
}
