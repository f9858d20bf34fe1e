import Foundation
import Linalg
import Sampling
import WidthScaling

/// The report's importance-weighting study, network part (Byrd & Lipton, "What is the effect of importance weighting in
/// deep learning?", ICML 2019): an MLP with two hidden layers of ReLU units (standard parameterization, C_W = 2, 2, 1,
/// C_b = 1, 0, 0, the same initialization for every run) trained by full-batch gradient descent on the class-weighted
/// logistic loss (1/N) Σᵢ wᵢ log(1 + exp(−yᵢ h(xᵢ))) on two separable Gaussian blobs in the plane, weight W on y = +1 and
/// 1 on y = −1, rescaled to mean 1 (rescaling a loss is rescaling η, so one learning rate serves every W).
///
/// Early in training the weighted boundary sits toward the down-weighted class. Once the data is separated, h grows
/// without bound and the loss is carried by the points nearest the boundary: for the linear model the direction tends to
/// the unweighted hard-margin SVM's whatever the weights (Soudry et al., JMLR 2018), for homogeneous networks to a KKT
/// point of the unweighted margin problem (Lyu & Li, ICLR 2020; with biases the net here is not homogeneous and no theorem
/// applies, but the mechanism is the same). The weights then only tilt the margins of the two classes' nearest points by
/// ≈ log W, so the boundary sits a fraction ≈ log W/(2M + log W) of the gap toward the down-weighted class, M = minᵢ yᵢh(xᵢ)
/// growing like log t: the shift returns to zero, but only like 1/log t. With an L2 penalty h stays bounded and the shift
/// settles at a finite value; stopping early keeps the early shift.
public struct NetworkImportanceWeightingStudy: Sendable {
    public enum Failure: Error, CustomStringConvertible, Equatable {
        case invalid(String)
        public var description: String {
            switch self { case .invalid(let s): return s }
        }
    }

    public struct Config: Sendable {
        /// Units in each of the two hidden layers.
        public var width: Int
        /// Points per class of `blobs`.
        public var perClass: Int
        public var steps: Int
        public var learningRate: Double
        /// Weights W on y = +1 (1 on y = −1); the unweighted run W = 1 is always added (it is the reference).
        public var weights: [Double]
        /// L2 penalties λ (the loss gains (λ/2)‖θ‖²), 0 for none; every weight is run with each.
        public var penalties: [Double]
        /// The step called "early" (its h is kept on the grid for the pictures).
        public var earlyStep: Int
        /// Points per axis of the grid on which the decisions are compared.
        public var gridSize: Int
        /// Seed of the data and of the (shared) initialization.
        public var seed: UInt64

        public init(width: Int = 200, perClass: Int = 20, steps: Int = 10_000, learningRate: Double = 0.05,
                    weights: [Double] = [4, 16], penalties: [Double] = [0, 1e-2], earlyStep: Int = 30, gridSize: Int = 41,
                    seed: UInt64 = 1) {
            self.width = width
            self.perClass = perClass
            self.steps = steps
            self.learningRate = learningRate
            self.weights = weights
            self.penalties = penalties
            self.earlyStep = earlyStep
            self.gridSize = gridSize
            self.seed = seed
        }

        /// Two hidden layers of 200, 40 points, 10⁴ steps at η = 0.05: 6 runs × 10⁴ steps.
        public static let full = Config()
        /// The same for 10³ steps.
        public static let quick = Config(steps: 1000)
    }

    /// One (W, λ) run, recorded at log-spaced steps (5 per decade, plus the early step and the last).
    public struct Run: Sendable {
        public var weight: Double, l2: Double
        public var steps: [Int]
        /// Where h changes sign on the line through the two class means: signed distance from the midpoint of the means,
        /// positive toward the mean of y = +1 (the sign change nearest the midpoint; NaN if h keeps one sign on the line).
        public var crossing: [Double]
        /// crossing(W = 1, same λ) − crossing: how far the boundary sits toward the down-weighted class y = −1 compared
        /// with the unweighted run (0 for the unweighted runs).
        public var offset: [Double]
        /// Fraction of the grid on which sign h differs from the unweighted run's (same λ, same step).
        public var disagreement: [Double]
        /// The weighted data loss (penalty not included) and minᵢ yᵢh(xᵢ) (> 0 once the data is separated).
        public var loss: [Double], minMargin: [Double]
        /// h on the grid at the early step and at the last one (row-major: index i·G + j is the point (grid[j], grid[i])).
        public var earlyField: [Double], finalField: [Double]
        public var diverged: Bool

        /// The value of a recorded series at step t (the last record at or before t; NaN before the first).
        public func value(_ series: KeyPath<Run, [Double]>, at t: Int) -> Double {
            steps.lastIndex { $0 <= t }.map { self[keyPath: series][$0] } ?? .nan
        }
    }

    public var config: Config
    public var x: Matrix, labels: [Double]
    /// Grid coordinates, the same on both axes.
    public var grid: [Double]
    /// The line through the class means: their midpoint and the unit vector toward the mean of y = +1.
    public var lineOrigin: [Double], lineDirection: [Double]
    /// Penalty-major: for each λ of the config, W = 1 and then the config's weights.
    public var runs: [Run]

