import Foundation
import Plot
import Studies

/// The report's section on importance weighting in a network trained by gradient descent (Byrd & Lipton 2019).
enum NetworkImportanceWeightingSection {
    typealias Run = NetworkImportanceWeightingStudy.Run

    /// Half the gap between the classes' projections on the line through their means (the margin of the separator normal
    /// to that line, through the middle of the gap; NaN if the projections overlap).
    static func halfGap(_ s: NetworkImportanceWeightingStudy) -> Double {
        let p = (0..<s.x.rows).map { i in (0..<2).map { (s.x[i, $0] - s.lineOrigin[$0]) * s.lineDirection[$0] }.reduce(0, +) }
        let pos = (0..<p.count).filter { s.labels[$0] > 0 }.map { p[$0] }.min() ?? .nan
        let neg = (0..<p.count).filter { s.labels[$0] < 0 }.map { p[$0] }.max() ?? .nan
        return pos > neg ? (pos - neg) / 2 : .nan
    }

    /// The late-phase offset γ log W / (2M + log W): the weighted loss at fixed scale balances W e^{−m₊} = e^{−m₋}, so the
    /// nearest points' margins differ by log W; with h ≈ k·s across the gap, M = m₋ = kγ − (log W)/2.
    static func predictedOffset(_ r: Run, halfGap g: Double) -> Double {
        guard let m = r.minMargin.last, m > 0 else { return .nan }
        return g * log(r.weight) / (2 * m + log(r.weight))
    }

