import Foundation
import Testing
@testable import ImplicitBias
@testable import Linalg
@testable import Studies

/// Separable data through the origin: points x ~ deterministic pseudo-random in [−1, 1]^d, labelled by the
/// sign of u·x and kept when |u·x| ≥ gap.
func separable(n: Int, d: Int, gap: Double = 0.1, seed: Int = 1) throws -> (Matrix, [Double]) {
    var rows: [[Double]] = [], labels: [Double] = []
    let u = (0..<d).map { sin(Double(3 * $0 + seed)) + 0.5 }
    var k = 0
    while rows.count < n {
        k += 1
        let x = (0..<d).map { sin(Double(k * (7 + $0) + 13 * seed) * 1.618) }
        let s = zip(u, x).reduce(0) { $0 + $1.0 * $1.1 }
        if abs(s) >= gap { rows.append(x); labels.append(s > 0 ? 1 : -1) }
    }
    return (try Matrix(rows), labels)
}

@Suite struct MaxMarginTests {
    /// The KKT conditions of min ½‖w‖² s.t. yᵢxᵢᵀw ≥ 1, checked directly: feasibility, α ≥ 0, stationarity
    /// w = Σαᵢyᵢxᵢ, complementary slackness.
    @Test(arguments: [(40, 3), (200, 5), (30, 2)])
    func kktConditionsHold(_ size: (Int, Int)) throws {
        let (x, y) = try separable(n: size.0, d: size.1, seed: size.1)
        let svm = try MaxMargin(x: x, labels: y)
        let w = svm.weights
        var stationarity = w
        for i in 0..<x.rows {
            let m = y[i] * (0..<x.cols).reduce(0) { $0 + x[i, $1] * w[$1] }
            #expect(m >= 1 - 1e-10, "margin \(m) of row \(i)")
            #expect(svm.multipliers[i] >= 0)
            #expect(abs(svm.multipliers[i] * (m - 1)) < 1e-10)
            for j in 0..<x.cols { stationarity[j] -= svm.multipliers[i] * y[i] * x[i, j] }
        }
        #expect(stationarity.allSatisfy { abs($0) < 1e-10 * w.map(abs).max()! })
        #expect(!svm.supportVectors.isEmpty && abs(svm.direction.reduce(0) { $0 + $1 * $1 } - 1) < 1e-14)
    }

    /// In two dimensions: the margin equals the brute-force maximum over 10⁶ directions of the smallest margin.
    @Test func bruteForceInTwoDimensions() throws {
        let (x, y) = try separable(n: 30, d: 2, seed: 2)
        let svm = try MaxMargin(x: x, labels: y)
        func worst(_ a: Double) -> Double { (0..<x.rows).map { y[$0] * (x[$0, 0] * cos(a) + x[$0, 1] * sin(a)) }.min()! }
        // A grid of 10⁵ directions, then 10⁵ more within one grid step of the best (resolution 1e-9 rad).
        var (best, at) = (-Double.infinity, 0.0)
        for k in 0..<100_000 { let a = 2 * Double.pi * Double(k) / 100_000; let m = worst(a); if m > best { (best, at) = (m, a) } }
        let step = 2 * Double.pi / 100_000
        for k in -50_000..<50_000 { let a = at + step * Double(k) / 50_000; let m = worst(a); if m > best { best = m } }
        #expect(best <= svm.margin + 1e-12 && svm.margin - best < 1e-8, "\(best) vs \(svm.margin)")
    }

    @Test func badInputIsRefused() throws {
        let x = try Matrix([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])
        #expect(throws: ImplicitBiasError.self) { try MaxMargin(x: x, labels: [1, 0, -1]) }
        #expect(throws: ImplicitBiasError.self) { try MaxMargin(x: x, labels: [1, -1]) }
        // x and −x with the same label: 0 is in the hull of the yᵢxᵢ.
        do {
            _ = try MaxMargin(x: x, labels: [1, 1, -1])
            Issue.record("non-separable data accepted")
        } catch let e as ImplicitBiasError {
            #expect(e.description.contains("not linearly separable"))
        }
    }
}

