import Foundation
import ImplicitBias
import Linalg

/// The report's importance-weighting study (Byrd & Lipton, ICML 2019), linear part: logistic regression
/// through the origin on separable data with the positive class up-weighted by c. Early in training the
/// weighted boundary leans toward the down-weighted class; as ‖θ‖ grows the loss is carried by the support
/// vectors alone and every run turns back to the unweighted max-margin direction — the weights stop mattering.
/// With an L2 penalty (or by stopping early) they matter again.
public struct ImportanceWeightingStudy: Sendable {
    public struct Run: Sendable {
        public var weight: Double, l2: Double
        /// Signed angle (degrees, counter-clockwise) from the unweighted SVM direction to θ_t (the data is 2-D).
        public var steps: [Int], angles: [Double]
        public var theta: [Double]
    }
    public var runs: [Run]
    public var svm: MaxMargin
    public var x: Matrix, labels: [Double]

    public static func run(steps: Int = 1_000_000) throws -> ImportanceWeightingStudy {
        let (x, y) = try ImplicitBiasStudy.separableData()
        let svm = try MaxMargin(x: x, labels: y)
        var runs: [Run] = []
        for (c, l2) in [(1.0, 0.0), (10, 0), (100, 0), (1, 1e-3), (100, 1e-3)] {
            let w = y.map { $0 > 0 ? c : 1 }
            let gd = try LogisticGradientDescent(x: x, labels: y, steps: steps, learningRate: 0.5, sampleWeights: w, l2: l2)
            runs.append(Run(weight: c, l2: l2, steps: gd.snapshots.map(\.step),
                            angles: gd.snapshots.map { signedAngle($0.theta, svm.direction) }, theta: gd.theta))
        }
        return ImportanceWeightingStudy(runs: runs, svm: svm, x: x, labels: y)
    }

    /// The signed angle from u to θ in the plane, in degrees.
    static func signedAngle(_ theta: [Double], _ u: [Double]) -> Double {
        atan2(u[0] * theta[1] - u[1] * theta[0], u[0] * theta[0] + u[1] * theta[1]) * 180 / Double.pi
    }
}
