import Foundation
import Plot
import Studies

/// The report's section on the order-1/n mean of trained networks (PDLT §∞.2–∞.3) against trained ensembles.
enum TrainedMeanSection {
    static func add(_ s: TrainedMeanStudy.Run, to page: inout HTMLPage) {
        let widths = s.points.map { Double($0[0].width) }
        let tests = s.theory[0].total.count
        let colors = [Color.okabeIto[0], Color.okabeIto[5]]
        /// Measured points per test input with the theory as dashed horizontal lines.
        func panel(_ title: String, _ y: String, measured: (TrainedMeanStudy.Point, Int) -> (Double, Double), theory: (Int) -> Double,
                   schedule: Int = 0, theoryLabel: String = "theory") -> Figure {
            var f = Figure(title: title, xLabel: "width n", yLabel: y, xScale: .log10, legendPosition: .outsideRight)
            let span = [widths.min()! / 1.3, widths.max()! * 1.3]
            f.xRange = span[0]...span[1]
            for b in 0..<tests {
                let m = s.points.map { measured($0[schedule], b) }
                f.addPoints(x: widths, y: m.map(\.0), yError: m.map(\.1), label: "test input \(b + 1): trained ± SE", color: colors[b % 2],
                            marker: b == 0 ? .circle : .square)
                f.addLine(x: span, y: span.map { _ in theory(b) }, label: "test input \(b + 1): \(theoryLabel)", color: colors[b % 2], dash: .dashed)
            }
            f.addHorizontalLine(y: 0, color: .gray, dash: .dotted)
            return f
        }
        let net = panel("Network − its linearization: dNTK + ddNTK", "n · E[z(T) − z_lin(T)]",
                        measured: { p, b in (p.networkMinusLinearized[b].value, p.networkMinusLinearized[b].standardError) },
                        theory: { s.theory[0].networkMinusLinearized[$0] })
        let lin = panel("Linearized network − n = ∞: Θ¹ + NTK fluctuations", "n · (E[z_lin(T)] − m∞)",
                        measured: { p, b in (p.linearizedShift[b].value, p.linearizedShift[b].standardError) },
                        theory: { s.theory[0].linearizedShift[$0] })
        let algo = panel("Algorithm dependence: η vs η/4 to the same loss", "n · E[z_η − z_η/4]",
                         measured: { p, b in (p.differenceFromFirst[b].value, p.differenceFromFirst[b].standardError) },
                         theory: { s.theory[0].total[$0] - s.theory[1].total[$0] }, schedule: 1, theoryLabel: "theory m¹(η) − m¹(η/4)")
        // Table: every width, schedule η, both pieces, with z-scores.
        func z(_ e: (value: Double, se: Double), _ t: Double) -> String { String(format: "%.1f", (e.value - t) / e.se) }
        var rows: [[String]] = []
        for pts in s.points {
            for b in 0..<tests {
                let a = pts[0].networkMinusLinearized[b], l = pts[0].linearizedShift[b], d = pts[1].differenceFromFirst[b]
                let ta = s.theory[0].networkMinusLinearized[b], tl = s.theory[0].linearizedShift[b]
                let td = s.theory[0].total[b] - s.theory[1].total[b]
                rows.append(["\(pts[0].width)", "\(b + 1)",
                             num(a.value, digits: 3) + " ± " + num(a.standardError, digits: 2), num(ta, digits: 3), z((a.value, a.standardError), ta),
                             num(l.value, digits: 3) + " ± " + num(l.standardError, digits: 2), num(tl, digits: 3), z((l.value, l.standardError), tl),
                             num(d.value, digits: 3) + " ± " + num(d.standardError, digits: 2), num(td, digits: 3), z((d.value, d.standardError), td)])
            }
        }
        let partRows = (0..<tests).map { b in
            ["\(b + 1)"] + s.theory[0].parts.map { num($0.value[b], digits: 3) } + [num(s.theory[0].total[b], digits: 3), num(s.theory[1].total[b], digits: 3)]
        }
        let p0 = s.points[0]
        page.section("The trained mean at order 1/n", id: "trained-mean",
                     intro: """
                     PDLT ch. ∞ predicts the mean output of networks trained by gradient descent to order 1/n: E[z(T)] = m∞ + m¹/n, with m∞ \
                     the NTK kernel regression and m¹ the sum of the NTK mean correction Θ¹, the NTK fluctuations (second order), the dNTK \
                     (P, Q) and the ddNTKs (R, S, T, U), each an exact sum over the train-NTK eigenmodes on the discrete clock \
                     (docs/derivations/trained-mean.md). Here \(s.description) networks are trained on three digit images (0, 0, 1; \
                     targets ±1) and evaluated on two more — five inputs, so that every statistic with up to four distinct inputs is \
                     computed by the N-input recursions (docs/derivations/multi-input.md). Schedules: η = \(num(p0[0].learningRate, digits: 3)) \
                     for \(p0[0].steps) steps and η/4 for \(p0[1].steps) steps (both converge: final train loss ≤ \
                     \(String(format: "%.0e", s.points.flatMap { $0.map(\.worstFinalLoss) }.max() ?? 0)) of the initial one). \
                     Measured at \(s.points.count) widths: n·E[z − z_lin] with the network's own linearization in closed form (small variance), n·(E[g(Ĥ)]y − m∞) on untrained networks (the z₀ terms have mean zero), \
                     and the paired difference of the two schedules. The theory is width-independent in these units; the measurements \
                     approach it as 1/n. (\(String(format: "%.0f", s.seconds)) s.)
                     """,
                     "<div class=\"grid\">"
                     + figure(net.svg(), caption: "The part of the 1/n shift that the network adds to its linearization: the dNTK and ddNTK terms of m¹ (schedule η). Measured on the same initializations, so the error bars are small.")
                     + figure(lin.svg(), caption: "The linearized network's own shift from m∞ (the NTK mean correction and the NTK fluctuations, second order): its per-network spread grows like √n in these units, hence the widening error bars.")
                     + figure(algo.svg(), caption: "Trained to the same (zero) loss with η and η/4, the networks predict differently at finite width, by the amount the theory gives; at n = ∞ (and for the linearized model) the difference is zero.")
                     + "</div>"
                     + table(["n", "test input", "n·E[z − z_lin]", "theory", "z", "n·(E[z_lin] − m∞)", "theory", "z", "n·E[z_η − z_η/4]", "theory", "z"], rows)
                     + "<p>Theory parts of m¹ (schedule η) and the totals for η and η/4:</p>"
                     + table(["test input"] + s.theory[0].parts.map(\.name) + ["m¹ (η)", "m¹ (η/4)"], partRows))
    }
}