@Suite struct GradientDescentTests {
    /// Logistic regression from θ = 0 on separable data: the direction approaches the SVM's, with the angle
    /// falling (roughly like 1/log t) after a transient, and ‖θ_t‖ grows like log t with a slope approaching ‖w*‖ = 1/γ.
    @Test func logisticDirectionApproachesTheSVM() throws {
        let (x, y) = try separable(n: 40, d: 3, seed: 3)
        let svm = try MaxMargin(x: x, labels: y)
        let gd = try LogisticGradientDescent(x: x, labels: y, steps: 100_000, learningRate: 1, records: 6)
        let angles = gd.snapshots.map { LogisticGradientDescent.angleDegrees($0.theta, svm.direction) }
        #expect(zip(angles, angles.dropFirst()).dropFirst(2).allSatisfy { $1 < $0 }, "\(angles)")
        #expect(angles.last! < 3, "\(angles)")
        let norms = gd.snapshots.map { $0.theta.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        let steps = gd.snapshots.map(\.step)
        let i3 = steps.firstIndex(of: 1000)!, i4 = steps.firstIndex(of: 10_000)!, i5 = steps.firstIndex(of: 100_000)!
        // θ_t = ŵ log t + ρ_t with ρ_t bounded (Soudry et al. 2018): the growth per decade approaches ‖ŵ‖ log 10 = log 10/γ
        // from below as ρ_t settles (here 0.74 and 0.86 of it over the last two decades).
        let slopes = [(norms[i4] - norms[i3]) / log(10), (norms[i5] - norms[i4]) / log(10)]
        #expect(slopes[1] > slopes[0] && slopes[1] * svm.margin < 1 && slopes[1] * svm.margin > 0.8, "slopes \(slopes) vs 1/γ = \(1 / svm.margin)")
    }

    /// Underdetermined least squares: from 0 gradient descent reaches X⁺y (1e-8); from w₀ it reaches
    /// w₀ + X⁺(y − Xw₀), not X⁺y; an unstable learning rate and an overdetermined system are refused.
    @Test func leastSquaresMinimumNorm() throws {
        var x = Matrix(rows: 6, cols: 15)
        for i in 0..<6 { for j in 0..<15 { let a = Double((i + 1) * (j + 1)) * 0.37; x[i, j] = sin(a + Double(i)) } }
        let y = (0..<6).map { cos(Double($0)) }
        let fromZero = try LeastSquaresImplicitBias(x: x, targets: y, steps: 200_000, learningRate: nil)
        let gap = zip(fromZero.gradientDescent, fromZero.minimumNorm).map { abs($0 - $1) }.max()!
        #expect(gap < 1e-8, "\(gap) after \(fromZero.steps) steps")
        let w0 = (0..<15).map { 0.3 * cos(Double($0) * 1.3) }
        let moved = try LeastSquaresImplicitBias(x: x, targets: y, steps: 200_000, learningRate: nil, initial: w0)
        #expect(zip(moved.gradientDescent, moved.limit).map { abs($0 - $1) }.max()! < 1e-8)
        #expect(zip(moved.gradientDescent, moved.minimumNorm).map { abs($0 - $1) }.max()! > 0.05)
        #expect(throws: ImplicitBiasError.self) { try LeastSquaresImplicitBias(x: x, targets: y, steps: 10, learningRate: 1e3) }
        #expect(throws: ImplicitBiasError.self) { try LeastSquaresImplicitBias(x: x.transposed, targets: [Double](repeating: 1, count: 15), steps: 10, learningRate: nil) }
    }
}

@Suite struct HomogeneousNetworkTests {
    /// The report's two-layer homogeneous ReLU net on the quadrant (XOR-through-the-origin) rays: it fits
    /// every point, and from then on its normalized margin min yᵢf(xᵢ)/‖θ‖² never decreases (Lyu & Li 2020),
    /// while no linear model separates the data (MaxMargin refuses it).
    @Test func normalizedMarginIncreasesAfterFitting() throws {
        let s = try ImplicitBiasStudy.run(steps: 1000, networkSteps: 3000)
        let m = s.network.snapshots.map(\.normalizedMargin)
        let first = try #require(m.firstIndex { $0 > 0 })
        #expect(first < m.count / 2)
        #expect(zip(m[first...], m[first...].dropFirst()).allSatisfy { $1 >= $0 - 1e-12 }, "\(m)")
        #expect(throws: ImplicitBiasError.self) { try MaxMargin(x: s.networkInputs, labels: s.networkLabels) }
    }
}

@Suite struct ImportanceWeightingTests {
    /// Weighting one class changes the early direction; without a penalty the runs approach each other as t grows
    /// (their gap shrinks from t = 100 to t = 10⁵); with L2 the weighted and unweighted runs converge to distinct
    /// finite minimizers (the gradient of the penalized loss vanishes there).
    @Test func weightsMatterEarlyAndWithL2() throws {
        let (x, y) = try ImplicitBiasStudy.separableData()
        let svm = try MaxMargin(x: x, labels: y)
        func run(_ c: Double, _ l2: Double, _ steps: Int) throws -> [Double] {
            try LogisticGradientDescent(x: x, labels: y, steps: steps, learningRate: 0.5, records: 2, sampleWeights: y.map { $0 > 0 ? c : 1 }, l2: l2).theta
        }
        func angle(_ a: [Double], _ b: [Double]) -> Double {
            let nb = b.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return LogisticGradientDescent.angleDegrees(a, b.map { $0 / nb })
        }
        let early = angle(try run(100, 0, 100), try run(1, 0, 100)), late = angle(try run(100, 0, 100_000), try run(1, 0, 100_000))
        #expect(early > 1 && late < early / 3, "early \(early)°, late \(late)°")
        let pa = try run(1, 1e-2, 20_000), pb = try run(100, 1e-2, 20_000)
        #expect(angle(pa, pb) > 1, "\(angle(pa, pb))")
        #expect(LogisticGradientDescent.angleDegrees(try run(1, 0, 100_000), svm.direction) < 1)
        #expect(throws: ImplicitBiasError.self) { try LogisticGradientDescent(x: x, labels: y, steps: 10, learningRate: 1, sampleWeights: [1]) }
    }
}
