import Foundation
import Plot
import Studies

/// The report's section on NTK fluctuations and the dNTK/ddNTK vs depth.
enum DepthProfileSection {
    static func add(_ s: DepthProfileStudy, to page: inout HTMLPage) {
        var variance = Figure(title: "NTK fluctuations vs depth (n = \(s.width))", xLabel: "depth L", yLabel: "Var(Ĥ) / Θ²",
                              legendPosition: .topLeft)
        var dntk = Figure(title: "dNTK–preactivation correlations (n = \(s.width))", xLabel: "depth L", yLabel: "n·E[dĤ z] / Θ²",
                          legendPosition: .topLeft)
        var ddntk = Figure(title: "ddNTK means (n = \(s.width))", xLabel: "depth L", yLabel: "n·E[ddĤ]·K / Θ³",
                           legendPosition: .outsideRight)
        var rows: [[String]] = []
        for (i, profile) in s.profiles.enumerated() {
            let color = Color.okabeIto[i]
            let depths = profile.points.map { Double($0.depth) }
            variance.addLine(x: depths, y: profile.points.map(\.ntkVarianceTheory), label: "\(profile.label): order-1/n theory", color: color)
            variance.addPoints(x: depths, y: profile.points.map(\.ntkVariance.value), yError: profile.points.map(\.ntkVariance.standardError),
                               label: "\(profile.label): \(s.networks) networks ± SE", color: color, marker: i == 0 ? .circle : .square)
            for (c, name) in DepthProfileStudy.differentialNames.enumerated() {
                // Colour: the quantity; marker and dash: the activation.
                let marker: MarkerShape = i == 0 ? .circle : .square
                let shade = Color.okabeIto[(c < 2 ? c : c - 2) % Color.okabeIto.count]
                var target = c < 2 ? dntk : ddntk
                let tag = profile.label.components(separatedBy: ",").first ?? profile.label
                target.addPoints(x: depths, y: profile.points.map { $0.differential[c].value },
                                 yError: profile.points.map { $0.differential[c].standardError },
                                 label: "\(tag) \(name)", color: shade, marker: marker)
                if profile.points.allSatisfy({ $0.differentialTheory != nil }) {
                    target.addLine(x: depths, y: profile.points.map { $0.differentialTheory![c] }, label: nil, color: shade,
                                   dash: i == 0 ? .solid : .dashed)
                }
                if c < 2 { dntk = target } else { ddntk = target }
            }
            for p in profile.points {
                var row = [profile.label, "\(p.depth)", num(p.ntkVarianceTheory, digits: 4),
                           num(p.ntkVariance.value, digits: 4) + " ± " + num(p.ntkVariance.standardError, digits: 2)]
                for c in 0..<6 {
                    let e = p.differential[c]
                    let theory = p.differentialTheory.map { num($0[c], digits: 4) + " / " } ?? ""
                    row.append(theory + num(e.value, digits: 4) + " ± " + num(e.standardError, digits: 2))
                }
                rows.append(row)
            }
        }
        page.section("NTK fluctuations and the dNTK vs depth", id: "dntk",
                     intro: """
                     At finite width the NTK fluctuates from network to network and moves during training: the dNTK dĤ and \
                     the ddNTKs (PDLT ch. 11) are its first and second derivatives along the gradient directions. Their \
                     statistics are O(1/n) and grow with depth. Monte Carlo from exact Hessian–vector products and third \
                     directional derivatives of sampled networks (\(s.networks) per point, one input, output components 0 and 1); \
                     P, Q: n·E[dĤ z] with the index patterns of PDLT §11.2; R: n·E[dd<sub>I</sub>Ĥ]; S, T, U: n·E[dd<sub>II</sub>Ĥ]. \
                     The study took \(String(format: "%.1f", s.seconds)) s.
                     """,
                     "<div class=\"grid\">"
                     + figure(variance.svg(), caption: "Relative variance of one diagonal NTK component; lines: (B + 2O)/(nΘ²) from the order-1/n recursion.")
                     + figure(dntk.svg(), caption: "dNTK–preactivation cross-correlations, normalized by Θ²; lines: the order-1/n recursion (solid ReLU, dashed tanh). ReLU has P = 0 at this order; what the points show at large L is the O((L/n)²) remainder, which halves when n doubles (docs/derivations/dntk.md §8.2).")
                     + "</div>"
                     + figure(ddntk.svg(), caption: "ddNTK means, normalized by Θ³/K; lines: the order-1/n recursion (solid ReLU, dashed tanh; ReLU has R = U = 0 and S = T at this order). At the deepest points (L/n = \(num(s.profiles.first?.points.last?.aspectRatio, digits: 2))) the measured means sit above the lines by the relative O(L/n) remainder, which halves when n doubles; the unit tests remove it by extrapolating from two widths and then agree within |z| < 4.")
                     + table(["network", "L", "Var(Ĥ)/Θ² theory", "Monte Carlo"] + DepthProfileStudy.differentialNames.map { "\($0) (theory / MC)" },
                             rows, textColumns: [0]))
    }
}
