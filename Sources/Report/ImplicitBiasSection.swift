import Foundation
import ImplicitBias
import Plot
import Studies

/// The report's section on the implicit bias of gradient descent.
enum ImplicitBiasSection {
    static func add(_ s: ImplicitBiasStudy, to page: inout HTMLPage) {
        let snaps = s.logistic.snapshots
        let t = snaps.map { Double($0.step) }
        let angles = s.logistic.anglesDegrees(to: s.svm.direction)
        let norms = snaps.map(\.norm)
        var angle = Figure(title: "Angle between θ_t and the SVM direction", xLabel: "step t", yLabel: "angle (degrees)",
                           xScale: .log10, yScale: .log10, legendPosition: .bottomLeft)
        angle.addPoints(x: t, y: angles, label: "gradient descent", color: Color.okabeIto[0])
        if let last = angles.last, let tl = t.last {
            let tail = t.filter { $0 >= tl / 1000 }
            angle.addLine(x: tail, y: tail.map { last * log(tl) / log($0) }, label: "∝ 1/log t (through the last point)", color: .black, dash: .dashed)
        }
        var norm = Figure(title: "‖θ_t‖ grows like log t / γ", xLabel: "step t", yLabel: "‖θ_t‖", xScale: .log10, legendPosition: .topLeft)
        norm.addPoints(x: t, y: norms, label: "gradient descent", color: Color.okabeIto[1], marker: .square)
        if let last = norms.last, let tl = t.last {
            norm.addLine(x: t.filter { $0 >= 100 }, y: t.filter { $0 >= 100 }.map { last + (log($0) - log(tl)) / s.svm.margin },
                         label: "slope 1/γ (through the last point)", color: .black, dash: .dashed)
        }
        // The data, the SVM boundary and the gradient-descent boundary.
        var plane = Figure(title: "Decision boundaries through the origin", xLabel: "x₁", yLabel: "x₂", legendPosition: .outsideRight)
        let pos = (0..<s.x.rows).filter { s.labels[$0] > 0 }, neg = (0..<s.x.rows).filter { s.labels[$0] < 0 }
        plane.addPoints(x: pos.map { s.x[$0, 0] }, y: pos.map { s.x[$0, 1] }, label: "y = +1", color: Color.okabeIto[0])
        plane.addPoints(x: neg.map { s.x[$0, 0] }, y: neg.map { s.x[$0, 1] }, label: "y = −1", color: Color.okabeIto[5], marker: .square)
        let sv = s.svm.supportVectors
        plane.addPoints(x: sv.map { s.x[$0, 0] }, y: sv.map { s.x[$0, 1] }, label: "support vectors", color: .black, marker: .triangle)
        let extent = (0..<s.x.rows).map { max(abs(s.x[$0, 0]), abs(s.x[$0, 1])) }.max() ?? 1
        func boundary(_ u: [Double]) -> ([Double], [Double]) {  // the line u·x = 0
            let d = [-u[1], u[0]]
            return ([-extent * d[0], extent * d[0]], [-extent * d[1], extent * d[1]])
        }
        let (sx, sy) = boundary(s.svm.direction)
        plane.addLine(x: sx, y: sy, label: "hard-margin SVM", color: .black)
        let early = snaps.first { $0.step >= 10 } ?? snaps[0]
        let (ex, ey) = boundary(early.theta)
        plane.addLine(x: ex, y: ey, label: "GD at t = \(early.step)", color: Color.okabeIto[2], dash: .dashed)
        let (gx, gy) = boundary(s.logistic.theta)
        plane.addLine(x: gx, y: gy, label: "GD at t = \(s.steps)", color: Color.okabeIto[1], dash: .dotted)
        plane.xRange = -extent...extent
        plane.yRange = -extent...extent
        // The network's normalized margin.
        let ns = s.network.snapshots
        var margin = Figure(title: "Two-layer ReLU net (no biases): normalized margin", xLabel: "step t", yLabel: "min yᵢf(xᵢ) / ‖θ‖²",
                            xScale: .log10, legendPosition: .bottomRight)
        margin.addPoints(x: ns.map { Double($0.step) }, y: ns.map(\.normalizedMargin), label: "width \(s.networkWidth)", color: Color.okabeIto[2])
        margin.addHorizontalLine(y: 0, color: .gray, dash: .dotted)
        let finalAngle = angles.last ?? .nan
        page.section("Implicit bias of gradient descent", id: "implicit-bias",
                     intro: """
                     Gradient descent picks one of many minimizers (the lecture on implicit bias). Logistic regression without intercept on \
                     \(s.x.rows) points separable through the origin (F(θ) = (1/n) Σ log(1 + exp(−yᵢxᵢᵀθ)), η = 1, θ₀ = 0): the loss goes to \
                     zero only as ‖θ‖ → ∞, and the direction θ_t/‖θ_t‖ converges to the hard-margin SVM's (Soudry et al. 2018), computed \
                     exactly here as the minimum-norm point of the convex hull of yᵢxᵢ (margin γ = \(num(s.svm.margin, digits: 4)), \
                     \(s.svm.supportVectors.count) support vectors). After \(s.steps) steps the angle is \(num(finalAngle, digits: 3))°. \
                     Underdetermined least squares (20 equations, 60 unknowns): from 0 gradient descent ends \
                     \(String(format: "%.1e", s.leastSquaresFromZero)) from the minimum-norm interpolant X⁺y; from a random w₀ it ends \
                     \(String(format: "%.1e", s.leastSquaresFromW0)) from w₀ + X⁺(y − Xw₀) and \(num(s.leastSquaresW0VsMinNorm, digits: 3)) \
                     from X⁺y (the part of w₀ outside the row space survives).
                     """,
                     "<div class=\"grid\">"
                     + figure(angle.svg(), caption: "In two dimensions the direction first swings past the SVM's (the dip: the unsigned angle crosses zero) and then approaches it from the other side, slowly: θ_t = ŵ log t + ρ_t, and the angle is ≈ ‖ρ_⊥‖/(‖ŵ‖ log t) only once ρ_t has settled; over the last decade here it falls more slowly than 1/log t (dashed, through the last point).")
                     + figure(norm.svg(), caption: "θ_t = ŵ log t + ρ_t with ρ_t bounded: the growth per decade approaches log 10/γ (dashed) from below as ρ_t settles.")
                     + "</div><div class=\"grid\">"
                     + figure(plane.svg(), caption: "Early in training the boundary is the one of the bulk of the data; late, it turns to the max-margin one, set by the support vectors alone.")
                     + figure(margin.svg(), caption: "A homogeneous two-layer ReLU network (degree 2, \(s.networkWidth) hidden units, no biases) on labels constant along rays: once every point is fitted (margin > 0), the normalized margin min yᵢf(xᵢ)/‖θ‖² keeps increasing (Lyu & Li 2020).")
                     + "</div>")
    }
}
