import Foundation
import Plot
import Studies

/// The report's section on Hanin's scaling laws.
enum HaninSection {
    static func add(_ s: HaninScalingStudy, to page: inout HTMLPage) {
        var fig = Figure(title: "Normalized cumulants of one output (ReLU, n = \(s.width))", xLabel: "aspect ratio (L − 1)/n",
                         yLabel: "κ_{2k}/K^{k}", xScale: .log10, yScale: .log10, legendPosition: .topLeft)
        let r = s.points.map(\.aspectRatio)
        let names = ["κ_{4}/K^{2}", "κ_{6}/K^{3}", "κ_{8}/K^{4}"]
        for i in 0..<3 {
            let color = Color.okabeIto[i]
            fig.addPoints(x: r, y: s.points.map { $0.cumulants[i].value }, yError: s.points.map { $0.cumulants[i].standardError },
                          label: names[i], color: color, marker: [MarkerShape.circle, .square, .triangle][i])
            let f = s.fits[i]
            if f.slope.isFinite {
                fig.addLine(x: r, y: r.map { Foundation.exp(f.intercept) * Foundation.pow($0, f.slope) },
                            label: String(format: "fit: slope %.2f ± %.2f (Hanin: %.0f)", f.slope, f.slopeError, f.expected),
                            color: color, dash: .dashed)
            }
        }
        var grad = Figure(title: "Input-gradient fluctuations (ReLU, n = \(s.width))", xLabel: "aspect ratio (L − 1)/n",
                          yLabel: "Var‖∂z/∂x‖² / E[‖∂z/∂x‖²]²", xScale: .log10, yScale: .log10, legendPosition: .topLeft)
        grad.addPoints(x: r, y: s.points.map(\.gradientRelativeVariance.value), yError: s.points.map(\.gradientRelativeVariance.standardError),
                       label: "\(s.networks) networks ± SE", color: Color.okabeIto[3])
        let g = s.fits[3]
        if g.slope.isFinite {
            grad.addLine(x: r, y: r.map { Foundation.exp(g.intercept) * Foundation.pow($0, g.slope) },
                         label: String(format: "fit: slope %.2f ± %.2f (Hanin: 1)", g.slope, g.slopeError), color: .black, dash: .dashed)
        }
        let rows = s.fits.map { f in
            f.slope.isFinite
                ? [f.quantity, num(f.slope, digits: 3), num(f.slopeError, digits: 2), num(f.expected), "\(f.pointsUsed)"]
                : [f.quantity, "— (fewer than 2 points measured positive at 2 SE)", "—", num(f.expected), "\(f.pointsUsed)"]
        }
        // The exact ReLU excess kurtosis 3((1 + 5/n)^{L−1} − 1) is exponential in L/n: its own log–log slope
        // over the same points shows how far from the small-L/n regime the grid reaches.
        let n = Double(s.width)
        let exact = s.points.map { 3 * (Foundation.pow(1 + 5 / n, Double($0.depth - 1)) - 1) }
        let lx = r.map { Foundation.log($0) }, ly = exact.map { Foundation.log($0) }
        let mx = lx.reduce(0, +) / Double(lx.count), my = ly.reduce(0, +) / Double(ly.count)
        let exactSlope = zip(lx, ly).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / lx.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        page.section("Hanin's scaling laws: depth-to-width ratio", id: "hanin",
                     intro: """
                     Random ReLU networks at criticality, width n = \(s.width), depths giving (L − 1)/n from \
                     \(num(s.points.first?.aspectRatio, digits: 3)) to \(num(s.points.last?.aspectRatio, digits: 3)): the normalized \
                     cumulants κ<sub>2k</sub> of one output should grow as (L/n)<sup>k−1</sup> and the relative variance of the \
                     squared input-gradient norm as L/n (exploding/vanishing gradients iff L/n is large). Fits are weighted least \
                     squares on log–log axes using the points measured positive at more than 2 standard errors.
                     """,
                     "<div class=\"grid\">" + figure(fig.svg(), caption: "Higher cumulants need many samples: κ₈'s error bars are wide at small L/n. The exact ReLU κ₄/K² = 3((1 + 5/n)<sup>L−1</sup> − 1) has log–log slope \(num(exactSlope, digits: 3)) over these points: the grid reaches beyond the small-L/n regime where the slope is 1, and the measured slopes above Hanin's leading exponents reflect that.")
                     + figure(grad.svg(), caption: "Squared input-gradient norm of output component 0.") + "</div>"
                     + table(["quantity", "fitted slope", "± SE", "Hanin", "points"], rows, textColumns: [0]))
    }
}
