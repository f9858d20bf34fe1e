import DataIO
import Foundation
import Linalg
import Studies
import WidthScaling

/// The JSON and CSV record of the mean-field study (`dlt study mean-field`).
extension StudyRunner {
    /// JSON: the task, the settings, and per scaling ("mean_field", "ntk") the slopes, the reference trajectory and per
    /// width the distances, displacements, every seed's loss curve, the first seed's h at the checkpoints, and the first
    /// seed's particles at t = 0 and t = T for widths up to the scatter width. CSV: the loss curves of the first seed
    /// per width, one column per (scaling, width).
    static func record(_ s: MeanFieldStudy) -> (JSONValue, String) {
        func key(_ scheme: WidthScheme) -> String { scheme.rawValue.replacingOccurrences(of: "-", with: "_") }
        func particles(_ p: MeanFieldStudy.Particles) -> JSONValue {
            .object([("a", .vector(p.a)), ("w", .vector(p.w)), ("b", .vector(p.b))])
        }
        func widthRecord(_ w: MeanFieldStudy.Width) -> JSONValue {
            var pairs: [(String, JSONValue)] = [
                ("width", .int(w.width)), ("seeds", .array(w.runs.map { .int(Int($0.seed)) })),
                ("trajectory_distance", .optional(w.trajectoryDistance)), ("loss_distance", .optional(w.lossDistance)),
                ("initial_distance", .optional(w.initialDistance)), ("displacement", .number(w.displacement)),
                ("displacement_per_seed", .vector(w.runs.map(\.displacement))),
            ]
            pairs.append(("loss_per_seed", .array(w.runs.map { .vector($0.loss) })))
            pairs.append(("h_first_seed", .array(w.runs[0].h.map { .vector($0) })))
            if w.width <= s.scatterWidth {
                pairs.append(("particles_first_seed", .object([("initial", particles(w.initial)), ("trained", particles(w.trained))])))
            }
            return .object(pairs)
        }
        func scalingRecord(_ c: MeanFieldStudy.Scaling) -> JSONValue {
            let pairs: [(String, JSONValue)] = [
                ("scheme", .string(c.scheme.rawValue)),
                ("trajectory_slope", .number(c.trajectorySlope)), ("loss_slope", .number(c.lossSlope)),
                ("displacement_slope", .number(c.displacementSlope)), ("loss_decrease", .number(c.lossDecrease)),
                ("reference_loss", .vector(c.referenceLoss)), ("reference_h", .array(c.referenceH.map { .vector($0) })),
                ("widths", .array(c.widths.map(widthRecord))),
            ]
            return .object(pairs)
        }
        let task: JSONValue = .object([("target", .string(MeanFieldStudy.targetName)), ("inputs", .vector(s.x)), ("targets", .vector(s.y)),
                                       ("grid", .vector(s.grid)), ("target_on_grid", .vector(s.target))])
        let settings: [(String, JSONValue)] = [
            ("task", task), ("activation", .string("relu")), ("init", .string("a, w, b ~ N(0, 1)")),
            ("steps", .int(s.steps)), ("learning_rate", .number(s.learningRate)),
            ("loss_steps", .array(s.lossSteps.map { .int($0) })), ("checkpoints", .array(s.checkpoints.map { .int($0) })),
            ("widths", .array(s.meanField.widths.map { .int($0.width) })), ("seeds_per_width", .array(s.seeds.map { .int($0) })),
            ("scatter_width", .int(s.scatterWidth)),
        ]
        let perScaling: [(String, JSONValue)] = s.scalings.map { (key($0.scheme), scalingRecord($0)) }
        let json = JSONValue.object(settings + perScaling)

        var header = ["step"]
        for c in s.scalings { for w in c.widths { header.append("loss_\(key(c.scheme))_m\(w.width)") } }
        var table = Matrix(rows: s.lossSteps.count, cols: header.count)
        for (i, t) in s.lossSteps.enumerated() {
            table[i, 0] = Double(t)
            var col = 1
            for c in s.scalings { for w in c.widths { table[i, col] = w.runs[0].loss[i]; col += 1 } }
        }
        return (json, CSV.format(table, header: header))
    }
}
