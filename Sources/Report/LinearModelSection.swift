import Foundation
import Plot
import Studies

/// The report's section on linear and quadratic models.
enum LinearModelSection {
    static func add(_ s: LinearModelStudy, to page: inout HTMLPage) {
        var gd = Figure(title: "Gradient descent → the kernel solution (\(s.features) random features)", xLabel: "steps t",
                        yLabel: "max |Δ prediction|", xScale: .log10, yScale: .log10, legendPosition: .outsideRight)
        gd.addPoints(x: s.steps.map(Double.init), y: s.gapToKernel.map { max($0, 1e-17) }, label: "|GD(t) − kernel form|", color: Color.okabeIto[0])
        gd.addPoints(x: s.steps.prefix(s.closedVsIterated.count).map(Double.init), y: s.closedVsIterated.map { max($0, 1e-17) },
                     label: "|closed form − iteration|", color: Color.okabeIto[1], marker: .square)
        var quad = Figure(title: "Quadratic model z = Wφ + (ε/2)(Wφ)²", xLabel: "ε", yLabel: "size", xScale: .log10, yScale: .log10,
                          legendPosition: .topLeft)
        quad.addPoints(x: s.epsilons, y: s.nearlyKernelGap, label: "|trained − nearly-kernel|", color: Color.okabeIto[0])
        quad.addPoints(x: s.epsilons, y: s.featureChange, label: "φ^E change (relative)", color: Color.okabeIto[2], marker: .square)
        if let g = s.nearlyKernelGap.first, let f = s.featureChange.first, let e0 = s.epsilons.first {
            quad.addLine(x: s.epsilons, y: s.epsilons.map { g * ($0 / e0) * ($0 / e0) }, label: "∝ ε²", color: Color.okabeIto[0], dash: .dashed)
            quad.addLine(x: s.epsilons, y: s.epsilons.map { f * $0 / e0 }, label: "∝ ε", color: Color.okabeIto[2], dash: .dashed)
        }
        var curves = Figure(title: "Effective features φ^E moving during training", xLabel: "step t",
                            yLabel: "‖φ^E(t) − φ^E(0)‖ / ‖φ^E(0)‖", yScale: .log10, legendPosition: .bottomRight)
        for (i, (e, c)) in zip(s.epsilons, s.featureChangeCurves).enumerated() {
            let t = (1..<c.count).map(Double.init)
            curves.addLine(x: t, y: c.dropFirst().map { max($0, 1e-17) }, label: "ε = \(e)", color: Color.okabeIto[i % Color.okabeIto.count])
        }
        var snap = Figure(title: "φ^E_j(x) before and after training (sin x, ε = \(s.snapshotEpsilon))", xLabel: "x",
                          yLabel: "feature value", legendPosition: .outsideRight)
        for (i, (b, a)) in zip(s.snapshotBefore, s.snapshotAfter).enumerated() {
            let c = Color.okabeIto[(i + 1) % Color.okabeIto.count]
            snap.addLine(x: s.snapshotGrid, y: b, label: "φ_\(i + 1) (t = 0)", color: c, dash: .dashed)
            snap.addLine(x: s.snapshotGrid, y: a, label: "φ^E_\(i + 1) (t = \(s.snapshotSteps))", color: c)
        }
        page.section("Linear models, kernel methods and the quadratic model", id: "linear-models",
                     intro: """
                     A linear model z = Wφ(x) with \(s.features) random ReLU features fitted to \(s.trainPoints) points of a teacher network (tanh, 5 inputs) \
                     (PDLT §7.1–7.2, §10.4). The direct solution (normal equations, ridge 10⁻⁸) and the dual kernel form \
                     k(x, X)(k + εI)⁻¹y agree to \(String(format: "%.1e", s.directVsKernel)); gradient descent from W(0) = 0 reaches the \
                     kernel (minimum-norm) solution, in closed form and by iteration alike; from W(0) ~ N(0, 1) it ends \
                     \(String(format: "%.2f", s.initialization)) away at t = ∞ (the part of W(0) outside the span of the data \
                     features survives: algorithm dependence). The quadratic model's effective features φ^E move during training; \
                     its nearly-kernel (order-ε) solution is off by O(ε²).
                     """,
                     "<div class=\"grid\">"
                     + figure(gd.svg(), caption: "Closed-form gradient descent, (1 − ηk/N)^t on the residual, against the kernel form (its smallest eigen-directions set how many steps convergence takes) and against iterating the updates up to 4096 steps (rounding level).")
                     + figure(quad.svg(), caption: "Trained for 500 steps from W(0) = 0 (meta-features ψ = φφᵀ). The gap to the first-order-in-ε trajectory falls as ε²; the effective features move as ε.")
                     + figure(curves.svg(), caption: "The same runs step by step: φ^E moves early (while the residual is large) and freezes as the loss goes to zero; the plateau is proportional to ε.")
                     + figure(snap.svg(), caption: "Three of 40 random ReLU features on a 16-point sin x task (ψ = φφᵀ, so φ^E_j(x) = φ_j(x)(1 + εz(x))): dashed at initialization, solid after training. A linear model's features never move.")
                     + "</div>")
    }
}
