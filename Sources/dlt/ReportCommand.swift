import ArgumentParser
import DeepTheory
import Foundation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Run the default study and write a self-contained HTML report (DIR/index.html)."
    )

    @Option(help: "Directory for index.html (created if missing).")
    var output: String = "report"

    @Flag(help: "A smaller study (fewer layers, a coarser phase diagram), for tests.")
    var quick = false

    func run() throws {
        let path = try ReportBuilder.write(to: output, quick: quick)
        FileHandle.standardError.write(Data("wrote \(path)\n".utf8))
    }
}