    static func add(_ s: NetworkImportanceWeightingStudy, to page: inout HTMLPage) {
        let c = s.config
        let weighted = s.runs.filter { $0.weight != 1 }
        let weights = Array(Set(weighted.map(\.weight))).sorted()
        func color(_ w: Double) -> Color { Color.okabeIto[(weights.firstIndex(of: w) ?? 0) % Color.okabeIto.count] }
        func label(_ r: Run) -> String { "W = \(num(r.weight, digits: 3))" + (r.l2 > 0 ? ", L2 \(num(r.l2, digits: 3))" : "") }
        let steps = Double(c.steps), early = Double(c.earlyStep)
        // Offset and disagreement against t.
        var offset = Figure(title: "Boundary shift toward the down-weighted class", xLabel: "step t",
                            yLabel: "offset along the line through the class means", xScale: .log10, legendPosition: .outsideRight)
        offset.addHorizontalLine(y: 0, color: .gray, dash: .dotted)
        offset.addVerticalLine(x: early, color: .lightGray, dash: .dotted)
        var disagree = Figure(title: "Where the weighted and unweighted nets disagree", xLabel: "step t",
                              yLabel: "fraction of the grid", xScale: .log10, yScale: .log10, legendPosition: .outsideRight)
        disagree.addVerticalLine(x: early, color: .lightGray, dash: .dotted)
        for r in weighted {
            let t = r.steps.map(Double.init)
            offset.addLine(x: t, y: r.offset, label: label(r), color: color(r.weight), dash: r.l2 > 0 ? .dashed : .solid)
            disagree.addLine(x: t, y: r.disagreement, label: label(r), color: color(r.weight), dash: r.l2 > 0 ? .dashed : .solid)
        }
        // The first few steps (before the data is fitted) can throw the boundary far out: keep the axis on t ≥ 10.
        let shown = weighted.flatMap { r in zip(r.steps, r.offset).filter { $0.0 >= 10 && $0.1.isFinite }.map { $0.1 } }
        if let hi = shown.max(), let lo = shown.min(), hi > 0 { offset.yRange = (min(lo, 0) - 0.04 * hi)...(1.15 * hi) }
        // The data and the boundaries h = 0.
        func boundary(_ fig: inout Figure, _ field: [Double], _ text: String, _ col: Color, _ dash: DashStyle) {
            let g = s.grid.count
            guard g >= 2, field.count == g * g else { return }
            let values = (0..<g).map { i in Array(field[(i * g)..<((i + 1) * g)]) }
            for (k, piece) in MarchingSquares.contour(values: values, x: s.grid, y: s.grid, level: 0).enumerated() {
                fig.addLine(x: piece.map(\.x), y: piece.map(\.y), label: k == 0 ? text : nil, color: col, dash: dash)
            }
        }
        let wmax = weights.last ?? 1
        func plane(_ l2: Double) -> String {
            guard let base = s.find(weight: 1, l2: l2), let r = s.find(weight: wmax, l2: l2) else { return "" }
            let e = s.grid.last ?? 1
            var fig = Figure(width: 640, height: 500, title: "h = 0, " + (l2 > 0 ? "L2 λ = \(num(l2, digits: 3))" : "no penalty"),
                             xLabel: "x₁", yLabel: "x₂", xRange: -e...e, yRange: -e...e, legendPosition: .outsideRight)
            let pos = (0..<s.x.rows).filter { s.labels[$0] > 0 }, neg = (0..<s.x.rows).filter { s.labels[$0] < 0 }
            fig.addPoints(x: pos.map { s.x[$0, 0] }, y: pos.map { s.x[$0, 1] }, label: "y = +1 (weight W)", color: Color.okabeIto[0], size: 6)
            fig.addPoints(x: neg.map { s.x[$0, 0] }, y: neg.map { s.x[$0, 1] }, label: "y = −1 (weight 1)", color: Color.okabeIto[5],
                          marker: .square, size: 6)
            boundary(&fig, base.earlyField, "W = 1, t = \(c.earlyStep)", .gray, .dashed)
            boundary(&fig, base.finalField, "W = 1, t = \(c.steps)", .black, .solid)
            boundary(&fig, r.earlyField, "W = \(num(wmax, digits: 3)), t = \(c.earlyStep)", color(wmax), .dashed)
            boundary(&fig, r.finalField, "W = \(num(wmax, digits: 3)), t = \(c.steps)", color(wmax), .solid)
            return figure(fig.svg(), caption: l2 > 0
                          ? "With the penalty the weighted boundary (colour) stays on the side of the down-weighted class at the end (solid) as early (dashed)."
                          : "Without a penalty the weighted boundary (colour) starts on the side of the down-weighted class (dashed) and creeps back toward the unweighted one (black).")
        }
        let penalized = c.penalties.first { $0 > 0 }
        // Numbers.
        let gamma = halfGap(s)
        let rows = s.runs.map { r -> [String] in
            let ref = r.weight == 1
            let e = r.value(\.offset, at: c.earlyStep), l = r.offset.last ?? .nan
            return ["\(num(r.weight, digits: 3))", r.l2 > 0 ? num(r.l2, digits: 3) : "0",
                    ref ? "reference" : num(e, digits: 3), ref ? "—" : num(r.value(\.offset, at: 100), digits: 3),
                    ref ? "—" : num(l, digits: 3), ref ? "—" : num(l / e, digits: 3),
                    ref ? "—" : num(predictedOffset(r, halfGap: gamma), digits: 3),
                    ref ? "—" : num(r.value(\.disagreement, at: c.earlyStep), digits: 3), ref ? "—" : num(r.disagreement.last, digits: 3),
                    num(r.minMargin.last, digits: 3) + (r.diverged ? " (diverged)" : "")]
        }
        var summary = ""
        if let free = s.find(weight: wmax, l2: 0) {
            let e0 = free.value(\.offset, at: c.earlyStep), l0 = free.offset.last ?? .nan, mid = free.value(\.offset, at: 100)
            summary += "Without a penalty, W = \(num(wmax, digits: 3)) puts the boundary \(num(e0, digits: 2)) toward the down-weighted class at t = \(c.earlyStep) "
                + "and \(num(l0, digits: 2)) at t = \(c.steps) (\(num(e0 / l0, digits: 2)) times less); the grid fraction on which it disagrees "
                + "with the unweighted net falls from \(num(free.value(\.disagreement, at: c.earlyStep), digits: 2)) to \(num(free.disagreement.last, digits: 2)). "
            let q = c.steps >= 1000 && mid > 0 && l0 > 0 ? pow(l0 / mid, 1 / log10(steps / 100)) : .nan
            if q < 1 {
                summary += "From t = 100 on the shift shrinks by a factor \(num(q, digits: 2)) per decade of steps — and ever more slowly, as 1/log t does: "
                    + "halving it again would take at least \(num(log(0.5) / log(q), digits: 2)) more decades. "
            }
            summary += "The margin M = min yᵢh(xᵢ) reached \(num(free.minMargin.last, digits: 3)); with the half-gap γ = \(num(gamma, digits: 3)) of the "
                + "data along the line, γ log W/(2M + log W) = \(num(predictedOffset(free, halfGap: gamma), digits: 2)) against the measured \(num(l0, digits: 2)). "
        }
        if let l2 = penalized, let pen = s.find(weight: wmax, l2: l2) {
            summary += "With L2 λ = \(num(l2, digits: 3)) the same weight leaves \(num(pen.offset.last, digits: 2)) at t = \(c.steps) "
                + "(\(num(pen.value(\.offset, at: c.earlyStep), digits: 2)) at t = \(c.earlyStep)): the penalty caps the margin at "
                + "\(num(pen.minMargin.last, digits: 3)), and the same formula gives \(num(predictedOffset(pen, halfGap: gamma), digits: 2)). "
        }
        let offsetCaption = "Signed distance, along the line through the class means, from the unweighted net's boundary to the weighted one's "
            + "(positive: toward y = −1). Solid: no penalty — the shift is largest while the data is being fitted and then decays slowly. "
            + "Dashed: with L2 it stops decreasing and turns back up toward a finite value. Dotted vertical line: the early step."
        let disagreeCaption = "Fraction of a \(s.grid.count) × \(s.grid.count) grid over the picture on which sign h differs from the "
            + "unweighted net's (same penalty, same step): the area between the two boundaries."
        var body = "<div class=\"grid\">" + figure(offset.svg(), caption: offsetCaption) + figure(disagree.svg(), caption: disagreeCaption)
        body += "</div><div class=\"grid\">" + plane(0)
        if let l2 = penalized { body += plane(l2) }
        body += "</div>"
        body += table(["W on y = +1", "L2 λ", "offset at t = \(c.earlyStep)", "offset at t = 100", "offset at t = \(c.steps)", "late / early",
                       "γ log W/(2M + log W)", "disagreement at t = \(c.earlyStep)", "disagreement at t = \(c.steps)",
                       "min yᵢh(xᵢ) at t = \(c.steps)"], rows)
        body += "<p>Offsets in the units of the data, positive toward the down-weighted class y = −1, measured against the unweighted net "
            + "with the same penalty. γ = \(num(gamma, digits: 3)): half the gap between the classes' projections on the line through "
            + "their means; the formula assumes the late phase (M &gt; 0 and the loss carried by the nearest points).</p>"
        page.section("Importance weighting in a network", id: "network-importance-weighting",
                     intro: """
                     Byrd &amp; Lipton (2019) found that importance weights change a deep network early in training but that, as long as \
                     the network separates the training data, their effect diminishes over successive epochs, while L2 regularization \
                     restores some of it. The mechanism is the implicit bias of the logistic loss on separable data (Soudry et al. 2018; \
                     Lyu &amp; Li 2020 for homogeneous networks): once the data is fitted, the output h grows without bound, the loss is carried by \
                     the points nearest the boundary, and the weights only tilt their margins by log W — a shift of the boundary by \
                     ≈ γ log W/(2M + log W) that vanishes as the margin M grows, like log t. Here: an MLP with two hidden layers of \
                     \(c.width) ReLU units and biases (standard parameterization, the same initialization for every run), full-batch \
                     gradient descent at η = \(num(c.learningRate, digits: 3)) for \(c.steps) steps on \(s.x.rows) points in two separable \
                     blobs, weight W on y = +1 and 1 on y = −1 (rescaled to mean 1). \(summary)
                     """, body)
    }
}
