import Foundation
import Plot
import Studies

/// The report's finite-width sections: excess kurtosis vs L/n, and the 1/n² remainder of the NTK
/// variance.
enum FiniteWidthSections {
    static func add(_ s: FiniteWidthStudy, to page: inout HTMLPage) {
        var fig = Figure(title: "Excess kurtosis of one output component", xLabel: "aspect ratio (L − 1)/n",
                         yLabel: "κ_{4}/K^{2}", legendPosition: .topLeft)
        for (i, series) in s.kurtosis.enumerated() {
            let color = Color.okabeIto[i]
            let r = series.points.map(\.aspectRatio)
            fig.addLine(x: r, y: series.points.map(\.theory), label: "\(series.label): order-1/n theory", color: color)
            fig.addPoints(x: r, y: series.points.map(\.measured), yError: series.points.map(\.standardError),
                          label: "\(series.label): \(s.networks) networks ± SE", color: color,
                          marker: i == 0 ? .circle : .square)
            if series.activation == .relu {
                let n = Double(series.width)
                let exact = series.points.map { 3 * (Foundation.pow(1 + 5 / n, Double($0.depth - 1)) - 1) }
                fig.addLine(x: r, y: exact, label: "ReLU exact: 3((1 + 5/n)^{L−1} − 1)", color: color, dash: .dashed)
            }
        }
        var rem = Figure(title: "NTK variance, ReLU L = 4: what the 1/n theory leaves", xLabel: "width n",
                         yLabel: "Var(Ĥ) measured − order-1/n theory", xScale: .log10, yScale: .log10, legendPosition: .bottomLeft)
        let w = s.ntkVariance.map { Double($0.width) }
        rem.addPoints(x: w, y: s.ntkVariance.map { $0.measured - $0.theory }, yError: s.ntkVariance.map(\.standardError),
                      label: "Monte Carlo − theory ± SE", color: Color.okabeIto[1])
        if let first = s.ntkVariance.first {
            let c = (first.measured - first.theory) * Double(first.width * first.width)
            rem.addLine(x: w, y: w.map { c / ($0 * $0) }, label: "∝ 1/n² (through the first point)", color: .black, dash: .dashed)
        }
        let rows = s.ntkVariance.map { p in
            ["\(p.width)", num(p.theory), num(p.measured), num(p.standardError), num((p.measured - p.theory) / p.standardError, digits: 3)]
        }
        page.section("Finite width: theory at order 1/n against sampled networks", id: "finite-width",
                     intro: """
                     At finite width the preactivations are nearly Gaussian: the four-point vertex V (PDLT §4.3) gives the \
                     excess kurtosis 3V/(nK²) of one output component, growing with the aspect ratio L/n; the NTK fluctuates \
                     with variance (B + 2O)/n (derived here by conditioning each layer on the one below). Every theory line is \
                     paired with its Monte-Carlo twin (networks sampled by DeepTheory, jackknife standard errors). The study took \
                     \(String(format: "%.1f", s.seconds)) s.
                     """,
                     "<div class=\"grid\">"
                     + figure(fig.svg(), caption: "Single input, width n = \(s.kurtosis.first?.width ?? 0), depths L = \(s.kurtosis.first?.points.map { String($0.depth) }.joined(separator: ", ") ?? ""). The 1/n theory is the first-order term of the exact ReLU curve; the gap at large L/n is the O((L/n)²) remainder.")
                     + figure(rem.svg(), caption: "The NTK variance's order-1/n prediction misses only an O(1/n²) remainder: n²·(MC − theory) is constant within errors.")
                     + "</div>"
                     + table(["width n", "Var(Ĥ) order 1/n", "Monte Carlo", "± SE", "z"], rows))
    }
}
