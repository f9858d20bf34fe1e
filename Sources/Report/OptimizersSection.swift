import Foundation
import Optimizers
import Plot
import Studies

/// The report's section on optimizers as steepest descent.
enum OptimizersSection {
    static let names: [TwoLayerOptimizers.Method: String] = [.gd: "GD (ℓ₂)", .sign: "sign descent (ℓ∞)", .adam: "Adam", .muon: "Muon (spectral)"]

    static func add(_ s: OptimizersStudy, to page: inout HTMLPage) {
        var loss = Figure(title: "Train loss from (5W₁, w₂) (solid) and (W₁, 5w₂) (dashed)", xLabel: "step", yLabel: "train loss",
                          xScale: .log10, yScale: .log10, legendPosition: .outsideRight)
        var functions = Figure(title: "Trained functions from the two starts", xLabel: "x", yLabel: "f(x)", legendPosition: .outsideRight)
        functions.addLine(x: s.grid, y: s.target, label: "target sin 3x", color: .gray, dash: .dotted)
        for (i, r) in s.results.enumerated() {
            let c = Color.okabeIto[i % Color.okabeIto.count], name = names[r.method] ?? r.method.rawValue
            let t = (1..<r.lossA.count).map(Double.init)
            loss.addLine(x: t, y: Array(r.lossA.dropFirst()), label: name, color: c)
            loss.addLine(x: t, y: Array(r.lossB.dropFirst()), label: nil, color: c, dash: .dashed)
            functions.addLine(x: s.grid, y: r.fA, label: name + " (5W₁, w₂)", color: c)
            functions.addLine(x: s.grid, y: r.fB, label: name + " (W₁, 5w₂)", color: c, dash: .dashed)
        }
        let rows = s.results.map { r in
            [names[r.method] ?? r.method.rawValue, num(r.learningRate, digits: 3), String(format: "%.2e", r.lossA.last ?? .nan),
             String(format: "%.2e", r.lossB.last ?? .nan), num(r.functionGap, digits: 3), String(format: "%.2e", r.meanUpdate.l2),
             String(format: "%.2e", r.meanUpdate.max), String(format: "%.2e", r.meanUpdate.spectral)]
        }
        page.section("Optimizers as steepest descent", id: "optimizers",
                     intro: """
                     Each optimizer is the steepest-descent step Δ = argmin ⟨g, Δ⟩ + ‖Δ‖²/(2η) in its own norm: ℓ₂ gives gradient descent, ℓ∞ \
                     sign descent (Adam is its smoothed form), the spectral norm of each weight matrix Muon's orthogonalized update \
                     (Newton–Schulz, checked against the polar factor of an exact eigendecomposition in the tests). A two-layer ReLU model \
                     f = w₂·relu(W₁x) (width \(s.width), inputs (x, 1)) is fitted to sin 3x on \(s.points) points for \(s.steps) steps from two \
                     starting points that are the same function, (5W₁, w₂) and (W₁, 5w₂) (relu is positively homogeneous). No optimizer is \
                     invariant under this rescaling: gradient descent scales the W₁-gradient by w₂ and the w₂-gradient by W₁; the sign and \
                     orthogonalized steps have fixed sizes, so the layer made 5× larger changes relatively less.
                     """,
                     "<div class=\"grid\">"
                     + figure(loss.svg(), caption: "Learning rates fixed per optimizer (table); the same initialization for all.")
                     + figure(functions.svg(), caption: "The functions after training; the gap between solid and dashed of one colour is the rescaling dependence.")
                     + "</div>"
                     + table(["optimizer", "η", "loss (5W₁, w₂)", "loss (W₁, 5w₂)", "RMS(f_A − f_B)/RMS(f_A)", "mean ‖ΔW₁‖₂", "mean ‖ΔW₁‖∞", "mean ‖ΔW₁‖_spectral"],
                             rows, textColumns: [0])
                     + "<p>Each update is small in its own norm: sign descent moves every coordinate by exactly η (‖ΔW₁‖∞ = η), Muon's update has all singular values near η (spectral size ≈ η), while gradient descent's is small in ℓ₂ and has no fixed size in the others.</p>")
    }
}
