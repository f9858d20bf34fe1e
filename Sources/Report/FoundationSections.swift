import Criticality
import Foundation
import Gaussian
import Plot
import Studies

/// The report's first sections (foundation): kernel and NTK vs depth, correlation flow, the phase
/// diagram, and the table of critical points.
enum FoundationSections {
    static func add(_ study: FoundationStudy, to page: inout HTMLPage) {
        page.section("Kernel and NTK vs depth", id: "depth",
                     intro: """
                     Infinite-width kernels of \(study.inputs.rows) digits (classes 0–4, standardized pixels, \
                     |x|²/n₀ = 1) through \(study.depth) layers (PDLT §4.3 and §5.1 for K, §9.1 for Θ, λ = C). At criticality \
                     ReLU keeps K<sup>(ℓ)</sup><sub>δδ</sub> constant and tanh lets it decay as a power law (1/(2ℓ), PDLT §5.3.3); \
                     off criticality the kernel approaches its fixed point K* or explodes exponentially.
                     """, depthFigures(study))
        page.section("Correlation flow to the fixed point", id: "flow",
                     intro: """
                     The correlation ρ<sup>(ℓ)</sup> = K₁₂/√(K₁₁K₂₂) of two inputs with |x|²/n₀ = 1 and initial correlation ρ₀ \
                     (PDLT §5.1). In the ordered phase and at criticality every pair flows to ρ* = 1 — exponentially \
                     fast off criticality (depth scale ξ<sub>c</sub>), as a power law at criticality (ReLU: 1 − ρ ≈ 9π²/(2ℓ²)); \
                     in the chaotic phase pairs decorrelate to ρ* < 1.
                     """, flowFigures(study))
        page.section("Order-to-chaos phase diagram (tanh)", id: "phase",
                     intro: """
                     For each (C<sub>W</sub>, C<sub>b</sub>): the fixed point K*, χ<sub>⊥</sub>(K*) and the correlation depth scale \
                     ξ<sub>c</sub> = −1/log χ<sub>c</sub> (Schoenholz et al. 2017). ξ<sub>c</sub> diverges on the edge of chaos χ<sub>⊥</sub>(K*) = 1; \
                     the tanh critical point of PDLT (C<sub>b</sub> = 0, C<sub>W</sub> = 1) sits at its lower end.
                     """, phaseFigure(study))
        page.section("Critical points of every activation", id: "critical",
                     intro: """
                     The universality class and critical (C<sub>b</sub>, C<sub>W</sub>) of each built-in activation (PDLT ch. 5), with the \
                     depth exponents measured on the recursions over \(study.tanhLongRun.layers.count) layers at criticality — K<sup>(ℓ)</sup> ∝ ℓ<sup>−α</sup>, the \
                     perpendicular derivative kernel ∂<sub>u</sub>∂<sub>u′</sub>K ∝ ℓ<sup>−β</sup> (Hanin's lecture) and the NTK Θ<sup>(ℓ)</sup> ∝ ℓ<sup>γ</sup> (λ<sub>b</sub> = C<sub>b</sub>, λ<sub>W</sub> = C<sub>W</sub>) — \
                     beside the predicted values where PDLT derives them. The measured exponents carry O(log ℓ/ℓ) \
                     corrections.
                     """, criticalTable(study))
    }

