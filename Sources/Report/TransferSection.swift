import Foundation
import Plot
import Studies
import WidthScaling

/// The report's section on learning-rate transfer across width.
enum TransferSection {
    static func optimizerName(_ o: WidthOptimizer) -> String { o == .sgd ? "SGD" : (o == .adam ? "Adam" : o.rawValue) }

    static func add(_ s: TransferStudy, to page: inout HTMLPage) {
        let c = s.config
        var panels = ""
        for o in c.optimizers {
            for scheme in c.schemes {
                var fig = Figure(width: 480, height: 340, title: "\(scheme.displayName), \(optimizerName(o))", xLabel: "log₂ learning rate",
                                 yLabel: "final train loss", yScale: .log10, legendPosition: .outsideRight)
                for (i, w) in c.widths.enumerated() {
                    let curve = s.lossCurve(scheme, o, width: w).filter { $0.loss.isFinite && $0.loss < 2.2 }
                    let color = Color.okabeIto[i % Color.okabeIto.count]
                    fig.addLine(x: curve.map(\.log2Rate), y: curve.map(\.loss), label: "n = \(w)", color: color, marker: .circle)
                    if let best = s.optima.first(where: { $0.scheme == scheme && $0.optimizer == o && $0.width == w }) {
                        fig.addPoints(x: [best.log2Rate], y: [best.loss], label: nil, color: color, marker: .square, size: 12, filled: false)
                    }
                }
                panels += figure(fig.svg(), caption: "Seed-averaged training loss after \(c.steps) steps; squares: the best rate per width. Rates that diverged or stayed on the initial plateau (loss ≥ 2.2; chance level is log 10 ≈ 2.30) are not drawn.")
            }
        }
        var curves = Figure(width: 640, height: 380, title: "Training curves at each width's best Adam learning rate", xLabel: "step",
                            yLabel: "train loss", yScale: .log10, legendPosition: .outsideRight)
        for (k, scheme) in c.schemes.enumerated() {
            for (i, w) in c.widths.enumerated() {
                guard let best = s.optima.first(where: { $0.scheme == scheme && $0.optimizer == .adam && $0.width == w }),
                      let run = s.outcomes.first(where: { $0.point.scheme == scheme && $0.point.optimizer == .adam && $0.point.width == w
                                                          && $0.point.log2Rate == best.log2Rate && $0.point.seed == 0 }) else { continue }
                curves.addLine(x: run.steps.map(Double.init), y: run.trainLoss, label: "\(scheme.displayName) n = \(w)",
                               color: Color.okabeIto[i % Color.okabeIto.count], dash: k == 0 ? .dashed : .solid)
            }
        }
        let rows = c.optimizers.flatMap { o in c.schemes.map { scheme -> [String] in
            let opt = c.widths.map { w in s.optima.first { $0.scheme == scheme && $0.optimizer == o && $0.width == w } }
            return [scheme.displayName, optimizerName(o)]
                + opt.map { $0.map { "2^\(Int($0.log2Rate)) → \(String(format: "%.1f", $0.interpolatedLog2Rate)) (\(String(format: "%.3f", $0.loss)), \(String(format: "%.1f%%", 100 * $0.testAccuracy)))" } ?? "—" }
                + [String(format: "%+.1f", s.optimumShift(scheme, o))]
        } }
        page.section("Learning-rate transfer across width", id: "transfer",
                     intro: """
                     Tensor Programs V (Yang et al. 2022): in μP the best hyperparameters do not depend on the width, so they can be tuned \
                     on a small network and transferred. The sweep: an MLP with two hidden ReLU layers on the digits (\(s.trainSize) training \
                     and \(s.testSize) test images, cross-entropy), widths \(c.widths.map(String.init).joined(separator: ", ")), learning rates \
                     on a log₂ grid, \(c.seeds) seed\(c.seeds == 1 ? "" : "s") per point, \(c.steps) steps of minibatch \(c.batchSize), in SP and in μP with base width \
                     \(c.baseWidth) (where the two are the same network). The table gives the best rate per width (and its loss and test \
                     accuracy), with the vertex of a parabola through log loss at it and its two neighbours (a continuous estimate of \
                     the optimum: the grid's argmin jumps between neighbours where the curve is flat), and how many octaves the \
                     estimate moves from the smallest to the largest width.
                     """,
                     "<div class=\"grid\">" + panels + "</div>"
                     + table(["scheme", "optimizer"] + c.widths.map { "best η, n = \($0) (loss, test acc.)" } + ["shift (octaves)"], rows,
                             textColumns: [0, 1])
                     + "<div class=\"grid\">" + figure(curves.svg(), caption: "Dashed: SP; solid: μP (seed 0).") + "</div>")
    }
}
