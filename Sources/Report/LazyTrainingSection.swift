import Foundation
import Lazy
import Linalg
import Plot
import Studies

/// The report's section on lazy training in practice (Chizat, Oyallon & Bach 2019, their two-layer ReLU experiment).
enum LazyTrainingSection {
    static let plus = Color.vermillion, minus = Color.blue

    /// The neurons |b_j|·a_j of one run in the plane: paths over the checkpoints, hollow start points, filled end points
    /// coloured by the sign of b_j, and the teacher's directions as dashed rays in the colour of their sign.
    static func neurons(_ run: LazyTraining, title: String, teacher: Matrix, signs: [Double]) -> Figure {
        let cps = run.checkpoints, m = run.initial.width
        var extent = 0.0
        for c in cps { for j in 0..<m { extent = max(extent, abs(c.positions[j, 0]), abs(c.positions[j, 1])) } }
        extent = extent > 0 ? 1.08 * extent : 1
        var fig = Figure(width: 640, height: 520, title: title, xLabel: "|b_{j}| a_{j,1}", yLabel: "|b_{j}| a_{j,2}",
                         xRange: -extent...extent, yRange: -extent...extent, legendPosition: .outsideRight)
        var labelled = Set<Bool>()
        for k in 0..<teacher.rows {
            let positive = signs[k] > 0, reach = 2 * extent
            fig.addLine(x: [0, reach * teacher[k, 0]], y: [0, reach * teacher[k, 1]],
                        label: labelled.insert(positive).inserted ? "teacher direction, s_{k} = \(positive ? "+1" : "−1")" : nil,
                        color: positive ? plus : minus, dash: .dashed, width: 2)
        }
        let sign = run.trained.b.map { $0 > 0 }
        for j in 0..<m {
            fig.addLine(x: cps.map { $0.positions[j, 0] }, y: cps.map { $0.positions[j, 1] }, label: nil,
                        color: (sign[j] ? plus : minus).withOpacity(0.55), width: 1)
        }
        let start = cps[0].positions, end = run.last.positions
        fig.addPoints(x: (0..<m).map { start[$0, 0] }, y: (0..<m).map { start[$0, 1] }, label: "start (step 0)", color: .gray, size: 6,
                      filled: false)
        for positive in [true, false] {
            let js = (0..<m).filter { sign[$0] == positive }
            fig.addPoints(x: js.map { end[$0, 0] }, y: js.map { end[$0, 1] }, label: "end, b_{j} \(positive ? "> 0" : "< 0")",
                          color: positive ? plus : minus, size: 6)
        }
        return fig
    }

