import ArgumentParser
import DeepTheory

/// `dlt`: the DeepTheory command line. Each subcommand parses flags, calls the library, writes output.
@main
struct DLT: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlt",
        abstract: "Deep learning theory, computed and checked: kernels, criticality, and reports (PDLT notation).",
        discussion: """
            Networks follow Roberts–Yaida–Hanin, "The Principles of Deep Learning Theory": depth L counts weight
            layers, b ~ N(0, C_b), W ~ N(0, C_W/n). neural-tangents users: C_W = W_std², C_b = b_std²
            (or pass --w-std/--b-std), and the default learning rates λ_W = C_W, λ_b = C_b give its NTK.
            """,
        subcommands: [KernelCommand.self, CriticalityCommand.self, FiniteWidthCommand.self, EnsembleCommand.self, CompareCommand.self,
                      MergeCommand.self, PredictCommand.self, TrainCommand.self, LinearCommand.self, ImplicitBiasCommand.self, StudyCommand.self, ReportCommand.self]
    )
}
