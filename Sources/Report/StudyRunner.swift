import DataIO
import Foundation
import ImplicitBias
import Linalg
import Studies

/// `dlt study NAME`: one study of the beyond-the-kernel-regime set, written as DIR/NAME.json (its
/// numbers), DIR/NAME.csv (its main curve, with a header row, for numpy.genfromtxt(names=True)) and
/// DIR/index.html (its report section alone). Every file is computed first and written atomically.
public enum StudyRunner {
    /// The studies of the contract, in the order of the issue.
    public static let names = ["parameterization", "transfer", "lazy", "mean-field", "optimizers", "implicit-bias",
                               "importance-weighting", "influence"]

    public enum Failure: Error, CustomStringConvertible {
        case unknown(String)
        public var description: String {
            switch self {
            case let .unknown(n): return "unknown study '\(n)': the studies are \(StudyRunner.names.joined(separator: ", "))"
            }
        }
    }

    /// Run study `name` at its `dlt study` / `dlt report` size (smaller with `quick`), add its section to `page` and
    /// return its record (JSON and CSV text).
    /// A checkpoint for the transfer sweep: the file, whether to continue from it, and when to stop (Ctrl-C).
    public struct Checkpoint {
        public var path: String, resume: Bool, shouldStop: () -> Bool
        public init(path: String, resume: Bool, shouldStop: @escaping () -> Bool) { self.path = path; self.resume = resume; self.shouldStop = shouldStop }
    }

    /// The transfer sweep with a checkpoint: completed points are read from the file (when resuming) and every point
    /// is saved after each block; the file records the sweep's fingerprint and refuses another sweep's.
    /// Under MPI: this rank's shard of the sweep, and a function that gathers every rank's outcomes onto rank 0
    /// (nil on the other ranks, which then write nothing).
    public struct Distributed {
        public var rank: Int, size: Int, gather: (Data) -> [Data]?
        public init(rank: Int, size: Int, gather: @escaping (Data) -> [Data]?) { self.rank = rank; self.size = size; self.gather = gather }
    }

    /// Thrown on ranks other than 0 after their part of a distributed study (nothing to write there).
    public struct NotRoot: Error {}

    static func transfer(_ c: TransferStudy.Config, checkpoint: Checkpoint?, distributed: Distributed? = nil) throws -> TransferStudy {
        if let d = distributed {
            let mine = try TransferStudy.run(c, shard: (d.rank, d.size))
            guard let parts = d.gather(Data(runs(mine.outcomes).serialized().utf8)) else { throw NotRoot() }
            let all = try parts.flatMap { part -> [TransferStudy.Outcome] in
                guard let doc = try? JSONValue.parse(part), let o = outcomes(doc) else {
                    throw DataError.malformed(path: "MPI gather", reason: "a rank sent unreadable outcomes")
                }
                return o
            }
            return mine.assembled(with: all)
        }
        guard let checkpoint else { return try TransferStudy.run(c) }
        let fingerprint = TransferStudy.fingerprint(c)
        var completed: [TransferStudy.Outcome] = []
        if checkpoint.resume {
            guard let data = FileManager.default.contents(atPath: checkpoint.path) else {
                throw DataError.unreadable(path: checkpoint.path, reason: "no such file (nothing to resume)")
            }
            guard let doc = try? JSONValue.parse(data), case .string(let f)? = doc["fingerprint"], let runs = outcomes(doc["runs"]) else {
                throw DataError.malformed(path: checkpoint.path, reason: "not a transfer-sweep checkpoint")
            }
            guard f == fingerprint else {
                throw DataError.malformed(path: checkpoint.path, reason: "a checkpoint of another sweep (\(f)); resume with the flags that started it")
            }
            completed = runs
        }
        return try TransferStudy.run(c, completed: completed, saved: { outcomes in
            let doc = JSONValue.object([("fingerprint", .string(fingerprint)), ("runs", runs(outcomes))])
            try AtomicFile.write(checkpoint.path, data: Data((doc.serialized() + "\n").utf8))
        }, shouldStop: checkpoint.shouldStop)
    }

