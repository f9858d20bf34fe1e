import Foundation
import ImplicitBias
import Plot
import Studies

/// The report's section on importance weighting under gradient descent.
enum ImportanceWeightingSection {
    static func add(_ s: ImportanceWeightingStudy, to page: inout HTMLPage) {
        var fig = Figure(title: "Signed angle to the unweighted max-margin direction", xLabel: "step t", yLabel: "angle (degrees)",
                         xScale: .log10, legendPosition: .outsideRight)
        fig.addHorizontalLine(y: 0, color: .gray, dash: .dotted)
        for (i, r) in s.runs.enumerated() {
            let label = "weight \(Int(r.weight)) on y = +1" + (r.l2 > 0 ? ", L2 \(r.l2)" : "")
            fig.addLine(x: r.steps.map(Double.init), y: r.angles, label: label,
                        color: Color.okabeIto[i % Color.okabeIto.count], dash: r.l2 > 0 ? .dashed : .solid)
        }
        let rows = s.runs.map { r in
            ["\(Int(r.weight))", r.l2 > 0 ? "\(r.l2)" : "0", num(r.angles.first { _ in true } ?? .nan, digits: 3),
             num(zip(r.steps, r.angles).first { $0.0 >= 100 }?.1 ?? .nan, digits: 3), num(r.angles.last ?? .nan, digits: 3)]
        }
        page.section("Importance weighting and gradient descent", id: "importance-weighting",
                     intro: """
                     Byrd &amp; Lipton (2019): on separable data, weighting the examples of a class in the logistic loss changes the \
                     boundary early in training and then stops mattering — gradient descent drives ‖θ‖ → ∞ and the direction to the \
                     unweighted max-margin one whatever the (positive) weights, since only the support vectors carry the loss in the limit. \
                     With an L2 penalty the minimizer is finite and the weights matter again. Linear model through the origin, the data of \
                     the implicit-bias section, learning rate 0.5, \(s.runs.first?.steps.last ?? 0) steps.
                     """,
                     "<div class=\"grid\">"
                     + figure(fig.svg(), caption: "Solid: no penalty — the weighted runs swing to one side early and then drift back toward the max-margin direction (slowly, like the unweighted run, whose own transient swings past it). Dashed: with L2 = 10⁻³ the runs settle at finite directions, set by the weights.")
                     + "</div>"
                     + table(["weight on y = +1", "L2", "angle at t = 1", "angle at t ≈ 100", "final angle"], rows)
                     + "<p>Angles in degrees, signed (counter-clockwise from the SVM direction, in the plane of the data).</p>")
    }
}
