import Foundation
import Influence
import Plot
import Studies

/// The report's section on influence functions in neural networks (Basu, Pope & Feizi 2020) against leave-one-out
/// retraining, with the convex case for reference.
enum NetworkInfluenceSection {
    static func decay(_ l2: Double) -> String { l2 > 0 ? "λ = \(num(l2))" : "λ = 0" }

    static func mean(_ v: [Double]) -> Double { v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count) }

    static func scatter(_ title: String, predicted: [Double], actual: [Double], spearman: Double, color: Color, caption: String) -> String {
        var fig = Figure(width: 460, height: 340, title: title, xLabel: "actual change of the test loss", yLabel: "influence estimate",
                         legendPosition: .topLeft)
        fig.addPoints(x: actual, y: predicted, label: "Spearman \(num(spearman, digits: 3))", color: color)
        let lo = min(actual.min() ?? 0, predicted.min() ?? 0), hi = max(actual.max() ?? 0, predicted.max() ?? 0)
        fig.addLine(x: [lo, hi], y: [lo, hi], label: "y = x", color: .black, dash: .dashed)
        return figure(fig.svg(), caption: caption)
    }

    static func add(_ s: NetworkInfluenceStudy, to page: inout HTMLPage) {
        let nets = s.networks
        let depths = Array(Set(nets.map { $0.configuration.depth })).sorted(), widths = Array(Set(nets.map { $0.configuration.width })).sorted()
        func pick(depth: Int?, width: Int?, decayed: Bool?) -> [NetworkInfluence.Result] {
            nets.filter { r in
                let c = r.configuration
                return (depth == nil || c.depth == depth) && (width == nil || c.width == width) && (decayed == nil || (c.l2 > 0) == decayed)
            }
        }
        func meanRho(depth: Int? = nil, width: Int? = nil, decayed: Bool? = nil) -> Double {
            mean(pick(depth: depth, width: width, decayed: decayed).map(\.spearman))
        }

        // Table: the linear model, then every network.
        var rows = [["logistic regression", "—", "—", "\(s.linear.result.theta.count)", decay(s.l2), "0", "0 (convex)", "—",
                     "Newton, exact minimizer", num(s.linearSpearman, digits: 3)]]
        for r in nets {
            let c = r.configuration
            let damping = c.damping == r.dampingUsed ? num(c.damping) : "\(num(c.damping)) → \(num(r.dampingUsed, digits: 3))"
            let retraining = r.retraining == .newton
                ? (r.converged ? "Newton, exact minimizer" : "Newton, NOT converged (‖∇R‖ = \(String(format: "%.1e", max(r.gradientNorm, r.retrainingGradientNorm))))")
                : "\(r.retrainingSteps) GD steps − control"
            rows.append(["tanh MLP", "\(c.depth)", "\(c.width)", "\(r.parameterCount)", decay(c.l2), damping,
                         "\(r.negativeEigenvalues) of \(r.parameterCount)", num(r.testAccuracy, digits: 3), retraining, num(r.spearman, digits: 3)])
        }

        // Spearman against the parameter count, one line per depth and weight decay.
        var rho = Figure(width: 560, height: 360, title: "Influence estimate vs leave-one-out: rank correlation", xLabel: "parameters P",
                         yLabel: "Spearman correlation", xScale: .log10, legendPosition: .bottomLeft)
        for (k, depth) in depths.enumerated() {
            for decayed in [true, false] {
                let rs = pick(depth: depth, width: nil, decayed: decayed).sorted { $0.parameterCount < $1.parameterCount }
                let setting = decayed ? decay(s.l2) : "λ = 0, δ = " + num(s.damping)
                rho.addLine(x: rs.map { Double($0.parameterCount) }, y: rs.map(\.spearman), label: "depth \(depth), \(setting)",
                            color: Color.okabeIto[(k + 1) % Color.okabeIto.count], dash: decayed ? .solid : .dashed, marker: .circle)
            }
        }
        rho.addPoints(x: [Double(s.linear.result.theta.count)], y: [s.linearSpearman], label: "logistic regression, \(decay(s.l2))",
                      color: .black, marker: .square)
        rho.addHorizontalLine(y: 0)

        // Scatter plots: linear, the shallowest-narrowest and the deepest-widest network, with and without weight decay.
        var scatters = scatter("Logistic regression, \(decay(s.l2))", predicted: s.linearPredicted, actual: s.linearActual,
                               spearman: s.linearSpearman, color: Color.okabeIto[0],
                               caption: "Convex: exact Hessian, Newton retraining (the same \(s.examples.count) examples as the networks).")
        let shallow = (depths.first ?? 2, widths.first ?? 0), deep = (depths.last ?? 3, widths.last ?? 0)
        for (depth, width) in [shallow, deep] {
            for r in pick(depth: depth, width: width, decayed: nil) {
                let c = r.configuration
                let how = c.l2 > 0 ? "weight decay \(num(c.l2)): retrained to the exact leave-one-out minimizer"
                    : "no weight decay, damping \(num(r.dampingUsed, digits: 3)): \(r.retrainingSteps) more gradient-descent steps, minus the control"
                scatters += scatter("Depth \(depth), width \(width), \(decay(c.l2))", predicted: r.predicted, actual: r.actual,
                                    spearman: r.spearman, color: Color.okabeIto[c.l2 > 0 ? 2 : 5], caption: "P = \(r.parameterCount); \(how).")
            }
        }

        let withDecay = meanRho(decayed: true), without = meanRho(decayed: false)
        let shallowRho = meanRho(depth: depths.first), deepRho = meanRho(depth: depths.last)
        let narrowRho = meanRho(width: widths.first), wideRho = meanRho(width: widths.last)
        let newton = pick(depth: nil, width: nil, decayed: true)
        let worstGradient = newton.map(\.retrainingGradientNorm).max() ?? .nan
        let negatives = pick(depth: nil, width: nil, decayed: false).map { "\($0.negativeEigenvalues)" }.joined(separator: ", ")
        let rangeWith = pick(depth: nil, width: nil, decayed: true).map(\.spearman), rangeWithout = pick(depth: nil, width: nil, decayed: false).map(\.spearman)
        func span(_ v: [Double]) -> String { "\(num(v.min(), digits: 3))–\(num(v.max(), digits: 3))" }
        func agree(_ holds: Bool) -> String { holds ? "as there" : "unlike there" }
        let depthList = depths.map { String($0) }.joined(separator: " and "), widthList = widths.map { String($0) }.joined(separator: " and ")
        page.section("Influence functions in neural networks", id: "network-influence",
                     intro: """
                     Basu, Pope &amp; Feizi (2020) ask whether the influence function of Koh &amp; Liang (2017), \
                     (1/N)∇L_testᵀ(H + δI)⁻¹∇ℓᵢ, still predicts leave-one-out retraining once the model is a network: H is then the \
                     Hessian of a non-convex loss (here exact, by central differences of the backpropagated gradient), may have \
                     negative eigenvalues and, without weight decay, belongs to no minimum at all. On the breast-cancer split of the \
                     convex influence study (\(s.trainSize) training, \(s.testSize) test examples; \(s.examples.count) training examples left out, \
                     evenly spaced), tanh MLPs of depth \(depthList) and width \
                     \(widthList) are trained by gradient descent. With weight decay \(decay(s.l2)) \
                     they are polished to a minimum by Newton's method and each leave-one-out model is the exact nearby minimizer \
                     (largest final gradient norm \(num(worstGradient, digits: 2))); without it the retraining is a fixed budget of \
                     gradient-descent steps from the trained network (ηT = 1/δ, the damping of the estimate), minus the same budget \
                     on the full set.
                     """,
                     table(["model", "depth", "width", "parameters", "weight decay", "damping δ (→ used)", "negative eigenvalues of H",
                            "test accuracy", "ground truth", "Spearman"], rows, textColumns: [0, 4, 8])
                     + """
                     <p>Logistic regression ranks the left-out examples with Spearman \(num(s.linearSpearman, digits: 3)) \
                     (\(num(s.linear.result.spearman, digits: 3)) over all \(s.trainSize)). The networks reach \(span(rangeWith)) with weight \
                     decay (mean \(num(withDecay, digits: 3))) and \(span(rangeWithout)) without (mean \(num(without, digits: 3)); negative \
                     Hessian eigenvalues \(negatives)). Averaged over the other settings, depth \(depths.first ?? 0) gives \
                     \(num(shallowRho, digits: 3)) and depth \(depths.last ?? 0) \(num(deepRho, digits: 3)); width \(widths.first ?? 0) gives \
                     \(num(narrowRho, digits: 3)) and width \(widths.last ?? 0) \(num(wideRho, digits: 3)). Basu et al. found the estimates \
                     fairly accurate for shallow networks and poor for deeper and wider ones, and weight decay important: here weight \
                     decay \(withDecay > without ? "raises" : "does not raise") the correlation (\(agree(withDecay > without))), depth \
                     \(deepRho < shallowRho ? "lowers" : "does not lower") it (\(agree(deepRho < shallowRho))) and width \
                     \(wideRho < narrowRho ? "lowers" : "does not lower") it (\(agree(wideRho < narrowRho))). These are small networks \
                     on an easy task, with exact Hessians and exact retraining; the paper's large networks add approximate \
                     inverse-Hessian products and stochastic retraining on top. The comparison across weight decay is not like for \
                     like: without weight decay there is no minimizer to retrain to, and T steps of gradient descent on a quadratic \
                     apply [1 − (1 − ηH)^T]H⁻¹ ≈ (H + I/(ηT))⁻¹ to the gradient, which is the damped estimate itself; so the high \
                     correlations without weight decay say that the loss is close to quadratic along a short retraining path, not \
                     that the estimate predicts a retrained minimum. The like-for-like test is the weight-decay column, exact \
                     minimizers against the undamped estimate.</p>
                     """
                     + "<div class=\"grid\">" + figure(rho.svg(), caption: "Solid: with weight decay (exact minimizers); dashed: without (damped estimate, fixed retraining budget). Square: logistic regression.")
                     + scatters + "</div>")
    }
}
