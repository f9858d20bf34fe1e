import ArgumentParser
import DeepTheory
import Foundation

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "The distribution of trained infinite-width networks: mean and covariance of test outputs (PDLT ch. 10).",
        discussion: """
            Example: dlt predict --activation relu --depth 3 --cw 2 --cb 0.1 --train Xtr.csv --targets Ytr.csv --test Xte.csv \
            --kernel ntk --time 30 --learning-rate 1 --diag-reg 0 --format json
            prints {"mean": [[…]], "covariance": [[…]]} (N_test × k and N_test × N_test): the ensemble of infinite-width
            networks trained by gradient flow on the MSE loss, in neural-tangents' conventions
            (predict.gradient_descent_mse_ensemble): the loss is averaged over the N·k training targets, so train residuals
            decay as exp(−η t Θ̃/(N·k)); --diag-reg ε adds ε·trace(K̃)/N to the training kernel's diagonal.
            --time inf (the default) is the end of training; --kernel nngp trains with the NNGP instead of the NTK;
            --posterior gives the exact Bayesian posterior with the NNGP kernel.
            """
    )

    @OptionGroup var network: NetworkOptions
    @OptionGroup var out: OutputOptions

    @OptionGroup var data: TrainingDataOptions

    @Option(help: "The kernel that drives training: ntk (default) or nngp.")
    var kernel: String?

    @Option(help: "Training time t (gradient-flow time, as in neural-tangents), or inf (default) for the end of training.")
    var time: String?

    @Option(help: "Learning rate η (t·η is what matters; default 1).")
    var learningRate: Double = 1

    @Option(help: "Relative diagonal regularization ε (adds ε·trace(K̃)/N; default 0).")
    var diagReg: Double = 0

    @Flag(help: "The exact Bayesian posterior with the NNGP kernel (no training time).")
    var posterior = false

    func run() throws {
        let spec = try network.networkSpec()
        let (xTrain, y, xTest) = try data.read()
        if posterior && (kernel != nil || time != nil) {
            throw ValidationError("--posterior is the Bayesian NNGP posterior, with no kernel choice or time: drop --kernel and --time")
        }
        guard let kind = InfiniteWidthPrediction.Kernel(rawValue: (kernel ?? "ntk").lowercased()) else {
            throw ValidationError("--kernel must be ntk or nngp, got '\(kernel ?? "")'")
        }
        let t: Double?
        switch time?.lowercased() {
        case nil, "inf", "infinity": t = nil
        case let text?:
            guard let v = Double(text), v.isFinite, v >= 0 else { throw ValidationError("--time must be a number ≥ 0 or inf, got '\(text)'") }
            t = v
        }
        let kernels = try InfiniteWidthPrediction.Kernels(spec: spec, train: xTrain, test: xTest)
        let r = try InfiniteWidthPrediction.gradientDescentEnsemble(kernels, targets: y, time: t, learningRate: learningRate,
                                                                    diagReg: diagReg, kernel: posterior ? .nngp : kind)
        try out.emit([("mean", r.mean), ("covariance", r.covariance)])
    }
}