    public func find(weight: Double, l2: Double) -> Run? { runs.first { $0.weight == weight && $0.l2 == l2 } }

    public static func run(quick: Bool) throws -> NetworkImportanceWeightingStudy { try run(quick ? .quick : .full) }

    public static func run(_ c: Config) throws -> NetworkImportanceWeightingStudy {
        let (x, labels) = try blobs(perClass: c.perClass, seed: c.seed)
        return try run(c, x: x, labels: labels)
    }

    /// The study on given 2-D data with labels ±1 (both classes present).
    public static func run(_ c: Config, x: Matrix, labels: [Double]) throws -> NetworkImportanceWeightingStudy {
        try validate(c, x: x, labels: labels)
        let n = x.rows
        let means = [1.0, -1.0].map { s -> [Double] in
            let rows = (0..<n).filter { labels[$0] == s }
            return (0..<2).map { j in rows.reduce(0) { $0 + x[$1, j] } / Double(rows.count) }
        }
        let gap = [means[0][0] - means[1][0], means[0][1] - means[1][1]]
        let length = (gap[0] * gap[0] + gap[1] * gap[1]).squareRoot()
        guard length > 0 else { throw Failure.invalid("the two class means coincide") }
        let direction = gap.map { $0 / length }, origin = [(means[0][0] + means[1][0]) / 2, (means[0][1] + means[1][1]) / 2]
        // A square grid around the data, and the line through the means sampled across it.
        let extent = (2 * ((x.storage.map { abs($0) }.max() ?? 1) + 0.3)).rounded(.up) / 2
        let g = c.gridSize
        let grid = (0..<g).map { -extent + 2 * extent * Double($0) / Double(g - 1) }
        var square = Matrix(rows: g * g, cols: 2)
        for i in 0..<g { for j in 0..<g { square[i * g + j, 0] = grid[j]; square[i * g + j, 1] = grid[i] } }
        let lineS = (0...400).map { -extent + 2 * extent * Double($0) / 400 }
        var segment = Matrix(rows: lineS.count, cols: 2)
        for (k, s) in lineS.enumerated() { for j in 0..<2 { segment[k, j] = origin[j] + s * direction[j] } }
        let gridPoints = square, linePoints = segment
        let records = recordSteps(c.steps, early: c.earlyStep)
        let weights = [1.0] + c.weights.filter { $0 != 1 }
        let jobs = c.penalties.flatMap { l2 in weights.map { Job(weight: $0, l2: l2) } }
        let traces = try jobs.concurrentMap { job in
            try Self.trace(job, config: c, x: x, labels: labels, grid: gridPoints, line: linePoints, lineS: lineS, records: records)
        }
        let runs = traces.map { tr -> Run in
            let base = traces.first { $0.weight == 1 && $0.l2 == tr.l2 }!
            let disagreement = zip(base.signs, tr.signs).map { a, b in
                Double(zip(a, b).filter { $0 != $1 }.count) / Double(max(a.count, 1))
            }
            return Run(weight: tr.weight, l2: tr.l2, steps: records, crossing: tr.crossing,
                       offset: zip(base.crossing, tr.crossing).map { $0 - $1 }, disagreement: disagreement,
                       loss: tr.loss, minMargin: tr.minMargin, earlyField: tr.earlyField, finalField: tr.finalField,
                       diverged: tr.diverged)
        }
        return NetworkImportanceWeightingStudy(config: c, x: x, labels: labels, grid: grid, lineOrigin: origin,
                                               lineDirection: direction, runs: runs)
    }

    /// Two Gaussian blobs in the plane, `perClass` points each. Along u = (cos 30°, sin 30°) a point of class y sits at
    /// 1.2y + 0.6g, kept only when it is at least 0.4 on its own side (so a gap of width ≥ 0.8 around u·x = 0 separates the
    /// classes); across u at 0.9g′ (g, g′ standard normals from Philox keyed by the seed and the class).
    public static func blobs(perClass: Int, seed: UInt64) throws -> (Matrix, [Double]) {
        guard perClass >= 1 else { throw Failure.invalid("need at least one point per class, got \(perClass)") }
        let u = [cos(Double.pi / 6), sin(Double.pi / 6)], v = [-u[1], u[0]]
        var rows: [[Double]] = [], labels: [Double] = []
        for (stream, label) in [(UInt64(1), 1.0), (UInt64(2), -1.0)] {
            let draws = 8 * perClass + 16  // each draw is kept with probability 0.91
            var g = [Double](repeating: 0, count: 2 * draws)
            g.withUnsafeMutableBufferPointer { Philox4x32(seed: seed, stream: 0x1B_0B5_0000 | stream).fillNormals($0) }
            var kept = 0
            for k in 0..<draws where kept < perClass {
                let along = 1.2 * label + 0.6 * g[2 * k], across = 0.9 * g[2 * k + 1]
                guard label * along >= 0.4 else { continue }
                rows.append([along * u[0] + across * v[0], along * u[1] + across * v[1]])
                labels.append(label)
                kept += 1
            }
            guard kept == perClass else { throw Failure.invalid("drew only \(kept) of \(perClass) points of class \(label)") }
        }
        return (try Matrix(rows), labels)
    }

