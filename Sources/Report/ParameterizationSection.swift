import Foundation
import Plot
import Studies
import WidthScaling

/// The report's section on abc-parameterizations and the coordinate check.
enum ParameterizationSection {
    static let layerNames = ["input layer", "hidden layer", "output"]

    static func add(_ s: ParameterizationStudy, to page: inout HTMLPage) {
        func frac(_ v: Double) -> String {
            switch v {
            case 0: return "0"
            case 0.5: return "½"
            case -0.5: return "−½"
            case 1.5: return "3/2"
            default: return (v == v.rounded() ? String(format: "%.0f", v) : String(format: "%.2f", v)).replacingOccurrences(of: "-", with: "−")
            }
        }
        let abcRows = s.table.map { r -> [String] in
            let cells = r.layers.map { "\(frac($0.weights.a)), \(frac($0.weights.b)), \(frac($0.weights.c))" }
            return [r.scheme.displayName, r.optimizer.rawValue.uppercased() == "SGD" ? "SGD" : "Adam"]
                + (cells.count == 2 ? [cells[0], "—", cells[1]] : cells)
        }
        var figures = ""
        for c in s.curves {
            var fig = Figure(width: 560, height: 330, title: "\(c.scheme.displayName), \(c.optimizer == .sgd ? "SGD" : "Adam"): preactivation change",
                             xLabel: "width n", yLabel: "RMS Δz^(ℓ)", xScale: .log10, yScale: .log10, legendPosition: .outsideRight)
            let ws = c.points.map { Double($0.width) }
            for l in 0..<layerNames.count {
                let color = Color.okabeIto[l]
                fig.addLine(x: ws, y: c.points.map { $0.updates[0][l] }, label: layerNames[l], color: color, marker: .circle)
                fig.addLine(x: ws, y: c.points.map { $0.updates[$0.updates.count - 1][l] }, label: nil, color: color, dash: .dashed)
            }
            figures += figure(fig.svg(), caption: "Solid: after step 1; dashed: after step \(s.steps).")
        }
        var grads = ""
        for c in s.curves where c.optimizer == .sgd {
            var fig = Figure(width: 560, height: 330, title: "\(c.scheme.displayName): gradient at initialization", xLabel: "width n",
                             yLabel: "RMS ∂loss/∂w^(ℓ)", xScale: .log10, yScale: .log10, legendPosition: .outsideRight)
            let ws = c.points.map { Double($0.width) }
            for l in 0..<layerNames.count {
                fig.addLine(x: ws, y: c.points.map { $0.gradient[l] }, label: layerNames[l], color: Color.okabeIto[l], marker: .circle)
            }
            grads += figure(fig.svg(), caption: "Gradients of the trained parameters w (before any step).")
        }
        let rows = s.curves.flatMap { c in (0..<layerNames.count).map { l in
            [c.scheme.displayName, c.optimizer == .sgd ? "SGD" : "Adam", layerNames[l],
             String(format: "%+.2f", c.gradientSlopes[l]), frac(c.predictedGradient[l]),
             String(format: "%+.2f", c.updateSlopes[l]), frac(c.predictedUpdate[l])]
        } }
        let worst = s.curves.flatMap { c in (0..<layerNames.count).map { abs(c.updateSlopes[$0] - c.predictedUpdate[$0]) } }.max() ?? .nan
        page.section("Parameterizations and the coordinate check", id: "parameterization",
                     intro: """
                     An abc-parameterization (Yang &amp; Hu, Tensor Programs IV, §3) writes every weight as W = n^−a·w with \
                     w ~ N(0, n^−2b) and learning rate η·n^−c; standard (SP), NTK, μP and mean field are rows of one table (below: a, b, c \
                     of the weights per layer; DeepTheory writes them against n/n_base so that SP and μP coincide at the base width). The \
                     coordinate check of microsoft/mup trains each scheme at fixed η and measures, against the width, how large each layer's \
                     gradient is and how much each layer's preactivations move. Here: two hidden ReLU layers, \(s.inputs) digit images, \
                     square loss on one-hot targets, η = \(s.learningRates[.sgd]!) (SGD) and \(s.learningRates[.adam]!) (Adam), \
                     \(s.seeds) networks per width. The exponents in the last table are derived layer by layer from the abc exponents \
                     (doc comment of CoordinateCheck.predicted); the measured ones are log–log slopes over the widths.
                     """,
                     table(["scheme", "optimizer", "input weights (a, b, c)", "hidden weights (a, b, c)", "output weights (a, b, c)"], abcRows,
                           textColumns: [0, 1, 2, 3, 4])
                     + "<p>Under SP the first layer's gradient shrinks like n^−½ and, at a fixed learning rate, the output's change grows like n (SGD) or faster (Adam): the largest stable learning rate falls with width. Under NTK the hidden layers stop moving (n^−½: lazy, kernel regime). Under μP every layer's change stays of order one: the largest width still learns features, and a learning rate tuned at one width is right at all of them.</p>"
                     + "<div class=\"grid\">" + figures + "</div>"
                     + "<div class=\"grid\">" + grads + "</div>"
                     + table(["scheme", "optimizer", "layer", "gradient slope", "predicted", "update slope (step 1)", "predicted"], rows,
                             textColumns: [0, 1, 2])
                     + "<p>Largest difference between a measured and a predicted update exponent: \(String(format: "%.2f", worst)). The differences are finite-width: each exponent is the leading term of a sum over n units whose next term is n^−½ smaller, so over widths \(s.curves.first.map { "\($0.points.first!.width)–\($0.points.last!.width)" } ?? "") the local slope still drifts (SP's Adam output exponent, 3/2, is the slowest: its leading term comes from hidden updates aligned with the output weights, only √n larger than the direct output-weight change).</p>")
    }
}
