import Foundation
import Influence
import Linalg

/// The report's influence-function study (Koh & Liang 2017; Basu, Pope & Feizi 2020), convex part:
/// L2-regularized logistic regression on the breast-cancer data (standardized features plus a constant),
/// influence estimates of every training example on the test loss against leave-one-out retraining.
public struct InfluenceStudy: Sendable {
    public var result: InfluenceFunctions.Result
    public var trainSize: Int, testSize: Int, l2: Double

    public static func run(trainSize: Int = 150, testSize: Int = 100, l2: Double = 0.01) throws -> InfluenceStudy {
        let data = try Datasets.breastCancer()
        let x = Datasets.standardizeColumns(data.inputs)
        let rows = x.rowArrays.map { $0 + [1] }
        let y = data.labels.map { $0 == 1 ? 1.0 : -1.0 }
        let n = min(trainSize, rows.count / 2), m = min(testSize, rows.count - n)
        let train = try Matrix(Array(rows[0..<n])), test = try Matrix(Array(rows[n..<(n + m)]))
        let result = try InfluenceFunctions.compare(train: train, labels: Array(y[0..<n]), test: test, testLabels: Array(y[n..<(n + m)]), l2: l2)
        return InfluenceStudy(result: result, trainSize: n, testSize: m, l2: l2)
    }
}
