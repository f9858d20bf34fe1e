import ArgumentParser
import DeepTheory
import Foundation

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an ensemble of finite networks by gradient descent beside the infinite-width prediction (PDLT ch. 10, ∞).",
        discussion: """
            Example: dlt train --activation relu --depth 3 --width 512 --cw 2 --cb 0.1 --train Xtr.csv --targets Ytr.csv \
            --test Xte.csv --networks 32 --steps 30 --learning-rate 1 --seed 1 --format json
            prints {"test_mean", "test_mean_se", "test_covariance", "train_loss", "ntk_change", "ntk_change_se",
            "theory": {"mean", "covariance"}}: full-batch gradient descent on L = (1/2Nk) Σ (z − y)² with the
            learning-rate tensor λ, T steps at rate η on the clock of `dlt predict --time T --learning-rate η` (whose NTK
            prediction is "theory"). --model linearized trains z₀ + J₀Δθ, --model quadratic adds ½Δθᵀ H₀ Δθ.
            The output width is the number of target columns.
            """
    )

    @OptionGroup var network: NetworkOptions
    @OptionGroup var out: OutputOptions

    @OptionGroup var data: TrainingDataOptions

    @Option(help: "Number of networks in the ensemble.")
    var networks: Int = 32

    @Option(help: "Gradient-descent steps T.")
    var steps: Int = 100

    @Option(help: "Learning rate η.")
    var learningRate: Double = 1

    @Option(help: "Seed of the ensemble (network k is the same for any thread count).")
    var seed: UInt64 = 1

    @Option(help: "What is trained: network (default), linearized or quadratic.")
    var model: String = "network"

    func run() throws {
        guard let trained = TrainedModel(rawValue: model.lowercased()) else {
            throw ValidationError("--model must be network, linearized or quadratic, got '\(model)'")
        }
        guard networks >= 2 else { throw ValidationError("--networks must be at least 2, got \(networks)") }
        guard steps >= 0 else { throw ValidationError("--steps must be ≥ 0, got \(steps)") }
        let spec = try network.networkSpec()
        let (x, y, xTest) = try data.read()
        let bar = ProgressBar(total: networks, label: "networks")
        let result = try TrainedEnsemble.run(spec: spec, train: x, targets: y, test: xTest, steps: steps, learningRate: learningRate,
                                             model: trained, seed: seed, networks: networks, progress: { bar.update($0) })
        bar.finish()
        try out.emit(json: .object(result.json()))
    }
}