    /// `forReport`: the size `dlt report` uses where it differs from `dlt study` (the transfer sweep: 2 seeds, 300 steps).
    static func add(_ name: String, quick: Bool, forReport: Bool = false, checkpoint: Checkpoint? = nil, distributed: Distributed? = nil,
                    to page: inout HTMLPage) throws -> (json: JSONValue, csv: String) {
        if distributed != nil && name != "transfer" {
            throw DataError.unsupported(path: "mpirun", reason: "under mpirun only the transfer sweep is split across ranks")
        }
        if checkpoint != nil && name != "transfer" {
            throw DataError.unsupported(path: "--checkpoint", reason: "checkpoints are for the transfer sweep (the other studies take a minute or two)")
        }
        guard names.contains(name) else { throw Failure.unknown(name) }
        switch name {
        case "parameterization":
            let s = try quick ? ParameterizationStudy.run(widths: [128, 256, 512, 1024], seeds: 3) : ParameterizationStudy.run()
            ParameterizationSection.add(s, to: &page)
            return record(s)
        case "transfer":
            let s = try transfer(quick ? .quick : (forReport ? .report : .full), checkpoint: checkpoint, distributed: distributed)
            TransferSection.add(s, to: &page)
            return record(s)
        case "implicit-bias":
            let s = try ImplicitBiasStudy.run(steps: quick ? 20_000 : 1_000_000, networkSteps: quick ? 2000 : 20_000)
            ImplicitBiasSection.add(s, to: &page)
            return record(s)
        case "importance-weighting":
            let s = try ImportanceWeightingStudy.run(steps: quick ? 20_000 : 1_000_000)
            ImportanceWeightingSection.add(s, to: &page)
            let net = try NetworkImportanceWeightingStudy.run(quick: quick)
            NetworkImportanceWeightingSection.add(net, to: &page)
            return merged(record(s), key: "network", record(net))
        case "influence":
            let s = try InfluenceStudy.run(trainSize: quick ? 80 : 150)
            InfluenceSection.add(s, to: &page)
            let net = try NetworkInfluenceStudy.run(quick: quick)
            NetworkInfluenceSection.add(net, to: &page)
            return merged(record(s), key: "networks", record(net))
        case "lazy":
            let s = try LazyStudy.run(width: quick ? 32 : 64)
            LazySection.add(s, to: &page)
            let t = try LazyTrainingStudy.run(quick: quick)
            LazyTrainingSection.add(t, to: &page)
            return merged(record(s), key: "training", record(t))
        case "mean-field":
            let s = try MeanFieldStudy.run(widths: quick ? [100, 316, 1000, 3162] : [100, 316, 1000, 3162, 10000],
                                           steps: quick ? 200 : 300, seedBudget: quick ? 3162 : 10_000)
            MeanFieldSection.add(s, to: &page)
            return record(s)
        case "optimizers":
            let s = try OptimizersStudy.run(steps: quick ? 500 : 3000)
            OptimizersSection.add(s, to: &page)
            let deep = try DeepOptimizersStudy.run(steps: quick ? 60 : 400, width: quick ? 64 : 128)
            DeepOptimizersSection.add(deep, to: &page)
            return record(s, deep: deep)
        default:
            throw Failure.unknown(name)
        }
    }

