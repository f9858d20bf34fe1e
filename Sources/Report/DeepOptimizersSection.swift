import Foundation
import Plot
import Studies
import WidthScaling

/// The report's optimizer comparison on a deeper MLP (digits).
enum DeepOptimizersSection {
    static let names: [WidthOptimizer: String] = [.sgd: "SGD (ℓ₂)", .sign: "sign descent (ℓ∞)", .adam: "Adam", .muon: "Muon (spectral)"]
    static let layerNames = ["W¹ (64→n)", "W² (n→n)", "W³ (n→n)", "W⁴ (n→10)"]

    static func add(_ s: DeepOptimizersStudy, to page: inout HTMLPage) {
        var loss = Figure(title: "Digits, \(s.depth - 1) hidden layers of \(s.width): training loss", xLabel: "step", yLabel: "train loss (full set)",
                          yScale: .log10, legendPosition: .outsideRight)
        for (i, r) in s.results.enumerated() {
            let c = Color.okabeIto[i % Color.okabeIto.count], name = names[r.optimizer] ?? r.optimizer.rawValue
            loss.addLine(x: r.steps.map(Double.init), y: r.lossA, label: name + ", 5W¹", color: c)
            loss.addLine(x: r.steps.map(Double.init), y: r.lossB, label: name + ", 5W⁴", color: c, dash: .dashed)
        }
        let summary = s.results.map { r in
            [names[r.optimizer] ?? r.optimizer.rawValue, "2^\(Int(r.log2Rate))", String(format: "%.2e", r.lossA.last ?? .nan),
             String(format: "%.2e", r.lossB.last ?? .nan), String(format: "%.1f%%", 100 * r.testAccuracyA), num(r.functionGap, digits: 3)]
        }
        let sizes = s.results.flatMap { r in r.updateSizes.enumerated().map { l, u in
            [names[r.optimizer] ?? r.optimizer.rawValue, layerNames[min(l, layerNames.count - 1)], String(format: "%.3g", u.l2),
             String(format: "%.3g", u.max), String(format: "%.3g", u.spectral)]
        } }
        page.section("Optimizers on a deeper net", id: "optimizers-deep",
                     intro: """
                     The same four steepest-descent rules on an MLP with \(s.depth - 1) hidden ReLU layers of width \(s.width) (standard \
                     parameterization) trained on the digits with cross-entropy, minibatch \(s.batchSize), \(s.steps) steps. Each optimizer's \
                     learning rate is the best of a small log₂ grid. The two starts (5W¹, W², W³, W⁴) and (W¹, W², W³, 5W⁴), with zero \
                     initial biases, are the same function; the last column of the first table is how far apart each optimizer takes them.
                     """,
                     "<div class=\"grid\">" + figure(loss.svg(), caption: "Solid: from 5W¹; dashed: from 5W⁴ (same initial function).") + "</div>"
                     + table(["optimizer", "η", "final loss (5W¹)", "final loss (5W⁴)", "test accuracy (5W¹)", "RMS(f_A − f_B)/RMS(f_A) on test"],
                             summary, textColumns: [0])
                     + "<p>Mean update size per layer divided by the layer's learning rate, in three norms. Each rule's update has a fixed size in its own norm: sign descent exactly 1 in ℓ∞; Muon about 1.2·√max(1, n_out/n_in) in the spectral norm (five quintic Newton–Schulz steps leave the singular values between ≈ 0.7 and 1.2, not at 1; √2 for W¹, 1 for the others); SGD's and Adam's sizes follow the gradients.</p>"
                     + table(["optimizer", "layer", "‖ΔW‖_F/η", "‖ΔW‖_∞/η", "‖ΔW‖_spectral/η"], sizes, textColumns: [0, 1]))
    }
}
