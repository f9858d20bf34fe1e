import DataIO
import Foundation
import Linalg
import Studies

/// JSON and CSV record of the network importance-weighting study (`dlt study`).
extension StudyRunner {
    static func record(_ s: NetworkImportanceWeightingStudy) -> (JSONValue, String) {
        let c = s.config
        let config = JSONValue.object([("width", .int(c.width)), ("hidden_layers", .int(2)), ("points_per_class", .int(c.perClass)),
                                       ("steps", .int(c.steps)), ("learning_rate", .number(c.learningRate)),
                                       ("weights", .vector(c.weights)), ("l2", .vector(c.penalties)), ("early_step", .int(c.earlyStep)),
                                       ("grid_size", .int(c.gridSize)), ("seed", .int(Int(clamping: c.seed)))])
        let runs = JSONValue.array(s.runs.map { r in
            .object([("weight", .number(r.weight)), ("l2", .number(r.l2)), ("step", .array(r.steps.map { .int($0) })),
                     ("crossing", .vector(r.crossing)), ("offset", .vector(r.offset)), ("disagreement", .vector(r.disagreement)),
                     ("loss", .vector(r.loss)), ("min_margin", .vector(r.minMargin)), ("diverged", .bool(r.diverged)),
                     ("early_field", .vector(r.earlyField)), ("final_field", .vector(r.finalField))])
        })
        let json = JSONValue.object([
            ("config", config), ("x", .matrix(s.x)), ("labels", .vector(s.labels)),
            ("line_origin", .vector(s.lineOrigin)), ("line_direction", .vector(s.lineDirection)),
            ("grid", .vector(s.grid)),
            ("field_layout", .string("row-major: field[i * grid_size + j] is h at (grid[j], grid[i])")),
            ("offset_sign", .string("crossing(weight 1, same l2) - crossing: positive toward the down-weighted class y = -1")),
            ("runs", runs),
        ])
        // CSV: one row per recorded step; per run its crossing, offset, disagreement and minimum margin.
        let steps = s.runs.first?.steps ?? []
        var table = Matrix(rows: steps.count, cols: 1 + 4 * s.runs.count)
        for (i, t) in steps.enumerated() {
            table[i, 0] = Double(t)
            for (k, r) in s.runs.enumerated() where i < r.steps.count {
                table[i, 1 + 4 * k] = r.crossing[i]
                table[i, 2 + 4 * k] = r.offset[i]
                table[i, 3 + 4 * k] = r.disagreement[i]
                table[i, 4 + 4 * k] = r.minMargin[i]
            }
        }
        func tag(_ r: NetworkImportanceWeightingStudy.Run) -> String {
            let w = r.weight == r.weight.rounded() ? "\(Int(r.weight))" : "\(r.weight)"
            return "weight\(w)_l2_\(r.l2)"
        }
        let header = ["step"] + s.runs.flatMap { r in ["crossing", "offset", "disagreement", "min_margin"].map { "\($0)_\(tag(r))" } }
        return (json, CSV.format(table, header: header))
    }
}
