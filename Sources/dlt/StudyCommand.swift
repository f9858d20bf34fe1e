import ArgumentParser
import DeepTheory
import Foundation
#if DEEPTHEORY_MPI
import MPISupport
#endif

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

    @Option(help: "transfer: save the sweep's finished points to this file after each block of points and on Ctrl-C.")
    var checkpoint: String?

    @Flag(help: "transfer: continue the sweep saved in --checkpoint (the result equals an uninterrupted sweep).")
    var resume = false

    func run() throws {
        if resume && checkpoint == nil { throw ValidationError("--resume needs --checkpoint FILE (the file to continue from)") }
        var cp: StudyRunner.Checkpoint? = nil
        if let checkpoint {
            Interrupt.shared.install()
            cp = StudyRunner.Checkpoint(path: checkpoint, resume: resume, shouldStop: { Interrupt.shared.isRaised })
        }
        var distributed: StudyRunner.Distributed? = nil
        #if DEEPTHEORY_MPI
        if let world = MPI.start(), world.size > 1 {
            guard checkpoint == nil else { throw ValidationError("--checkpoint is not available under mpirun") }
            distributed = StudyRunner.Distributed(rank: world.rank, size: world.size, gather: MPI.gatherOntoRoot)
        }
        #endif
        let paths: [String]
        do {
            guard let written = try StudyRunner.run(name, quick: quick, directory: output, checkpoint: cp, distributed: distributed) else { return }
            paths = written
        } catch let stopped as TransferStudy.Stopped {
            FileHandle.standardError.write(Data("dlt study: interrupted, \(stopped.done) of \(stopped.total) points saved in \(checkpoint ?? "") (continue with --resume)\n".utf8))
            throw ExitCode(130)
        }
        FileHandle.standardError.write(Data("wrote \(paths.joined(separator: ", "))\n".utf8))
    }
}
