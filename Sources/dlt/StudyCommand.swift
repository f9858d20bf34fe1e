import ArgumentParser
import DeepTheory
import Foundation

struct StudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study",
        abstract: "Run one study beyond the kernel regime and write its numbers (JSON, CSV) and its report section.",
        discussion: """
            dlt study NAME [--quick] [--output DIR] writes DIR/NAME.json, DIR/NAME.csv and DIR/index.html.
            Studies: \(StudyRunner.names.joined(separator: ", ")).
            --quick is a smaller version (under a minute) for tests.
            """
    )

    @Argument(help: "The study: \(StudyRunner.names.joined(separator: ", ")).")
    var name: String

    @Flag(help: "A smaller version, for tests.")
    var quick = false

    @Option(help: "Directory for the files (created if missing).")
    var output: String = "study"

    func run() throws {
        let paths = try StudyRunner.run(name, quick: quick, directory: output)
        FileHandle.standardError.write(Data("wrote \(paths.joined(separator: ", "))\n".utf8))
    }
}
