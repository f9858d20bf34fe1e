import ArgumentParser
import DeepTheory
import Foundation

struct ImplicitBiasCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "implicit-bias",
        abstract: "Implicit bias of gradient descent: the hard-margin SVM direction of logistic regression, the minimum-norm interpolant of least squares.",
        discussion: """
            Classification (labels ±1, separable through the origin, no intercept):
              dlt implicit-bias --inputs X.csv --labels y.csv --steps 100000 --learning-rate 1 --format json
            runs gradient descent from θ = 0 on F(θ) = (1/n) Σ log(1 + exp(−yᵢxᵢᵀθ)) and prints {"svm_direction", "margin",
            "support_vectors" (row indices, 0-based), "gd_direction", "gd_angle_degrees", "gd_norm"} plus "svm_weights"
            (the hard-margin w with all margins ≥ 1) and "trajectory" (log-spaced steps: angle to the SVM, ‖θ‖, loss).
            The SVM is exact (the minimum-norm point of the convex hull of yᵢxᵢ, Wolfe's algorithm). Data that is not
            separable through the origin is reported as such, with a non-zero exit.
            Regression (real targets, fewer rows than columns):
              dlt implicit-bias --inputs X.csv --targets y.csv --format json
            runs gradient descent from 0 (or from --initial W0.csv) on (1/2n)‖Xw − y‖² and prints {"gd_solution",
            "min_norm_solution", "distance"}: from 0 it converges to X⁺y; from w₀ to w₀ + X⁺(y − Xw₀) ("limit", and then
            "distance" is to the limit). Default learning rate: 1 for --labels, n/λ_max(XXᵀ) for --targets.
            """
    )

    @OptionGroup var out: OutputOptions

    @Option(help: "Inputs, one row per example: CSV, .npy or .npz.")
    var inputs: String

    @Option(help: "Labels ±1, one per row (classification).")
    var labels: String?

    @Option(help: "Real targets, one per row (least squares; fewer rows than columns).")
    var targets: String?

    @Option(help: "Gradient-descent steps.")
    var steps: Int = 100_000

    @Option(help: "Learning rate η (default 1 for --labels, n/λ_max(XXᵀ) for --targets).")
    var learningRate: Double?

    @Option(help: "Initial weights w₀ for --targets (one value per column), CSV or .npy.")
    var initial: String?

    func run() throws {
        guard (labels == nil) != (targets == nil) else { throw ValidationError("give exactly one of --labels (±1) or --targets (real values)") }
        let x = try readInputs(inputs, what: "--inputs")
        func column(_ path: String, _ what: String) throws -> [Double] {
            let m = try readInputs(path, what: what)
            guard m.cols == 1 || m.rows == 1 else { throw ValidationError("\(what) must be one column, got \(m.rows) × \(m.cols)") }
            return m.storage
        }
        if let labels {
            guard initial == nil else { throw ValidationError("--initial is for --targets (classification starts at θ = 0)") }
            let y = try column(labels, "--labels")
            let svm = try MaxMargin(x: x, labels: y)
            let gd = try LogisticGradientDescent(x: x, labels: y, steps: steps, learningRate: learningRate ?? 1)
            let norm = gd.theta.reduce(0) { $0 + $1 * $1 }.squareRoot()
            try out.emit(json: .object([
                ("svm_direction", .vector(svm.direction)), ("margin", .number(svm.margin)),
                ("support_vectors", .array(svm.supportVectors.map { .int($0) })),
                ("gd_direction", .vector(norm > 0 ? gd.theta.map { $0 / norm } : gd.theta)),
                ("gd_angle_degrees", .number(LogisticGradientDescent.angleDegrees(gd.theta, svm.direction))),
                ("gd_norm", .number(norm)), ("svm_weights", .vector(svm.weights)), ("steps", .int(steps)),
                ("learning_rate", .number(learningRate ?? 1)),
                ("trajectory", StudyRunner.trajectory(gd, direction: svm.direction)),
            ]))
        } else if let targets {
            let y = try column(targets, "--targets")
            let w0 = try initial.map { try column($0, "--initial") }
            let ls = try LeastSquaresImplicitBias(x: x, targets: y, steps: steps, learningRate: learningRate, initial: w0)
            let distance = zip(ls.gradientDescent, ls.limit).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
            try out.emit(json: .object([
                ("gd_solution", .vector(ls.gradientDescent)), ("min_norm_solution", .vector(ls.minimumNorm)),
                ("distance", .number(distance)), ("limit", .vector(ls.limit)), ("learning_rate", .number(ls.learningRate)),
                ("steps_taken", .int(ls.steps)), ("relative_residual", .number(ls.relativeResidual)),
            ]))
        }
    }
}
