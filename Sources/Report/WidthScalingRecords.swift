import DataIO
import Foundation
import Linalg
import Studies
import WidthScaling

/// JSON and CSV records of the width-scaling studies (`dlt study parameterization`, `dlt study transfer`).
extension StudyRunner {
    /// The CSV files code schemes and optimizers as integers (their order in these lists); the JSON names them.
    static let csvCodes = JSONValue.object([("scheme", .array(WidthScheme.allCases.map { .string($0.rawValue) })),
                                            ("optimizer", .array(WidthOptimizer.allCases.map { .string($0.rawValue) }))])

    static func exponents(_ e: AbcExponents) -> JSONValue { .object([("a", .number(e.a)), ("b", .number(e.b)), ("c", .number(e.c))]) }

    static func record(_ s: ParameterizationStudy) -> (JSONValue, String) {
        let table = JSONValue.array(s.table.map { r in
            .object([("scheme", .string(r.scheme.rawValue)), ("optimizer", .string(r.optimizer.rawValue)),
                     ("layers", .array(r.layers.map { .object([("kind", .string($0.kind.rawValue)), ("weights", exponents($0.weights)),
                                                              ("biases", exponents($0.biases))]) }))])
        })
        let checks = JSONValue.array(s.curves.map { c in
            .object([("scheme", .string(c.scheme.rawValue)), ("optimizer", .string(c.optimizer.rawValue)),
                     ("widths", .array(c.points.map { .int($0.width) })),
                     ("gradient_rms", .array(c.points.map { .vector($0.gradient) })),
                     ("update_rms", .array(c.points.map { p in .array(p.updates.map { .vector($0) }) })),
                     ("gradient_slopes", .vector(c.gradientSlopes)), ("predicted_gradient_slopes", .vector(c.predictedGradient)),
                     ("update_slopes", .vector(c.updateSlopes)), ("predicted_update_slopes", .vector(c.predictedUpdate))])
        })
        let json = JSONValue.object([("abc_table", table), ("coordinate_checks", checks), ("steps", .int(s.steps)), ("seeds", .int(s.seeds)), ("csv_codes", csvCodes),
                                     ("learning_rates", .object(s.learningRates.sorted { $0.key.rawValue < $1.key.rawValue }
                                         .map { ($0.key.rawValue, .number($0.value)) }))])
        // CSV: one row per (scheme, optimizer, width, layer) with codes for the text columns.
        var rows: [[Double]] = []
        for c in s.curves {
            let si = Double(WidthScheme.allCases.firstIndex(of: c.scheme)!), oi = Double(WidthOptimizer.allCases.firstIndex(of: c.optimizer)!)
            for p in c.points { for l in 0..<p.gradient.count { rows.append([si, oi, Double(p.width), Double(l + 1), p.gradient[l], p.update[l]]) } }
        }
        let m = (try? Matrix(rows)) ?? Matrix(rows: 0, cols: 6)
        return (json, CSV.format(m, header: ["scheme", "optimizer", "width", "layer", "gradient_rms", "update_rms_step1"]))
    }

    static func runs(_ outcomes: [TransferStudy.Outcome]) -> JSONValue {
        .array(outcomes.map { o in
            .object([("scheme", .string(o.point.scheme.rawValue)), ("optimizer", .string(o.point.optimizer.rawValue)),
                     ("width", .int(o.point.width)), ("log2_learning_rate", .number(o.point.log2Rate)), ("seed", .int(o.point.seed)),
                     ("steps", .array(o.steps.map { .int($0) })), ("train_loss", .vector(o.trainLoss)),
                     ("test_loss", .number(o.testLoss)), ("test_accuracy", .number(o.testAccuracy)), ("diverged", .bool(o.diverged))])
        })
    }

    /// The outcomes written by `runs` (a checkpoint); nil if any entry is malformed.
    static func outcomes(_ v: JSONValue?) -> [TransferStudy.Outcome]? {
        guard case .array(let items)? = v else { return nil }
        var out: [TransferStudy.Outcome] = []
        for item in items {
            func num(_ k: String) -> Double? { item[k]?.number() }
            guard case .string(let scheme)? = item["scheme"], let sc = WidthScheme(rawValue: scheme),
                  case .string(let opt)? = item["optimizer"], let op = WidthOptimizer(rawValue: opt),
                  let width = num("width"), let rate = num("log2_learning_rate"), let seed = num("seed"),
                  let steps = item["steps"]?.numbers(), let loss = item["train_loss"]?.numbers(null: .nan),
                  let testLoss = item["test_loss"]?.number(null: .infinity),  // +∞ when diverged, written as null
                  let accuracy = num("test_accuracy"), case .bool(let diverged)? = item["diverged"] else { return nil }
            out.append(TransferStudy.Outcome(point: .init(scheme: sc, optimizer: op, width: Int(width), log2Rate: rate, seed: Int(seed)),
                                              steps: steps.map { Int($0) }, trainLoss: loss, testLoss: testLoss, testAccuracy: accuracy,
                                              diverged: diverged))
        }
        return out
    }

    static func record(_ s: TransferStudy) -> (JSONValue, String) {
        let runs = runs(s.outcomes)
        let optima = JSONValue.array(s.optima.map { o in
            .object([("scheme", .string(o.scheme.rawValue)), ("optimizer", .string(o.optimizer.rawValue)), ("width", .int(o.width)),
                     ("best_log2_learning_rate", .number(o.log2Rate)), ("interpolated_log2_learning_rate", .number(o.interpolatedLog2Rate)), ("train_loss", .number(o.loss)), ("test_accuracy", .number(o.testAccuracy))])
        })
        let shifts = JSONValue.array(s.config.schemes.flatMap { sc in s.config.optimizers.map { o in
            .object([("scheme", .string(sc.rawValue)), ("optimizer", .string(o.rawValue)), ("octaves", .number(s.optimumShift(sc, o)))])
        } })
        let json = JSONValue.object([("optima", optima), ("optimum_shift", shifts), ("runs", runs),
                                     ("widths", .array(s.config.widths.map { .int($0) })), ("steps", .int(s.config.steps)),
                                     ("batch_size", .int(s.config.batchSize)), ("seeds", .int(s.config.seeds)), ("base_width", .int(s.config.baseWidth)),
                                     ("train_size", .int(s.trainSize)), ("test_size", .int(s.testSize)), ("csv_codes", csvCodes)])
        var rows: [[Double]] = []
        for o in s.outcomes {
            rows.append([Double(WidthScheme.allCases.firstIndex(of: o.point.scheme)!), Double(WidthOptimizer.allCases.firstIndex(of: o.point.optimizer)!),
                         Double(o.point.width), o.point.log2Rate, Double(o.point.seed), o.finalLoss, o.testLoss, o.testAccuracy])
        }
        let m = (try? Matrix(rows)) ?? Matrix(rows: 0, cols: 8)
        return (json, CSV.format(m, header: ["scheme", "optimizer", "width", "log2_learning_rate", "seed", "final_train_loss", "test_loss", "test_accuracy"]))
    }
}