    static func add(_ s: LazyTrainingStudy, to page: inout HTMLPage) {
        let runs = [("0.1", s.rich), ("2", s.lazy)]
        let richFig = neurons(s.rich, title: "τ = 0.1: the neurons move (not lazy)", teacher: s.teacherDirections, signs: s.teacherSigns)
        let lazyFig = neurons(s.lazy, title: "τ = 2: the neurons stay (lazy)", teacher: s.teacherDirections, signs: s.teacherSigns)

        let taus = s.sweep.map(\.tau)
        var test = Figure(title: "Loss after \(s.steps) steps against the initialization scale τ", xLabel: "τ", yLabel: "loss",
                          xScale: .log10, yScale: .log10, legendPosition: .outsideRight)
        test.addLine(x: taus, y: s.sweep.map(\.testLoss), label: "test, end of training", color: .black, marker: .circle)
        test.addLine(x: taus, y: s.sweep.map(\.bestTestLoss), label: "test, best checkpoint", color: Color.okabeIto[2], dash: .dashed)
        test.addLine(x: taus, y: s.sweep.map(\.trainLoss), label: "train, end of training", color: Color.okabeIto[3], dash: .dotted,
                     marker: .square)
        test.addVerticalLine(x: 0.1, color: .lightGray, dash: .dotted, label: "τ = 0.1 and τ = 2 (the pictures)")
        test.addVerticalLine(x: 2, color: .lightGray, dash: .dotted)

        var change = Figure(title: "How far training moves, against τ", xLabel: "τ", yLabel: "relative change after training",
                            xScale: .log10, yScale: .log10, legendPosition: .outsideRight)
        change.addLine(x: taus, y: s.sweep.map(\.jacobianChange), label: "‖Dh(w_{T}) − Dh(w_{0})‖_{F}/‖Dh(w_{0})‖_{F}",
                       color: Color.okabeIto[0], marker: .circle)
        change.addLine(x: taus, y: s.sweep.map(\.parameterChange), label: "‖w_{T} − w_{0}‖/‖w_{0}‖", color: Color.okabeIto[1], marker: .square)
        change.addLine(x: taus, y: s.sweep.map(\.activationFlips), label: "fraction of flipped activations", color: Color.okabeIto[2],
                       dash: .dotted, marker: .triangle)
        if let last = s.sweep.last {
            change.addLine(x: taus, y: taus.map { last.parameterChange * Foundation.pow($0 / last.tau, -2) }, label: "∝ τ^{−2}",
                           color: .gray, dash: .dashed, width: 1.5)
            change.addLine(x: taus, y: taus.map { last.jacobianChange * last.tau / $0 }, label: "∝ τ^{−1}", color: .black,
                           dash: .dashDot, width: 1.5)
        }

        var loss = Figure(title: "Training curves", xLabel: "step", yLabel: "loss", xScale: .log10, yScale: .log10,
                          legendPosition: .outsideRight)
        var path = Figure(title: "Change of the linearization against change of the objective", xLabel: "(L(w_{0}) − L(w_{t}))/L(w_{0})",
                          yLabel: "‖Dh(w_{t}) − Dh(w_{0})‖_{F}/‖Dh(w_{0})‖_{F}", yScale: .log10, legendPosition: .outsideRight)
        for (i, (tau, run)) in runs.enumerated() {
            let color = Color.okabeIto[i == 0 ? 1 : 0], cps = run.checkpoints.filter { $0.step > 0 }
            loss.addLine(x: cps.map { Double($0.step) }, y: cps.map(\.loss), label: "τ = \(tau), train", color: color)
            loss.addLine(x: cps.map { Double($0.step) }, y: cps.map(\.testLoss), label: "τ = \(tau), test", color: color, dash: .dashed)
            path.addLine(x: cps.map(\.objectiveChange), y: cps.map(\.jacobianChange), label: "τ = \(tau)", color: color, marker: .circle)
        }

        let rows = runs.map { item -> [String] in
            let (tau, l) = (item.0, item.1.last)
            return ["τ = \(tau)", String(format: "%.2e", l.loss), String(format: "%.2e", l.testLoss), num(l.objectiveChange, digits: 5),
                    num(l.jacobianChange, digits: 3), num(l.parameterChange, digits: 3), num(l.activationFlips, digits: 3)]
        }
        let sweepRows = s.sweep.map { p in
            [num(p.tau, digits: 3), String(format: "%.2e", p.trainLoss), String(format: "%.2e", p.testLoss), String(format: "%.2e", p.bestTestLoss),
             num(p.jacobianChange, digits: 3), num(p.parameterChange, digits: 3), num(p.activationFlips, digits: 3)]
        }
        let r = s.rich.last, l = s.lazy.last, half = s.rich.checkpoints.first(where: { $0.objectiveChange >= 0.5 })
        let body = [
            "<div class=\"grid\">",
            figure(richFig.svg(), caption: "Paths of |b_j|·a_j over \(s.rich.checkpoints.count) log-spaced checkpoints; the neurons start near the origin (τ² ≤ 0.01) and end on the teacher's directions with the sign of b_j matching the teacher's sign."),
            figure(lazyFig.svg(), caption: "The same start scaled by τ = 2: each neuron ends close to where it started; the fit is made of many small moves."),
            "</div><div class=\"grid\">",
            figure(test.svg(), caption: "One draw of the data, the teacher and the start for all τ. In d = 2 the lazy runs have not finished fitting after \(s.steps) steps (train ≈ test loss): their kernel's slow modes; the paper's sweep (d = 100, N = 1000, 10 draws) rises likewise."),
            figure(change.svg(), caption: "The parameters move ∝ 1/τ² in the lazy regime (dashed: τ^−2 through the largest τ); the Jacobian change lies between τ^−2 and τ^−1 (dash-dotted) because of the flipped activations."),
            "</div><div class=\"grid\">",
            figure(loss.svg(), caption: "Train (solid) and test (dashed) loss of the two pictured runs; the τ = 0.1 run takes the capped step size 10."),
            figure(path.svg(), caption: "Each point a checkpoint. Lazy (τ = 2): the objective falls by a fraction \(num(l.objectiveChange, digits: 4)) while Dh changes by \(num(100 * l.jacobianChange, digits: 2)) %; not lazy (τ = 0.1): by the checkpoint where the objective has fallen by half (step \(half?.step ?? -1)), Dh has changed by \(num(100 * (half?.jacobianChange ?? .nan), digits: 3)) %."),
            "</div>",
            table(["run", "train loss", "test loss", "objective change", "Jacobian change", "parameter change", "flipped activations"], rows,
                  textColumns: [0]),
            table(["τ", "train loss", "test loss", "best test loss", "Jacobian change", "parameter change", "flipped activations"], sweepRows),
        ]
        page.section("Lazy training in practice", id: "lazy-training",
                     intro: """
                     The two-layer experiment of Chizat, Oyallon &amp; Bach (2019): a student h(w)(x) = (1/√m) Σ_j b_j relu(a_jᵀx) with \
                     m = \(s.width) neurons learns a teacher with three neurons (unit directions, output signs ±1) from \(s.trainSize) points \
                     on the unit circle, by full-batch gradient descent on the square loss for \(s.steps) steps with the paper's step size \
                     min(\(num(s.maxStepSize, digits: 3)), \(num(s.learningRate, digits: 3))/τ²). The start is the paper's symmetric one — \
                     pairs (a_j, b_j), (a_j, −b_j), so h(w₀) = 0 — scaled by τ; h is 2-homogeneous, so τ acts as the scale α = τ² of the \
                     centred model α(h(w) − h(w₀)). With τ = 0.1 the neurons leave the origin and gather on the teacher's directions \
                     (relative parameter change \(num(r.parameterChange, digits: 3)), Jacobian change \(num(r.jacobianChange, digits: 3)), \
                     test loss \(String(format: "%.1e", r.testLoss))); with τ = 2 they barely move (parameter change \
                     \(num(l.parameterChange, digits: 2)), Jacobian change \(num(l.jacobianChange, digits: 2))) while the objective still falls \
                     by a fraction \(num(l.objectiveChange, digits: 4)) — the lazy regime, where training is kernel regression with the \
                     tangent kernel at w₀ — and the test loss is \(String(format: "%.1e", l.testLoss)) (at F = 0 it is \
                     \(String(format: "%.2f", s.initialTestLoss))). Over τ ≥ 1 the parameter change falls as τ^\(num(s.parameterSlope, digits: 3)) \
                     (lazy theory: τ^−2) and the Jacobian change as τ^\(num(s.jacobianSlope, digits: 3)): ReLU's Jacobian jumps where an \
                     activation flips, a fraction ∝ τ^−2 of them, which alone would give τ^−1.
                     """,
                     body.joined())
    }
}
