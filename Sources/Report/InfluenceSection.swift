import Foundation
import Plot
import Studies

/// The report's section on influence functions against leave-one-out retraining.
enum InfluenceSection {
    static func add(_ s: InfluenceStudy, to page: inout HTMLPage) {
        let r = s.result
        var fig = Figure(title: "Influence estimate vs leave-one-out retraining", xLabel: "actual change of the test loss",
                         yLabel: "influence-function estimate", legendPosition: .topLeft)
        fig.addPoints(x: r.actual, y: r.predicted, label: "\(s.trainSize) training examples", color: Color.okabeIto[0])
        let lo = min(r.actual.min() ?? 0, r.predicted.min() ?? 0), hi = max(r.actual.max() ?? 0, r.predicted.max() ?? 0)
        fig.addLine(x: [lo, hi], y: [lo, hi], label: "y = x", color: .black, dash: .dashed)
        page.section("Influence functions", id: "influence",
                     intro: """
                     The influence of a training example on the test loss, (1/n)∇ℓ_testᵀH⁻¹∇ℓᵢ at the optimum (Koh &amp; Liang 2017), against \
                     the ground truth: retraining without it. For the convex case — logistic regression with an L2 penalty \
                     λ = \(s.l2) on the breast-cancer data (\(s.trainSize) training, \(s.testSize) test examples, exact Hessian, Newton's \
                     method) — the estimate ranks the examples almost exactly: Spearman correlation \(num(r.spearman, digits: 4)). \
                     Basu, Pope &amp; Feizi (2020) show this fails for deep networks; that comparison is not built yet.
                     """,
                     "<div class=\"grid\">"
                     + figure(fig.svg(), caption: "Each point is one training example; the influence function is a first-order (in 1/n) approximation, so the largest changes bend slightly away from y = x.")
                     + "</div>")
    }
}