    static func validate(_ c: Config, x: Matrix, labels: [Double]) throws {
        guard x.cols == 2 else { throw Failure.invalid("the study is in the plane: x needs 2 columns, got \(x.cols)") }
        guard x.rows == labels.count, x.rows >= 2 else { throw Failure.invalid("give one label per row of x (at least 2 rows)") }
        guard x.storage.allSatisfy(\.isFinite) else { throw Failure.invalid("x has non-finite entries") }
        guard labels.allSatisfy({ $0 == 1 || $0 == -1 }) else { throw Failure.invalid("labels must be ±1") }
        guard labels.contains(1), labels.contains(-1) else { throw Failure.invalid("both classes must be present") }
        guard !c.weights.isEmpty, c.weights.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw Failure.invalid("class weights must be positive and finite, got \(c.weights)")
        }
        guard !c.penalties.isEmpty, c.penalties.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
            throw Failure.invalid("L2 penalties must be ≥ 0 and finite, got \(c.penalties)")
        }
        guard c.width >= 1, c.steps >= 1, c.gridSize >= 2 else { throw Failure.invalid("width, steps ≥ 1 and grid size ≥ 2 needed") }
        guard (1...c.steps).contains(c.earlyStep) else { throw Failure.invalid("the early step must lie in 1…\(c.steps)") }
        guard c.learningRate > 0, c.learningRate.isFinite else { throw Failure.invalid("the learning rate must be positive") }
    }

    /// Steps round(10^(k/5)) ≤ steps, with the early step and the last one.
    static func recordSteps(_ steps: Int, early: Int) -> [Int] {
        var s: Set<Int> = [early, steps]
        var k = 0
        while true {
            let t = Int(Foundation.pow(10, Double(k) / 5).rounded())
            if t > steps { break }
            s.insert(t)
            k += 1
        }
        return s.sorted()
    }

    /// The sign change of h along the line nearest s = 0 (linear interpolation between samples); NaN if none.
    static func crossing(_ h: [Double], at s: [Double]) -> Double {
        var best = Double.nan
        for k in 0..<(h.count - 1) where h[k].isFinite && h[k + 1].isFinite && (h[k] > 0) != (h[k + 1] > 0) {
            let z = s[k] - h[k] * (s[k + 1] - s[k]) / (h[k + 1] - h[k])
            if best.isNaN || abs(z) < abs(best) { best = z }
        }
        return best
    }

    private struct Job: Sendable { var weight: Double, l2: Double }

    private struct Trace: Sendable {
        var weight: Double, l2: Double
        var crossing: [Double] = [], loss: [Double] = [], minMargin: [Double] = []
        var signs: [[Bool]] = []
        var earlyField: [Double] = [], finalField: [Double] = []
        var diverged = false
    }

    /// Train one (W, λ) run from the shared initialization and measure it at the record steps.
    private static func trace(_ job: Job, config c: Config, x: Matrix, labels: [Double], grid: Matrix, line: Matrix,
                              lineS: [Double], records: [Int]) throws -> Trace {
        let n = x.rows
        let raw = labels.map { $0 > 0 ? job.weight : 1 }
        let mean = raw.reduce(0, +) / Double(n)
        let w = raw.map { $0 / mean }
        let y = try Matrix(rows: n, cols: 1, storage: labels)
        var net = try ScaledMLP(scheme: .standard, depth: 3, inputDimension: 2, width: c.width, outputWidth: 1, baseWidth: c.width,
                                activation: .relu, cw: [2, 2, 1], cb: [1, 0, 0], optimizer: .sgd, seed: c.seed)
        var tr = Trace(weight: job.weight, l2: job.l2)
        let wanted = Set(records)
        let options = WidthTrainingOptions(optimizer: .sgd, learningRate: c.learningRate, steps: c.steps, l2: job.l2,
                                           recordEvery: c.steps)
        let history = try net.train(x: x, y: y, loss: .logistic, sampleWeights: w, options: options) { t, current in
            guard wanted.contains(t) else { return }
            let f = try current.outputs(x)
            tr.loss.append(WidthLoss.logistic.valueAndCotangent(f, y, weights: w, count: n).0)
            tr.minMargin.append((0..<n).map { labels[$0] * f[$0, 0] }.min() ?? .nan)
            let along = try current.outputs(line).storage
            tr.crossing.append(Self.crossing(along, at: lineS))
            let field = try current.outputs(grid).storage
            tr.signs.append(field.map { $0 > 0 })
            if t == c.earlyStep { tr.earlyField = field }
            if t == c.steps { tr.finalField = field }
        }
        tr.diverged = history.diverged
        return tr
    }
}