    /// Run study `name` and write its files into `directory`; returns their paths.
    @discardableResult
    /// Returns nil on MPI ranks other than 0 (they computed their part and write nothing).
    public static func run(_ name: String, quick: Bool, directory: String, checkpoint: Checkpoint? = nil,
                           distributed: Distributed? = nil) throws -> [String]? {
        var page = HTMLPage(title: "DeepTheory study: \(name)")
        let json: JSONValue, csv: String
        do {
            (json, csv) = try add(name, quick: quick, checkpoint: checkpoint, distributed: distributed, to: &page)
        } catch is NotRoot {
            return nil
        }
        let html = page.render(header: "<p class=\"meta\">Generated by <code>dlt study \(name)\(quick ? " --quick" : "")</code> on \(ISO8601DateFormatter().string(from: Date())).</p>",
                               footer: "DeepTheory — every number on this page was computed when the page was made.")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let paths = [name + ".json", name + ".csv", "index.html"].map { (directory as NSString).appendingPathComponent($0) }
        try AtomicFile.write(paths[0], data: Data((json.serialized(pretty: true) + "\n").utf8))
        try AtomicFile.write(paths[1], data: Data(csv.utf8))
        try AtomicFile.write(paths[2], data: Data(html.utf8))
        return paths
    }

    /// The log-spaced trajectory of logistic gradient descent against the SVM direction u (`dlt implicit-bias` and
    /// `dlt study implicit-bias`): {"step", "angle_degrees", "norm", "loss"}.
    public static func trajectory(_ gd: LogisticGradientDescent, direction u: [Double]) -> JSONValue {
        .object([("step", .vector(gd.snapshots.map { Double($0.step) })), ("angle_degrees", .vector(gd.anglesDegrees(to: u))),
                 ("norm", .vector(gd.snapshots.map(\.norm))), ("loss", .vector(gd.snapshots.map(\.loss)))])
    }

    /// A study record with a second one's JSON added under `key` (the CSV stays the first study's main curve).
    static func merged(_ a: (JSONValue, String), key: String, _ b: (JSONValue, String)) -> (JSONValue, String) {
        guard case .object(let fields) = a.0 else { return (.object([("main", a.0), (key, b.0)]), a.1) }
        return (.object(fields + [(key, b.0)]), a.1)
    }

    static func record(_ s: ImplicitBiasStudy) -> (JSONValue, String) {
        let snaps = s.logistic.snapshots
        let angles = s.logistic.anglesDegrees(to: s.svm.direction)
        let json = JSONValue.object([
            ("svm_direction", .vector(s.svm.direction)), ("margin", .number(s.svm.margin)),
            ("support_vectors", .array(s.svm.supportVectors.map { .int($0) })),
            ("gd_angle_degrees", .number(angles.last ?? .nan)), ("gd_norm", .number(snaps.last?.norm ?? .nan)), ("steps", .int(s.steps)),
            ("trajectory", trajectory(s.logistic, direction: s.svm.direction)),
            ("least_squares", .object([("distance_from_zero_to_min_norm", .number(s.leastSquaresFromZero)),
                                       ("distance_from_w0_to_limit", .number(s.leastSquaresFromW0)),
                                       ("distance_from_w0_to_min_norm", .number(s.leastSquaresW0VsMinNorm))])),
            ("network", .object([("width", .int(s.networkWidth)),
                                 ("step", .vector(s.network.snapshots.map { Double($0.step) })),
                                 ("normalized_margin", .vector(s.network.snapshots.map(\.normalizedMargin))),
                                 ("loss", .vector(s.network.snapshots.map(\.loss)))])),
        ])
        var table = Matrix(rows: snaps.count, cols: 4)
        for (i, snap) in snaps.enumerated() {
            table[i, 0] = Double(snap.step); table[i, 1] = angles[i]; table[i, 2] = snap.norm; table[i, 3] = snap.loss
        }
        return (json, CSV.format(table, header: ["step", "angle_degrees", "norm", "loss"]))
    }

