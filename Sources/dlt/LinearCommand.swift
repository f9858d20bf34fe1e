import ArgumentParser
import DeepTheory
import Foundation

struct LinearCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "linear",
        abstract: "Linear models z = Wφ(x): direct solution, kernel form, and gradient descent in closed form and by iteration (PDLT §7.1–7.2, §10.4).",
        discussion: """
            Example: dlt linear --features random:200 --train Xtr.csv --targets Ytr.csv --test Xte.csv --steps 100 --learning-rate 1
            prints the test predictions of the direct solution (normal equations), the dual kernel form, gradient descent
            after --steps steps in closed form and by iteration, and gradient descent at t = ∞, with the largest differences
            between them. --init-scale s starts gradient descent from W(0) ~ N(0, s²) instead of 0: the t = ∞ answer then
            keeps W(0)'s part outside the span of the training features (algorithm dependence). --epsilon ε adds the
            quadratic model z = Wφ + (ε/2)(Wφ)² trained the same way, its moving effective features φ^E, and the
            nearly-kernel (order-ε) solution, which it matches up to O(ε²).
            --features gradient uses a sampled network's own gradient features φ = λ^{1/2}∂z/∂θ at initialization (give
            the network with the flags of `dlt train`: --activation, --depth, --width, …; network 0 of --seed): the
            kernel φφᵀ is its empirical NTK and the model is the network linearized around θ₀, minus z₀. With it,
            --meta hessian takes the meta-features ψ = λ^{1/2}∇²z λ^{1/2} of the same network, so that the quadratic
            model at --epsilon 1 is the network's quadratic truncation (the default, --meta products, is ψ = φφᵀ).
            """
    )

    @OptionGroup var out: OutputOptions

    @Option(help: "Feature map: identity, random:P (P random ReLU features), polynomial:D, or gradient (a network's gradient features; network flags below).")
    var features: String = "identity"

    @Option(help: "Meta-features ψ of the quadratic model: products (ψ = φφᵀ) or hessian (with --features gradient).")
    var meta: String = "products"

    @OptionGroup(title: "Network (for --features gradient)") var network: NetworkOptions

    @OptionGroup var data: TrainingDataOptions

    @Option(help: "Gradient-descent steps.")
    var steps: Int = 100

    @Option(help: "Learning rate η (loss averaged over the N·k targets).")
    var learningRate: Double = 1

    @Option(help: "Ridge ε (absolute) for the direct and kernel solutions (default 0).")
    var ridge: Double = 0

    @Option(help: "Scale s of the initial weights W(0) ~ N(0, s²) for gradient descent (default 0).")
    var initScale: Double = 0

    @Option(help: "Also train the quadratic model z = Wφ + (ε/2)WψW (see --meta) from W(0) = 0 and its nearly-kernel (order-ε) solution.")
    var epsilon: Double?

    @Option(help: "Seed of the random features and of W(0).")
    var seed: UInt64 = 1

    func run() throws {
        let parts = features.split(separator: ":").map(String.init)
        var map: LinearModel.Features
        switch parts[0] {
        case "identity" where parts.count == 1: map = .identity
        case "random" where parts.count == 2 && (Int(parts[1]) ?? 0) > 0: map = .random(count: Int(parts[1])!, seed: seed)
        case "polynomial" where parts.count == 2 && (Int(parts[1]) ?? 0) > 0: map = .polynomial(degree: Int(parts[1])!)
        case "gradient" where parts.count == 1: map = .identity  // replaced below, once the input dimension is known
        default: throw ValidationError("--features must be identity, random:P, polynomial:D (P, D > 0) or gradient, got '\(features)'")
        }
        guard meta == "products" || (meta == "hessian" && parts[0] == "gradient") else {
            throw ValidationError(meta == "hessian" ? "--meta hessian needs --features gradient" : "--meta must be products or hessian, got '\(meta)'")
        }
        guard steps >= 0 else { throw ValidationError("--steps must be ≥ 0, got \(steps)") }
        guard learningRate > 0 else { throw ValidationError("--learning-rate must be > 0, got \(learningRate)") }
        guard ridge >= 0 else { throw ValidationError("--ridge must be ≥ 0, got \(ridge)") }
        let (x, y, xt) = try data.read()
        var metaFeatures = QuadraticModel.MetaFeatures.products
        if parts[0] == "gradient" {
            let spec = try network.networkSpec().with(inputDimension: x.cols)
            guard spec.outputWidth == 1 else { throw ValidationError("--features gradient needs a network with one output (--output-width 1)") }
            let net = SampledNetwork(spec: spec, seed: seed, index: 0)
            map = .custom(name: "gradient") { try net.gradientFeatures($0) }
            if meta == "hessian" { metaFeatures = .custom(name: "hessian") { try net.hessianMetaFeatures($0, weights: $1) } }
        }
        let model = LinearModel(features: map)
        let p = try map.map(try Matrix([x.row(0)])).cols
        var w0 = Matrix(rows: y.cols, cols: p)
        w0.storage.withUnsafeMutableBufferPointer { Philox4x32(seed: seed, stream: 0x1417).fillNormals($0) }
        w0 = initScale * w0
        let direct = try model.predict(weights: try model.directWeights(train: x, targets: y, ridge: ridge), xt)
        let kernel = try model.kernelPrediction(train: x, targets: y, test: xt, ridge: ridge)
        let closed = try model.gradientDescentClosedForm(train: x, targets: y, test: xt, steps: steps, learningRate: learningRate, initial: w0)
        let iterated = try model.gradientDescentIterated(train: x, targets: y, test: xt, steps: steps, learningRate: learningRate, initial: w0).predictions
        let infinite = try model.gradientDescentClosedForm(train: x, targets: y, test: xt, steps: nil, learningRate: learningRate, initial: w0)
        func gap(_ a: Matrix, _ b: Matrix) -> Double { (a - b).maxAbs }
        var quadratic: [(String, JSONValue)] = []
        if let epsilon {
            guard epsilon.isFinite, epsilon >= 0 else { throw ValidationError("--epsilon must be ≥ 0, got \(epsilon)") }
            let q = QuadraticModel(features: map, metaFeatures: metaFeatures, epsilon: epsilon)
            let run = try q.train(train: x, targets: y, test: xt, steps: steps, learningRate: learningRate)
            let approx = try q.nearlyKernelPrediction(train: x, targets: y, test: xt, steps: steps, learningRate: learningRate)
            quadratic = [("quadratic", .matrix(run.predictions)), ("nearly_kernel", .matrix(approx)),
                         ("quadratic_train_loss", .vector(run.trainLoss)), ("effective_feature_change", .number(run.featureChange)),
                         ("quadratic_vs_nearly_kernel", .number(gap(run.predictions, approx))),
                         ("effective_feature_change_curve", .vector(run.featureChangeCurve))]
        }
        try out.emit(json: .object(quadratic + [
            ("direct", .matrix(direct)), ("kernel", .matrix(kernel)), ("gradient_descent", .matrix(closed)),
            ("gradient_descent_iterated", .matrix(iterated)), ("gradient_descent_infinite_time", .matrix(infinite)),
            ("features", .int(p)),
            ("max_difference", .object([("direct_vs_kernel", .number(gap(direct, kernel))),
                                        ("closed_form_vs_iterated", .number(gap(closed, iterated))),
                                        ("infinite_time_vs_kernel", .number(gap(infinite, kernel)))])),
        ]))
    }
}
