import Statistics
import FiniteWidth
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
            fig.addLine(x: r, y: s.points.map { $0.exact[i] }, label: i == 0 ? "exact (all orders in 1/n)" : nil, color: color)
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
        let rows = s.fits.enumerated().map { i, f in
            (f.slope.isFinite
                ? [f.quantity, num(f.slope, digits: 3), num(f.slopeError, digits: 2)]
                : [f.quantity, "— (fewer than 2 points measured positive at 2 SE)", "—"])
            + [i < 3 ? num(s.exactSmallRatioSlopes[i], digits: 4) : "—", num(f.expected), "\(f.pointsUsed)"]
        }
        let zRows = s.points.map { (p: HaninScalingStudy.Point) -> [String] in
            var row = ["\(p.depth)", num(p.aspectRatio, digits: 3)]
            for i in 0..<3 {
                let c = p.cumulants[i]
                row.append(num(p.exact[i], digits: 4))
                row.append(num(c.value, digits: 4) + " ± " + num(c.standardError, digits: 2))
                row.append(String(format: "%.2f", (c.value - p.exact[i]) / c.standardError))
            }
            row.append(p.networksFor10Percent.map { String(format: "%.0e", $0) }.joined(separator: " / "))
            return row
        }
        // The exact ReLU excess kurtosis 3((1 + 5/n)^{L−1} − 1) is exponential in L/n: its own log–log slope
        // over the same points shows how far from the small-L/n regime the grid reaches.
        let n = Double(s.width)
        let exact = s.points.map { 3 * (Foundation.pow(1 + 5 / n, Double($0.depth - 1)) - 1) }
        let exactSlope = PowerLaw.slope(r, exact)
        // Hessian of an output over the (L, n) grid: one series per width, so the collapse on L/n shows.
        var hess = Figure(title: "Hessian of one output (ReLU, λ metric)", xLabel: "aspect ratio (L − 1)/n",
                          yLabel: "E[(‖∇²z‖ / Θ)²]", xScale: .log10, yScale: .log10, legendPosition: .topLeft)
        let widths = Array(Set(s.hessian.map(\.width))).sorted()
        for (i, w) in widths.enumerated() {
            let pts = s.hessian.filter { $0.width == w }
            hess.addPoints(x: pts.map(\.aspectRatio), y: pts.map(\.normalizedSquare.value), yError: pts.map(\.normalizedSquare.standardError),
                           label: "n = \(w)", color: Color.okabeIto[i % Color.okabeIto.count],
                           marker: [MarkerShape.circle, .square, .triangle][i % 3])
        }
        let hf = s.hessianFit
        if hf.slope.isFinite {
            let hr = s.hessian.map(\.aspectRatio).sorted()
            hess.addLine(x: hr, y: hr.map { Foundation.exp(hf.intercept) * Foundation.pow($0, hf.slope) },
                         label: String(format: "fit: slope %.2f ± %.2f", hf.slope, hf.slopeError), color: .black, dash: .dashed)
        }
        // ABReLU: the kurtosis coefficient across the family at fixed (L, n).
        var ab = Figure(title: "ABReLU family, L = \(s.abreluDepth), n = \(s.width)", xLabel: "negative slope a₋ (a₊ = 1)",
                        yLabel: "excess kurtosis κ_{4}/K^{2}", legendPosition: .topRight)
        let fine = stride(from: -1.0, through: 1.0, by: 0.02).map { $0 }
        let r0 = Double(s.abreluDepth - 1) / Double(s.width)
        let nw = Double(s.width), hidden = Double(s.abreluDepth - 1)
        ab.addLine(x: fine, y: fine.map { a in 3 * (Foundation.pow(1 + ScaleInvariantExact.kurtosisCoefficient(negative: a, positive: 1) / nw, hidden) - 1) },
                   label: "exact: 3[(1 + c/n)^{L−1} − 1]", color: .black)
        ab.addLine(x: fine, y: fine.map { a in 3 * r0 * ScaleInvariantExact.kurtosisCoefficient(negative: a, positive: 1) },
                   label: "order 1/n: 3c(L − 1)/n", color: Color.okabeIto[1], dash: .dashed)
        ab.addPoints(x: s.abrelu.map(\.negativeSlope), y: s.abrelu.map(\.measured.value), yError: s.abrelu.map(\.measured.standardError),
                     label: "\(s.networks) networks ± SE", color: Color.okabeIto[0])
        let abRows = s.abrelu.map { p in
            [num(p.negativeSlope, digits: 3), num(2 / (1 + p.negativeSlope * p.negativeSlope), digits: 4), num(p.theory, digits: 4),
             num(p.exact, digits: 4), num(p.measured.value, digits: 4), num(p.measured.standardError, digits: 2),
             String(format: "%.2f", (p.measured.value - p.exact) / p.measured.standardError),
             num(p.gradientRelativeVariance.value, digits: 4), num(p.gradientRelativeVariance.standardError, digits: 2)]
        }
        page.section("Hanin's scaling laws: depth-to-width ratio", id: "hanin",
                     intro: """
                     Random ReLU networks at criticality, width n = \(s.width), depths giving (L − 1)/n from \
                     \(num(s.points.first?.aspectRatio, digits: 3)) to \(num(s.points.last?.aspectRatio, digits: 3)): the normalized \
                     cumulants κ<sub>2k</sub> of one output should grow as (L/n)<sup>k−1</sup> and the relative variance of the \
                     squared input-gradient norm as L/n (exploding/vanishing gradients iff L/n is large). Fits are weighted least \
                     squares on log–log axes using the points measured positive at more than 2 standard errors.
                     """,
                     "<div class=\"grid\">" + figure(fig.svg(), caption: "Solid lines: the exact cumulants of a bias-free ReLU network at this width (all orders in 1/n; see ScaleInvariantExact). Higher cumulants need many samples: κ₈'s error bars are wide at small L/n. The exact κ₄/K² = 3((1 + 5/n)<sup>L−1</sup> − 1) has log–log slope \(num(exactSlope, digits: 3)) over these points: the grid reaches beyond the small-L/n regime, so the fitted slopes exceed Hanin's leading exponents; the exact cumulants at L/n = 0.001–0.008 and L ≥ 100 (table) show the exponents k − 1 themselves.")
                     + figure(grad.svg(), caption: "Squared input-gradient norm of output component 0.") + "</div>"
                     + table(["quantity", "fitted slope (Monte Carlo)", "± SE", "exact slope, L/n = 0.001–0.008 (L ≥ 100)", "Hanin", "points"], rows + [
                         hf.slope.isFinite
                             ? [hf.quantity + " (all widths)", num(hf.slope, digits: 3), num(hf.slopeError, digits: 2), "—", "1", "\(hf.pointsUsed)"]
                             : [hf.quantity, "—", "—", "—", "1", "\(hf.pointsUsed)"],
                     ], textColumns: [0])
                     + table(["L", "(L − 1)/n", "κ₄ exact", "κ₄ MC", "z", "κ₆ exact", "κ₆ MC", "z", "κ₈ exact", "κ₈ MC", "z", "networks for 10% on E[z⁴] / E[z⁶] / E[z⁸]"], zRows)
                     + "<p>The last column is the number of networks a sample moment needs for a 10% error, from the exact distribution of the output's conditional variance Ĝ<sup>(L)</sup> (a product of independent layer factors): E[z<sup>2k</sup>] ∝ E[Ĝ<sup>k</sup>], and one network's Ĝ<sup>k</sup> has relative variance R<sub>2k</sub>/R<sub>k</sub>² − 1. Where it far exceeds the \(s.networks) networks used, the sample cumulant is dominated by rare networks with large Ĝ and comes out low, with a jackknife error that does not cover the bias: large |z| there is a failure of the estimator, not of the theory.</p>"
                     + "<div class=\"grid\">"
                     + figure(hess.svg(), caption: "Spectral norm of the Hessian of z₀ with respect to all parameters in the metric of the learning-rate tensor (λ<sub>b</sub> = λ<sub>W</sub> = 1, NTK parameterization), divided by the infinite-width NTK Θ<sup>(L)</sup>; \(s.hessianNetworks) networks per point, Lanczos on exact Hessian–vector products. If the points of all widths fall on one line, the Hessian depends on L and n only through L/n; its square grows like L/n, i.e. ‖∇²z‖/Θ ∝ (L/n)<sup>1/2</sup>.")
                     + figure(ab.svg(), caption: "σ(t) = (a₋1<sub>t<0</sub> + a₊1<sub>t>0</sub>)t at C<sub>W</sub> = 2/(a₊² + a₋²), which keeps K fixed with depth for every member. The coefficient c = 6(a₊⁴ + a₋⁴)/(a₊² + a₋²)² − 1 of L/n depends on the class member: largest for ReLU (c = 5), smallest for the linear and absolute-value networks (c = 2). Without biases the kurtosis is known exactly at any width (the layer-to-layer variance factors are independent), 3[(1 + c/n)<sup>L−1</sup> − 1]; the order-1/n theory is its first term, and the gap between the two lines is the higher-order remainder at this L/n.")
                     + "</div>"
                     + table(["a₋", "C_W", "order 1/n", "exact", "Monte Carlo", "± SE", "z (vs exact)", "Var‖∂z/∂x‖²/E²", "± SE"], abRows))
    }
}
