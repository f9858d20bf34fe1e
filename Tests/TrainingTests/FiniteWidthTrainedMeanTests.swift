import Foundation
import Testing
@testable import Linalg
@testable import Training

/// `FiniteWidthTrainedMean` (PDLT §∞.2–∞.3) on statistics built from closed-form index formulas, against the
/// reference values of bench/nt/check_trained_mean.py (its brute-force evaluation in the original basis
/// with explicit time loops agrees with the eigenbasis formula to 1.6e-15).
@Suite struct FiniteWidthTrainedMeanTests {
    let n = 4
    var xs: [Double] { (0..<n).map { 0.3 * Double($0 + 1) } }

    func statistics(width: Int = 100) -> FiniteWidthTrainingStatistics {
        let x = xs
        func tensor(_ f: (Double, Double, Double, Double) -> Double) -> [Double] {
            var out: [Double] = []
            for a in 0..<n { for b in 0..<n { for c in 0..<n { for d in 0..<n { out.append(f(x[a], x[b], x[c], x[d])) } } } }
            return out
        }
        func matrix(_ f: (Int, Int) -> Double) -> [[Double]] { (0..<n).map { a in (0..<n).map { f(a, $0) } } }
        return FiniteWidthTrainingStatistics(
            nTrain: 2, nTest: 2, width: width,
            kernel: matrix { 0.5 + 0.1 * x[$0] * x[$1] + ($0 == $1 ? 0.2 : 0) },
            ntk: matrix { 1 + 0.5 * x[$0] * x[$1] + ($0 == $1 ? 1 : 0) },
            ntkCorrection: matrix { 0.3 - 0.2 * x[$0] * x[$1] },
            ntkCovarianceA: tensor { a, b, c, d in 0.1 * (1 + a * b + c * d) },
            ntkCovarianceB: tensor { a, b, c, d in 0.05 * (a + 2 * b - c + d) },
            p: tensor { a, b, c, d in 0.2 * a - 0.1 * b * c + 0.05 * d },
            q: tensor { a, b, c, d in 0.1 - 0.07 * a * d + 0.03 * b },
            r: tensor { a, b, c, d in -0.3 * a + 0.1 * b * (c + d) },
            s: tensor { a, b, c, d in 0.2 + 0.1 * a * b - 0.05 * c },
            t: tensor { a, b, c, d in -0.1 + 0.08 * a * c + 0.02 * d },
            u: tensor { a, b, c, d in 0.05 * a * b * c * d + 0.03 })
    }

    @Test func referenceValues() throws {
        let s = statistics()
        let y = try Matrix([[1.0], [-1.0]])
        let finite = try FiniteWidthTrainedMean.predict(s, targets: y, steps: 7, learningRate: 0.9)
        let m1 = finite.correction.storage.map { 100 * $0 }
        #expect(abs(finite.infiniteWidth[0, 0] + 0.08184257315) < 1e-10 && abs(finite.infiniteWidth[1, 0] + 0.122590483414) < 1e-10)
        #expect(abs(m1[0] - 0.033354304007) < 1e-10 && abs(m1[1] - 0.046861645778) < 1e-10, "\(m1)")
        let parts = finite.parts.map { 100 * $0.value[0, 0] }
        for (got, want) in zip(parts, [0.03294672903, -0.003234143747, -0.001584080791, 0.005225799515]) {
            #expect(abs(got - want) < 1e-10, "\(parts)")
        }
        let converged = try FiniteWidthTrainedMean.predict(s, targets: y, steps: nil, learningRate: 0.9)
        #expect(abs(converged.infiniteWidth[0, 0] + 0.082568807339) < 1e-10)
        #expect(abs(100 * converged.correction[0, 0] - 0.037380570929) < 1e-10 && abs(100 * converged.correction[1, 0] - 0.051239837339) < 1e-10)
        // Two outputs.
        let y2 = try Matrix([[1, 0.5], [-1, 0.25]])
        let two = try FiniteWidthTrainedMean.predict(s, targets: y2, steps: nil, learningRate: 1.7)
        let want: [Double] = [0.034010326702, -0.050630763219, 0.046815113168, -0.088785523344]
        for (got, w) in zip(two.correction.storage.map { 100 * $0 }, want) { #expect(abs(got - w) < 1e-10) }
        #expect(abs(two.infiniteWidth[0, 1] - 0.270642201835) < 1e-10 && abs(two.infiniteWidth[1, 1] - 0.280963302752) < 1e-10)
    }

    /// Past the stability bound (1.248 here) and with a singular train NTK: a clear error, no numbers.
    @Test func badInputIsRefused() throws {
        let y = try Matrix([[1.0], [-1.0]])
        #expect(throws: TrainingError.self) { try FiniteWidthTrainedMean.predict(statistics(), targets: y, steps: nil, learningRate: 1.3) }
        var s = statistics()
        s.ntk[0] = [1, 1, 1, 1]; s.ntk[1] = [1, 1, 1, 1]
        do {
            _ = try FiniteWidthTrainedMean.predict(s, targets: y, steps: 10, learningRate: 0.5)
            Issue.record("a singular train NTK was accepted")
        } catch let e as TrainingError {
            if case .singular = e {} else { Issue.record("wrong error \(e)") }
        }
    }
}