    static func depthFigures(_ s: FoundationStudy) -> String {
        let colors = Color.okabeIto
        let dashes: [DashStyle] = [.solid, .dashed, .dotted, .solid, .dashed, .dotted]
        var kFig = Figure(title: "Diagonal kernel K^{(ℓ)}_{δδ}", xLabel: "layer ℓ", yLabel: "mean K_{δδ}",
                          xScale: .log10, yScale: .log10, legendPosition: .outsideRight)
        kFig.width = 900
        var cFig = Figure(title: "Mean correlation between digits", xLabel: "layer ℓ", yLabel: "mean ρ_{δ₁δ₂}",
                          xScale: .log10, legendPosition: .bottomRight)
        var tFig = Figure(title: "Diagonal NTK Θ^{(ℓ)}_{δδ}", xLabel: "layer ℓ", yLabel: "mean Θ_{δδ}",
                          xScale: .log10, yScale: .log10, legendPosition: .topLeft)
        for (i, p) in s.profiles.enumerated() {
            let x = p.layers.map(Double.init)
            let label = p.configuration.label
            kFig.addLine(x: x, y: p.kernelDiagonal, label: label, color: colors[i], dash: dashes[i])
            cFig.addLine(x: x, y: p.meanCorrelation, color: colors[i], dash: dashes[i])
            tFig.addLine(x: x, y: p.ntkDiagonal, color: colors[i], dash: dashes[i])
        }
        var longFig = Figure(title: "tanh at criticality, \(s.tanhLongRun.layers.count) layers", xLabel: "layer ℓ", yLabel: "value",
                             xScale: .log10, yScale: .log10, legendPosition: .bottomLeft)
        let l = s.tanhLongRun.layers.map(Double.init)
        longFig.addLine(x: l, y: s.tanhLongRun.kernel, label: "K^{(ℓ)} (recursion)", color: colors[0])
        longFig.addLine(x: l, y: l.map { 1 / (2 * $0) }, label: "1/(2ℓ) (PDLT §5.3.3)", color: .black, dash: .dashed)
        longFig.addLine(x: l, y: s.tanhLongRun.ntk, label: "Θ^{(ℓ)} (recursion)", color: colors[1])
        longFig.addHorizontalLine(y: 0.5, color: .gray, dash: .dotted, label: "Θ → 1/2")
        longFig.addLine(x: l, y: s.tanhLongRun.derivativeKernel, label: "∂_{u}∂_{u′}K (recursion)", color: colors[2])
        return figure(kFig.svg(), caption: "Mean diagonal kernel over the digits. Flat: ReLU at criticality; 1/ℓ: tanh at criticality; approach to K*: ordered/chaotic tanh; exponential: ReLU off criticality.")
            + "<div class=\"grid\">"
            + figure(cFig.svg(), caption: "Mean off-diagonal correlation; same colors as above. Correlations flow to 1 except in the chaotic phase. With C<sub>b</sub> = 0 the ReLU correlation map does not depend on C<sub>W</sub>, so the three ReLU curves coincide.")
            + figure(tFig.svg(), caption: "Mean diagonal NTK (λ<sub>b</sub> = C<sub>b</sub>, λ<sub>W</sub> = C<sub>W</sub>): linear growth at ReLU criticality, a slow approach to a constant for critical tanh.")
            + figure(longFig.svg(), caption: "Critical tanh against the large-depth forms: K ≈ 1/(2ℓ), Θ → λ<sub>W</sub> σ₁²/(−a₁ p<sub>⊥</sub>) = 1/2, derivative kernel ∝ ℓ<sup>−p<sub>⊥</sub></sup> = ℓ<sup>−1</sup>.")
            + "</div>"
    }

    static func flowFigures(_ s: FoundationStudy) -> String {
        var figs = ""
        let byConfig = Dictionary(grouping: s.flows, by: { $0.configuration.label })
        for c in FoundationStudy.configurations.prefix(4) {
            guard let flows = byConfig[c.label] else { continue }
            let chaotic = c.label.contains("chaotic")
            var fig = Figure(title: c.label, xLabel: "layer ℓ", yLabel: chaotic ? "ρ^{(ℓ)}" : "1 − ρ^{(ℓ)}",
                             xScale: .log10, yScale: chaotic ? .linear : .log10, legendPosition: chaotic ? .topRight : .bottomLeft)
            for (i, f) in flows.enumerated() {
                let x = (1...f.correlations.count).map(Double.init)
                fig.addLine(x: x, y: chaotic ? f.correlations : f.correlations.map { 1 - $0 }, label: "ρ₀ = \(f.rho0)",
                            color: Color.okabeIto[i])
            }
            if c.activation == .relu {
                let x = (3...60).map(Double.init)
                fig.addLine(x: x, y: x.map { 9 * Double.pi * Double.pi / (2 * $0 * $0) }, label: "9π²/(2ℓ²)", color: .black, dash: .dashed)
            }
            figs += figure(fig.svg(), caption: chaotic ? "Chaotic: every pair decorrelates to the same ρ* < 1." : "Distance from perfect correlation, log–log.")
        }
        return "<div class=\"grid\">" + figs + "</div>"
    }

