import Foundation
import Plot
import Studies
import WidthScaling

/// The report's section on the mean-field limit of two-layer networks (Mei–Montanari–Nguyen 2018, Chizat–Bach 2018)
/// against the NTK scaling.
enum MeanFieldSection {
    static func add(_ s: MeanFieldStudy, to page: inout HTMLPage) {
        let mf = s.meanField, ntk = s.ntk
        let ms = mf.widths.map { Double($0.width) }
        let below = Array(ms.dropLast())
        let mMax = mf.widths[mf.widths.count - 1].width
        let steps = s.lossSteps.map(Double.init)
        func color(_ k: Int) -> Color { Color.okabeIto[k % 6] }
        func slope(_ v: Double) -> String { String(format: "%+.2f", v).replacingOccurrences(of: "-", with: "−") }
        func sci(_ v: Double?) -> String { v.map { String(format: "%.2e", $0) } ?? "reference" }

        // (i) Loss curves, one seed per width.
        var loss = Figure(width: 480, height: 340, title: "Train loss: mean field (solid), NTK (dashed)", xLabel: "step t",
                          yLabel: "train loss", yScale: .log10, legendPosition: .outsideRight)
        for (k, w) in mf.widths.enumerated() {
            loss.addLine(x: steps, y: w.runs[0].loss, label: "m = \(w.width)", color: color(k))
            loss.addLine(x: steps, y: ntk.widths[k].runs[0].loss, label: nil, color: color(k), dash: .dashed)
        }

        // (ii) Distances to the widest trajectory, and particle displacement, against m.
        var distance = Figure(width: 480, height: 340, title: "Distance to the m = \(mMax) trajectory", xLabel: "width m",
                              yLabel: "distance", xScale: .log10, yScale: .log10, legendPosition: .outsideRight)
        let mfH = mf.widths.dropLast().map { $0.trajectoryDistance ?? .nan }
        distance.addLine(x: below, y: mfH, label: "h, mean field", color: .blue, marker: .circle)
        distance.addLine(x: below, y: mf.widths.dropLast().map { $0.lossDistance ?? .nan }, label: "loss, mean field", color: .green,
                         marker: .square)
        distance.addLine(x: below, y: ntk.widths.dropLast().map { $0.trajectoryDistance ?? .nan }, label: "h, NTK", color: .vermillion,
                         dash: .dashed, marker: .triangle)
        distance.addLine(x: below, y: below.map { mfH[0] * (below[0] / $0).squareRoot() }, label: "∝ m^{−1/2}",
                         color: .gray, dash: .dotted)

        var displacement = Figure(width: 480, height: 340, title: "Mean particle displacement", xLabel: "width m",
                                  yLabel: "(1/m) Σ ‖θⱼ(T) − θⱼ(0)‖", xScale: .log10, yScale: .log10, legendPosition: .outsideRight)
        displacement.addLine(x: ms, y: mf.widths.map(\.displacement), label: "mean field", color: .blue, marker: .circle)
        displacement.addLine(x: ms, y: ntk.widths.map(\.displacement), label: "NTK", color: .vermillion, dash: .dashed, marker: .triangle)
        displacement.addLine(x: ms, y: ms.map { ntk.widths[0].displacement * (ms[0] / $0).squareRoot() }, label: "∝ m^{−1/2}",
                             color: .gray, dash: .dotted)

        // (iii) The empirical measure: knots and curvature masses of the first seed at t = 0 and t = T.
        func scatter(_ c: MeanFieldStudy.Scaling, _ tint: Color) -> String {
            guard let w = c.widths.first(where: { $0.width == s.scatterWidth }) else { return "" }
            var fig = Figure(width: 480, height: 340, title: "\(c.scheme.displayName), m = \(w.width): particles", xLabel: "knot −bⱼ/wⱼ",
                             yLabel: "aⱼ·|wⱼ|", xRange: -3...3, legendPosition: .outsideRight)
            let sets: [(MeanFieldStudy.Particles, String, Color)] = [(w.initial, "t = 0", Color.gray.withOpacity(0.45)),
                                                                     (w.trained, "t = \(s.steps)", tint.withOpacity(0.75))]
            for (p, label, col) in sets {
                let knots = p.knots, masses = p.masses
                let keep = knots.indices.filter { Swift.abs(knots[$0]) <= 3 }
                fig.addPoints(x: keep.map { knots[$0] }, y: keep.map { masses[$0] }, label: label, color: col, size: 3.5)
            }
            return figure(fig.svg(), caption: "One dot per particle with its knot in [−3, 3] (first seed); gray: t = 0, colour: t = \(s.steps).")
        }

        // (iv) The trained functions.
        var functions = Figure(width: 480, height: 340, title: "h after \(s.steps) steps (first seed)", xLabel: "x", yLabel: "h(x)",
                               legendPosition: .outsideRight)
        functions.addLine(x: s.grid, y: s.target, label: "target " + MeanFieldStudy.targetName, color: .gray, dash: .dotted)
        functions.addPoints(x: s.x, y: s.y, label: "training points", color: .black, size: 4)
        for (k, w) in mf.widths.enumerated() {
            functions.addLine(x: s.grid, y: w.runs[0].h[w.runs[0].h.count - 1], label: "mean field, m = \(w.width)", color: color(k))
        }
        let ntkTop = ntk.widths[ntk.widths.count - 1].runs[0]
        functions.addLine(x: s.grid, y: ntkTop.h[ntkTop.h.count - 1], label: "NTK, m = \(mMax)", color: .black, dash: .dashed)

        let rows = mf.widths.indices.map { k -> [String] in
            let a = mf.widths[k], b = ntk.widths[k]
            return ["\(a.width)", "\(a.runs.count)", sci(a.initialDistance), sci(a.trajectoryDistance), sci(a.lossDistance),
                    num(a.displacement, digits: 3), sci(b.trajectoryDistance), String(format: "%.2e", b.displacement)]
        }
        let slopeRows = [
            ["mean field", slope(mf.trajectorySlope), slope(mf.lossSlope), slope(mf.displacementSlope), "−½, −½, 0",
             num(mf.lossDecrease, digits: 3)],
            ["NTK", slope(ntk.trajectorySlope), slope(ntk.lossSlope), slope(ntk.displacementSlope), "0, 0, −½", num(ntk.lossDecrease, digits: 3)],
        ]
        let particleNote = """
            <p>The particle picture: relu(wx + b)'' = |w| δ(x + b/w), so in mean field h'' = (1/m) Σⱼ aⱼ|wⱼ| δ(x − kⱼ) with \
            knots kⱼ = −bⱼ/wⱼ: the scatter of (kⱼ, aⱼ|wⱼ|) is the measure that h's curvature is made of (for the target, \
            h'' = −2 sin 2x, extremal at x = ±π/4). Under mean field the particles travel to build it; under NTK the dots at \
            t = \(s.steps) sit on those at t = 0.</p>
            """
        let distanceNote = """
            <p>At t = 0 the mean-field distance is only the central-limit fluctuation of the random initial function; the \
            trajectory distance (t &gt; 0) shows that the whole training path, not just its start, converges at the rate m^−½. \
            The widest point of each mean-field curve is slightly flattened by the reference's own fluctuation (the mean of \
            its seeds at m = \(mMax)).</p>
            """
        let widthList = mf.widths.map { "\($0.width)" }.joined(separator: ", ")
        let seedList = s.seeds.map { "\($0)" }.joined(separator: ", ")
        page.section("Mean-field limit of two-layer networks", id: "mean-field",
                     intro: """
                     Mei, Montanari &amp; Nguyen (PNAS 2018) and Chizat &amp; Bach (NeurIPS 2018): a two-layer network \
                     h(x) = (1/m) Σⱼ aⱼ relu(wⱼx + bⱼ) is an average over its m particles θⱼ = (aⱼ, wⱼ, bⱼ), i.e. a function of their \
                     empirical measure. Gradient descent at rate η·m per particle moves each particle by O(1) in the field of the \
                     others, and as m → ∞ the measure follows a deterministic flow; a finite network is that flow plus the fluctuation \
                     of an average of m particles, O(m^−½). The NTK scaling h = (1/√m) Σⱼ aⱼ relu(wⱼx + bⱼ) at rate η has the same tangent \
                     kernel at initialization, but each particle moves only O(m^−½) (the kernel regime), and h(0) is an O(1) \
                     Gaussian-process draw, so runs converge in law but not one by one. Here: \(s.x.count) points on [−2, 2], target \
                     \(MeanFieldStudy.targetName), aⱼ, wⱼ, bⱼ ~ N(0, 1) (the same numbers in both scalings for a given seed), η = \
                     \(num(s.learningRate, digits: 3)), \(s.steps) full-batch steps, m = \(widthList) with \(seedList) seeds. \
                     Measured log–log slopes against m: mean field, distance of h to the m = \(mMax) trajectory \
                     \(slope(mf.trajectorySlope)) (expected −½), particle displacement \(slope(mf.displacementSlope)) (expected 0); NTK, \
                     distance \(slope(ntk.trajectorySlope)) (expected 0), displacement \(slope(ntk.displacementSlope)) (expected −½).
                     """,
                     "<div class=\"grid\">"
                     + figure(loss.svg(), caption: "One run per width. Mean field: the curves close up on the widest one as m grows; NTK: each run starts from its own random h(0).")
                     + figure(functions.svg(), caption: "h on the grid after training; the NTK fit extrapolates from its random initial function.")
                     + figure(distance.svg(), caption: "RMS over seeds of the largest (over checkpoints t &gt; 0) grid-RMS of h_m − h_ref, and of |L_m − L_ref|; h_ref, L_ref: mean over the seeds at m = \(mMax).")
                     + figure(displacement.svg(), caption: "(1/m) Σⱼ ‖θⱼ(T) − θⱼ(0)‖ in the trained parameters, mean over seeds.")
                     + scatter(mf, .blue) + scatter(ntk, .vermillion)
                     + "</div>"
                     + particleNote
                     + table(["width m", "seeds", "MF ‖h − h_ref‖ at t = 0", "MF ‖h − h_ref‖, t &gt; 0", "MF |L − L_ref|", "MF displacement",
                              "NTK ‖h − h_ref‖, t &gt; 0", "NTK displacement"], rows)
                     + table(["scaling", "slope: h distance", "slope: loss distance", "slope: displacement", "expected", "L(0)/L(T) at m = \(mMax)"],
                             slopeRows, textColumns: [0, 4])
                     + distanceNote)
    }
}
