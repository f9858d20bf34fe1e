import Foundation
import Linalg
import WidthScaling

/// The report's parameterization study (Yang & Hu, TP4 §3 and §5; TP5 Table 3 and the coordinate check of
/// microsoft/mup): the abc table of SP, NTK, μP and mean field, and coordinate checks of SP, NTK and μP under SGD and
/// Adam on 60 digit images (6 per class, one-hot targets, square loss): two-hidden-layer ReLU MLPs of widths
/// 128–2048, the RMS gradient of each layer at initialization and the RMS change of each layer's preactivations
/// after steps 1–3, against the exponents `CoordinateCheck.predicted`. μP's base width is 1 here (no crossover from
/// a base network inside the range); its learning rates are then those of TP5 Table 3 with fan_in = n.
public struct ParameterizationStudy: Sendable {
    public var curves: [CoordinateCheck.Curve]
    /// The abc table for a depth-3 network: per scheme and optimizer, the exponents of the input, hidden and output
    /// weights (mean field: one hidden layer, input and output).
    public var table: [(scheme: WidthScheme, optimizer: WidthOptimizer, layers: [(kind: LayerKind, weights: AbcExponents, biases: AbcExponents)])]
    public var learningRates: [WidthOptimizer: Double]
    public var steps: Int, seeds: Int, inputs: Int

    public static func run(widths: [Int] = [128, 256, 512, 1024, 2048], seeds: Int = 8, steps: Int = 3) throws -> ParameterizationStudy {
        let digits = try Datasets.digits()
        let (x0, labels) = Datasets.firstExamples(digits, classes: Array(0..<10), perClass: 6)
        let x = Datasets.normalizeRows(x0)
        var y = Matrix(rows: x.rows, cols: 10)
        for (i, c) in labels.enumerated() { y[i, c] = 1 }
        let rates: [WidthOptimizer: Double] = [.sgd: 1e-3, .adam: 1e-4]
        var curves: [CoordinateCheck.Curve] = []
        for optimizer in [WidthOptimizer.sgd, .adam] {
            for scheme in [WidthScheme.standard, .ntk, .mup] {
                curves.append(try CoordinateCheck.run(scheme: scheme, optimizer: optimizer, depth: 3, widths: widths, baseWidth: 1,
                                                      activation: .relu, cw: [2, 2, 1], cb: [0], x: x, y: y, loss: .meanSquared,
                                                      learningRate: rates[optimizer]!, steps: steps, seeds: seeds))
            }
        }
        let table = WidthScheme.allCases.flatMap { s in [WidthOptimizer.sgd, .adam].map { o in
            (scheme: s, optimizer: o, layers: (s == .meanField ? [LayerKind.input, .output] : [.input, .hidden, .output]).map { k in
                let e = s.exponents(k, optimizer: o)
                return (kind: k, weights: e.weights, biases: e.biases)
            })
        } }
        return ParameterizationStudy(curves: curves, table: table, learningRates: rates, steps: steps, seeds: seeds, inputs: x.rows)
    }
}
