import ArgumentParser
import DeepTheory
import Foundation

struct CriticalityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "criticality",
        abstract: "Critical initialization (PDLT ch. 5, 9): universality class, (C_b, C_W), K*, χ_∥, χ_⊥, depth exponents.",
        discussion: """
            dlt criticality --activation gelu                 the critical point, or null fields and a "reason"
            dlt criticality --activation tanh --cb 0.1 --cw 2  K*, χ_∥, χ_⊥, the phase, depth scales, K^(ℓ) profile
            dlt criticality --all                              the critical points of every built-in activation
            """
    )

    @Option(help: "Activation: \(Activation.spellings).")
    var activation: String?

    @Flag(help: "Every built-in activation.")
    var all = false

    @Option(parsing: .unconditional, help: "Analyze this C_b instead of solving for the critical point (with --cw).")
    var cb: Double?

    @Option(parsing: .unconditional, help: "Analyze this C_W (with --cb).")
    var cw: Double?

    @Option(name: .customLong("lambda-w"), help: "λ_W for the NTK depth profile (default C_W).")
    var lambdaW: Double?

    @Option(name: .customLong("lambda-b"), help: "λ_b for the NTK depth profile (default C_b).")
    var lambdaB: Double?

    @Option(help: "Layers in the depth profile (exponents are always measured over 1000 layers).")
    var depth: Int = 50

    @Option(help: "|x|²/n₀ of the input whose kernel is followed with depth.")
    var q0: Double = 1

    @OptionGroup var out: OutputOptions

    func validate() throws {
        if all && activation != nil { throw ValidationError("give --activation or --all, not both") }
        if !all && activation == nil { throw ValidationError("missing --activation (or --all)") }
        if (cb == nil) != (cw == nil) { throw ValidationError("--cb and --cw go together") }
        if let cw, !(cw > 0) || !cw.isFinite { throw ValidationError("--cw must be positive, got \(cw)") }
        if let cb, !(cb >= 0) || !cb.isFinite { throw ValidationError("--cb must be non-negative, got \(cb)") }
        if depth < 1 { throw ValidationError("--depth must be at least 1") }
        if !(q0 > 0) || !q0.isFinite { throw ValidationError("--q0 must be positive") }
    }

    func run() throws {
        if all {
            try out.emit(json: .array(Activation.builtins.map { CriticalityReport.critical($0, profileDepth: depth) }))
            return
        }
        let act = try Activation.parse(activation!)
        if let cb, let cw {
            let analysis = SingleInputMap(activation: act, cb: cb, cw: cw).analyze(q0: q0, profileDepth: depth)
            var doc = try JSONValue.encoded(analysis)
            let d = DepthBehaviour.compute(activation: act, cb: cb, cw: cw, lambdaB: lambdaB ?? cb, lambdaW: lambdaW ?? cw,
                                           q0: q0, depth: depth)
            if case var .object(pairs) = doc {
                pairs.append(("ntk_profile", .vector(d.ntk)))
                doc = .object(pairs)
            }
            try out.emit(json: doc)
        } else {
            try out.emit(json: CriticalityReport.critical(act, profileDepth: depth))
        }
    }
}
