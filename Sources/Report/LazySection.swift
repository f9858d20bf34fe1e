import Foundation
import Plot
import Studies

/// The report's section on the lazy-training criterion.
enum LazySection {
    static func add(_ s: LazyStudy, to page: inout HTMLPage) {
        var fig = Figure(title: "Lazy-training criterion κ against the initialization scale s", xLabel: "scale s of w₀", yLabel: "κ(s·w₀)",
                         xScale: .log10, yScale: .log10, legendPosition: .outsideRight)
        for (i, c) in s.curves.enumerated() {
            let color = Color.okabeIto[i % Color.okabeIto.count]
            fig.addPoints(x: c.scales, y: c.kappas, label: "depth \(c.depth) (q = \(c.depth))", color: color)
            fig.addLine(x: c.scales, y: c.scales.map { c.kappas[0] * Foundation.pow($0 / c.scales[0], -Double(c.depth)) },
                        label: "∝ s^−\(c.depth)", color: color, dash: .dashed)
        }
        let rows = s.curves.map { ["\($0.depth)", num($0.slope, digits: 8), "\(-$0.depth)"] }
        page.section("Lazy training", id: "lazy",
                     intro: """
                     Chizat, Oyallon &amp; Bach (2019): training stays close to its linearization when \
                     κ = ‖h(w₀) − y*‖·‖D²h(w₀)‖/‖Dh(w₀)‖² is small. Here h is a bias-free ReLU MLP (width \(s.width), biases not trained) on \
                     \(s.inputs) digit images, centred so that h̃(w₀) = 0; ‖Dh‖² is the largest eigenvalue of the empirical NTK and ‖D²h‖ the \
                     curvature along the residual direction, by Lanczos on exact Hessian–vector products, both in the metric of the \
                     learning-rate tensor. The model is homogeneous of degree q = L in its weights, so scaling the initialization by s \
                     multiplies κ by s^−q: a large initialization is lazy, a small one learns features.
                     """,
                     "<div class=\"grid\">"
                     + figure(fig.svg(), caption: "Points: κ measured at each scale; dashed: the exact s^−q law through the smallest scale.")
                     + "</div>"
                     + table(["depth L", "fitted log–log slope", "−q"], rows))
    }
}
