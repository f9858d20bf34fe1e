import Foundation
import ImplicitBias
import Linalg
import Sampling

/// The report's implicit-bias study (the lecture on implicit bias; Soudry et al. 2018; Lyu & Li 2020):
/// logistic regression on 2-D data separable through the origin, whose direction approaches the exact
/// hard-margin SVM; underdetermined least squares, which reaches the minimum-norm interpolant; and a
/// two-layer homogeneous ReLU network whose normalized margin grows once the data is fitted.
public struct ImplicitBiasStudy: Sendable {
    public var x: Matrix, labels: [Double]
    public var svm: MaxMargin
    public var logistic: LogisticGradientDescent
    public var steps: Int
    /// The network's inputs (rays) and labels.
    public var networkInputs: Matrix, networkLabels: [Double]
    /// Least squares, 20 × 60 Gaussian: ‖GD − X⁺y‖ from 0 and ‖GD − (w₀ + X⁺(y − Xw₀))‖, ‖GD − X⁺y‖ from w₀.
    public var leastSquaresFromZero: Double, leastSquaresFromW0: Double, leastSquaresW0VsMinNorm: Double
    public var network: TwoLayerHomogeneous
    public var networkWidth: Int

    public static func run(steps: Int = 1_000_000, networkSteps: Int = 20_000) throws -> ImplicitBiasStudy {
        let (x, labels) = try separableData()
        let svm = try MaxMargin(x: x, labels: labels)
        let logistic = try LogisticGradientDescent(x: x, labels: labels, steps: steps, learningRate: 1)
        // Least squares.
        var a = Matrix(rows: 20, cols: 60)
        a.storage.withUnsafeMutableBufferPointer { Philox4x32(seed: 9, stream: 1).fillNormals($0) }
        var t = [Double](repeating: 0, count: 20), w0 = [Double](repeating: 0, count: 60)
        t.withUnsafeMutableBufferPointer { Philox4x32(seed: 9, stream: 2).fillNormals($0) }
        w0.withUnsafeMutableBufferPointer { Philox4x32(seed: 9, stream: 3).fillNormals($0) }
        let zero = try LeastSquaresImplicitBias(x: a, targets: t, steps: 1_000_000, learningRate: nil)
        let moved = try LeastSquaresImplicitBias(x: a, targets: t, steps: 1_000_000, learningRate: nil, initial: w0)
        func dist(_ p: [Double], _ q: [Double]) -> Double { zip(p, q).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot() }
        // The network: labels constant along rays (a homogeneous net cannot do otherwise), by quadrant
        // (sign x₁x₂, an XOR through the origin that no linear model separates), rays within 15° of the axes left out.
        var rays: [[Double]] = [], rayLabels: [Double] = []
        for k in 0..<72 {
            let angle = 2 * Double.pi * (Double(k) + 0.5) / 72, radius = 0.5 + Double(k % 5) * 0.25
            let fromAxis = min(abs(sin(angle)), abs(cos(angle)))
            guard fromAxis > sin(15 * Double.pi / 180) else { continue }
            rays.append([radius * cos(angle), radius * sin(angle)])
            rayLabels.append(cos(angle) * sin(angle) > 0 ? 1 : -1)
        }
        let width = 50
        var normals = [Double](repeating: 0, count: width * 3)
        normals.withUnsafeMutableBufferPointer { Philox4x32(seed: 10, stream: 4).fillNormals($0) }
        let net = try TwoLayerHomogeneous(x: try Matrix(rays), labels: rayLabels, width: width, normals: normals, scale: 1,
                                          steps: networkSteps, learningRate: 1)
        return ImplicitBiasStudy(x: x, labels: labels, svm: svm, logistic: logistic, steps: steps,
                                 networkInputs: try Matrix(rays), networkLabels: rayLabels,
                                 leastSquaresFromZero: dist(zero.gradientDescent, zero.minimumNorm),
                                 leastSquaresFromW0: dist(moved.gradientDescent, moved.limit),
                                 leastSquaresW0VsMinNorm: dist(moved.gradientDescent, moved.minimumNorm),
                                 network: net, networkWidth: width)
    }

    /// The 2-D data of the study: 80 Gaussian points labelled by the sign of u·x, u ∝ (1, 0.6), kept when |u·x| ≥ 0.25.
    public static func separableData() throws -> (Matrix, [Double]) {
        var g = [Double](repeating: 0, count: 600)
        g.withUnsafeMutableBufferPointer { Philox4x32(seed: 8, stream: 0x1B1A5).fillNormals($0) }
        var rows: [[Double]] = [], labels: [Double] = []
        let u = [1 / 1.36.squareRoot(), 0.6 / 1.36.squareRoot()]
        for k in 0..<300 where rows.count < 80 {
            let p = [g[2 * k], g[2 * k + 1]]
            let s = p[0] * u[0] + p[1] * u[1]
            if abs(s) >= 0.25 { rows.append(p); labels.append(s > 0 ? 1 : -1) }
        }
        return (try Matrix(rows), labels)
    }
}