    static func phaseFigure(_ s: FoundationStudy) -> String {
        let pd = s.tanhPhaseDiagram
        // values[i][j] at (cw[j], cb[i]).
        let xi = pd.points.map { row in row.map { p -> Double in
            if p.phase == .critical { return 1000 }
            return min(p.depthScale ?? .nan, 1000)
        } }
        var heat = HeatMap(values: xi, x: pd.cwValues, y: pd.cbValues, title: "tanh: correlation depth scale ξ_{c}",
                           xLabel: "C_{W} (= σ_{w}^{2})", yLabel: "C_{b} (= σ_{b}^{2})", colorbarLabel: "ξ_{c} (layers)",
                           width: 760, height: 500)
        heat.colorScale = .log10
        heat.colorRange = 0.5...200
        // The edge of chaos χ_⊥(K*) = 1, interpolated along each row of the grid.
        var edgeX: [Double] = [], edgeY: [Double] = []
        for (i, row) in pd.points.enumerated() {
            for j in 0..<(row.count - 1) {
                guard let a = row[j].chiPerp, let b = row[j + 1].chiPerp, (a - 1) * (b - 1) <= 0, a != b else { continue }
                let t = (1 - a) / (b - a)
                edgeX.append(pd.cwValues[j] + t * (pd.cwValues[j + 1] - pd.cwValues[j]))
                edgeY.append(pd.cbValues[i])
                break
            }
        }
        heat.addLine(x: edgeX, y: edgeY, label: "χ_{⊥}(K*) = 1 (edge of chaos)", color: .white, width: 2.5)
        heat.addPoints(x: [1], y: [0], label: "PDLT critical point (0, 1)", color: .vermillion, marker: .circle)
        heat.addText("ordered", x: 0.8, y: 0.25, color: .white)
        heat.addText("chaotic", x: 3.0, y: 0.05, color: .black)
        let counts = Dictionary(grouping: pd.points.flatMap { $0 }, by: \.phase).mapValues(\.count)
        let summary = [Phase.ordered, .critical, .chaotic, .exploding].compactMap { ph in counts[ph].map { "\(ph.rawValue): \($0)" } }
            .joined(separator: ", ")
        return figure(heat.svg(), caption: "Grid of \(pd.cbValues.count) × \(pd.cwValues.count) points (\(summary)). ξ<sub>c</sub> is capped at 1000 layers for display.")
    }

    static func criticalTable(_ s: FoundationStudy) -> String {
        var rows: [[String]] = []
        for (a, cp, d) in s.criticalTable {
            let pair = { (m: Double?, t: Double?) -> String in
                guard let m else { return "—" }
                return num(m, digits: 4) + (t.map { " (" + num($0, digits: 4) + ")" } ?? "")
            }
            rows.append([
                "<code>\(escape(a.name))</code>", cp.universalityClass.rawValue, num(cp.cb), num(cp.cw),
                cp.universalityClass == .scaleInvariant ? "any" : num(cp.kstar), num(cp.chiParallel, digits: 8),
                num(cp.chiPerp, digits: 8), pair(d?.alphaMeasured, d?.alphaTheory), pair(d?.betaMeasured, d?.betaTheory),
                pair(d?.gammaMeasured, d?.gammaTheory), escape(cp.reason ?? ""),
            ])
        }
        return table(["activation", "class", "C<sub>b</sub>", "C<sub>W</sub>", "K*", "χ<sub>∥</sub>(K*)", "χ<sub>⊥</sub>(K*)", "α measured (theory)",
                      "β measured (theory)", "γ measured (theory)", "remark"], rows, textColumns: [0, 1, 10])
    }
}
