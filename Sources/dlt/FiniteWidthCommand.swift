import ArgumentParser
import DeepTheory
import Foundation

struct FiniteWidthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finite-width",
        abstract: "Order-1/n theory (PDLT ch. 4, 8): kernel, four-point vertex, excess kurtosis, NTK mean and variance.",
        discussion: """
            Example: dlt finite-width --activation relu --depth 5 --width 64 --cw 2 --cb 0 --inputs X.csv --format json
            Keys: nngp, vertex (N ≤ 8), excess_kurtosis, ntk_mean, ntk_variance; the Monte-Carlo twin is `dlt ensemble`
            and `dlt compare` puts them side by side.
            """
    )

    @OptionGroup var network: NetworkOptions
    @OptionGroup var out: OutputOptions

    @Option(help: "Inputs (rows are inputs): CSV, .npy or .npz.")
    var inputs: String

    func run() throws {
        let x = try readInputs(inputs, what: "--inputs")
        let spec = try network.networkSpec()
        if let n0 = spec.inputDimension, n0 != x.cols {
            throw ValidationError("mismatched input dimensions: the inputs have \(x.cols) columns, the spec \(n0)")
        }
        try out.emit(json: .object(try FiniteWidthRecord.json(spec: spec, x: x)))
    }
}

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Theory at n = ∞, theory at order 1/n, and Monte Carlo ± standard error, with z-scores.",
        discussion: """
            Takes the flags of `dlt ensemble`. For each quantity and input: the infinite-width value, the order-1/n
            prediction, the ensemble's estimate ± standard error and z = (MC − theory)/SE. A |z| > 4 is flagged; the
            1/n² remainder is estimated as (1/n correction)²/(∞ value) and the flag says whether it explains the gap.
            """
    )

    @OptionGroup var network: NetworkOptions
    @OptionGroup var sampling: SamplingOptions

    @Option(help: "Output format: table (default) or json.")
    var format: String = "table"

    func run() throws {
        let (networks, seed) = (sampling.networks, sampling.seed)
        guard networks >= 2 else { throw ValidationError("--networks must be at least 2, got \(networks)") }
        guard format == "table" || format == "json" else { throw ValidationError("--format must be table or json") }
        let x = try readInputs(sampling.inputs, what: "--inputs")
        let spec = try network.networkSpec(defaultOutputWidth: 0).with(inputDimension: x.cols)
        try checkSampleable(spec)
        let theory = try FiniteWidthRecord.json(spec: spec, x: x)
        var m = EnsembleMeasurement(spec: spec, inputs: x.rows)
        let bar = ProgressBar(total: networks, label: "networks")
        try m.run(x: x, seed: seed, indices: Array(0..<networks)) { bar.update($0) }
        bar.finish()
        let mc = m.json()
        let rows = Comparison.rows(theory: theory, measured: mc, inputs: x.rows)
        if format == "json" {
            print(JSONValue.array(rows.map(\.json)).serialized(pretty: true))
        } else {
            print(Comparison.table(rows, networks: networks))
        }
    }
}
