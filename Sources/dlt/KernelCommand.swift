import ArgumentParser
import DeepTheory
import Foundation

struct KernelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel",
        abstract: "Infinite-width NNGP kernel K^(L) and frozen NTK Θ^(L) of an MLP (PDLT ch. 4, 9).",
        discussion: """
            Example: dlt kernel --activation relu --depth 3 --cw 2 --cb 0 --inputs X.csv --format json
            prints {"nngp": [[…]], "ntk": [[…]]} for the output layer (N × N; N1 × N2 with --inputs2).
            Inputs are CSV (rows = inputs, header optional), .npy or .npz.
            """
    )

    @OptionGroup var network: NetworkOptions
    @OptionGroup var out: OutputOptions

    @Option(help: "Inputs (rows are inputs): CSV, .npy or .npz.")
    var inputs: String

    @Option(help: "Second inputs for the cross-kernel K(x1, x2).")
    var inputs2: String?

    @Flag(help: "Also output every layer ℓ = 1 … L (JSON key \"layers\"; .npz arrays nngp_ℓ, ntk_ℓ).")
    var allLayers = false

    func run() throws {
        let spec = try network.networkSpec()
        let x1 = try readInputs(inputs, what: "--inputs")
        let x2 = try inputs2.map { try readInputs($0, what: "--inputs2") }
        let result = try InfiniteWidth.kernels(spec: spec, x1: x1, x2: x2,
                                               keepLayers: allLayers ? Set(1...spec.depth) : nil)
        var arrays: [(name: String, matrix: Matrix)] = [("nngp", result.output.nngp), ("ntk", result.output.ntk)]
        var extra: [(String, JSONValue)] = []
        if allLayers {
            let fmt = try OutputFormat.resolve(explicit: out.format, path: out.output)
            if fmt == .json {
                extra.append(("layers", .array(zip(result.layerIndices, result.layers).map { l, k in
                    .object([("layer", .int(l)), ("nngp", .matrix(k.nngp)), ("ntk", .matrix(k.ntk))])
                })))
            } else {
                for (l, k) in zip(result.layerIndices, result.layers) {
                    arrays.append(("nngp_\(l)", k.nngp))
                    arrays.append(("ntk_\(l)", k.ntk))
                }
            }
        }
        try out.emit(arrays, extra: extra)
    }
}