    static func record(_ s: OptimizersStudy, deep: DeepOptimizersStudy) -> (JSONValue, String) {
        let deepJSON = JSONValue.object(deep.results.map { r in
            (r.optimizer.rawValue, JSONValue.object([
                ("log2_learning_rate", .number(r.log2Rate)), ("steps", .array(r.steps.map { .int($0) })), ("loss_a", .vector(r.lossA)),
                ("loss_b", .vector(r.lossB)), ("test_accuracy_a", .number(r.testAccuracyA)), ("function_gap", .number(r.functionGap)),
                ("update_size_over_rate", .array(r.updateSizes.map { .object([("l2", .number($0.l2)), ("max", .number($0.max)),
                                                                               ("spectral", .number($0.spectral))]) })),
            ]))
        } + [("width", .int(deep.width)), ("depth", .int(deep.depth)), ("steps", .int(deep.steps)), ("batch_size", .int(deep.batchSize))])
        let json = JSONValue.object(s.results.map { r in
            (r.method.rawValue, JSONValue.object([
                ("learning_rate", .number(r.learningRate)), ("loss_a", .vector(r.lossA)), ("loss_b", .vector(r.lossB)),
                ("function_gap", .number(r.functionGap)),
                ("mean_update_w1", .object([("l2", .number(r.meanUpdate.l2)), ("max", .number(r.meanUpdate.max)), ("spectral", .number(r.meanUpdate.spectral))])),
            ]))
        } + [("steps", .int(s.steps)), ("width", .int(s.width)), ("deep_mlp_digits", deepJSON)])
        var table = Matrix(rows: s.steps + 1, cols: 1 + 2 * s.results.count)
        for t in 0...s.steps {
            table[t, 0] = Double(t)
            for (k, r) in s.results.enumerated() { table[t, 1 + 2 * k] = r.lossA[t]; table[t, 2 + 2 * k] = r.lossB[t] }
        }
        let header = ["step"] + s.results.flatMap { ["loss_\($0.method.rawValue)_a", "loss_\($0.method.rawValue)_b"] }
        return (json, CSV.format(table, header: header))
    }

    static func record(_ s: LazyStudy) -> (JSONValue, String) {
        let json = JSONValue.object([("width", .int(s.width)), ("curves", .array(s.curves.map { c in
            .object([("depth", .int(c.depth)), ("scales", .vector(c.scales)), ("kappa", .vector(c.kappas)), ("slope", .number(c.slope))])
        }))])
        var table = Matrix(rows: s.curves.first?.scales.count ?? 0, cols: 1 + s.curves.count)
        for i in 0..<table.rows {
            table[i, 0] = s.curves[0].scales[i]
            for (k, c) in s.curves.enumerated() { table[i, 1 + k] = c.kappas[i] }
        }
        return (json, CSV.format(table, header: ["scale"] + s.curves.map { "kappa_depth_\($0.depth)" }))
    }

    static func record(_ s: ImportanceWeightingStudy) -> (JSONValue, String) {
        let json = JSONValue.object([("svm_direction", .vector(s.svm.direction)), ("runs", .array(s.runs.map { r in
            .object([("weight", .number(r.weight)), ("l2", .number(r.l2)), ("step", .vector(r.steps.map(Double.init))),
                     ("angle_degrees", .vector(r.angles)), ("theta", .vector(r.theta))])
        }))])
        let n = s.runs.map(\.steps.count).min() ?? 0
        var table = Matrix(rows: n, cols: 1 + s.runs.count)
        for i in 0..<n {
            table[i, 0] = Double(s.runs[0].steps[i])
            for (k, r) in s.runs.enumerated() { table[i, 1 + k] = r.angles[i] }
        }
        let header = ["step"] + s.runs.map { "angle_weight\(Int($0.weight))_l2_\($0.l2)" }
        return (json, CSV.format(table, header: header))
    }

    static func record(_ s: InfluenceStudy) -> (JSONValue, String) {
        let r = s.result
        let json = JSONValue.object([("spearman", .number(r.spearman)), ("predicted", .vector(r.predicted)), ("actual", .vector(r.actual)),
                                     ("l2", .number(s.l2)), ("train_size", .int(s.trainSize)), ("test_size", .int(s.testSize))])
        var table = Matrix(rows: r.actual.count, cols: 3)
        for i in 0..<r.actual.count { table[i, 0] = Double(i); table[i, 1] = r.predicted[i]; table[i, 2] = r.actual[i] }
        return (json, CSV.format(table, header: ["example", "influence_estimate", "leave_one_out"]))
    }
}
