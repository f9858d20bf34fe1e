import ArgumentParser
import Dispatch
import Foundation

/// Ctrl-C (SIGINT) and SIGTERM as a flag that long loops check between blocks of work, so that they stop cleanly:
/// the checkpoint written, no partial output file.
final class Interrupt: @unchecked Sendable {
    static let shared = Interrupt()
    private let lock = NSLock()
    private var raised = false
    private var sources: [DispatchSourceSignal] = []

    /// Start catching SIGINT and SIGTERM (idempotent).
    func install() {
        lock.lock(); defer { lock.unlock() }
        guard sources.isEmpty else { return }
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { [weak self] in self?.raise() }
            s.resume()
            sources.append(s)
        }
    }

    func raise() { lock.lock(); raised = true; lock.unlock() }

    var isRaised: Bool { lock.lock(); defer { lock.unlock() }; return raised }
}

/// A run stopped by Ctrl-C: exit status 130, the message says what was saved.
struct Interrupted: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// The checkpoint flags shared by the long commands (`dlt ensemble`, `dlt train`).
struct CheckpointOptions: ParsableArguments {
    @Option(help: "Save progress to this file every --checkpoint-every seconds and on Ctrl-C (then exit 130, no output file).")
    var checkpoint: String?

    @Option(help: "Seconds between checkpoints.")
    var checkpointEvery: Double = 120

    @Flag(help: "Continue the run saved in --checkpoint (same flags); the result equals an uninterrupted run bit for bit.")
    var resume = false

    func validate() throws {
        guard checkpointEvery > 0 else { throw ValidationError("--checkpoint-every must be positive") }
        if resume && checkpoint == nil { throw ValidationError("--resume needs --checkpoint FILE (the file to continue from)") }
    }
}

extension CheckpointOptions {
    /// Between blocks of networks: on Ctrl-C with networks left, write the checkpoint (if any), say what was kept and
    /// exit with status 130; otherwise save when --checkpoint-every seconds have passed since `lastSave`.
    func afterBlock(_ command: String, done: Int, total: Int, lastSave: inout Date, bar: ProgressBar,
                    save: (String) throws -> Void) throws {
        guard done < total else { return }
        if Interrupt.shared.isRaised {
            bar.finish()
            if let checkpoint {
                try save(checkpoint)
                FileHandle.standardError.write(Data("dlt \(command): interrupted after \(done) of \(total) networks; checkpoint written to \(checkpoint) (continue with --resume)\n".utf8))
            } else {
                FileHandle.standardError.write(Data("dlt \(command): interrupted after \(done) of \(total) networks; nothing written (use --checkpoint FILE to keep progress)\n".utf8))
            }
            throw ExitCode(130)
        }
        if let checkpoint, Date().timeIntervalSince(lastSave) >= checkpointEvery {
            try save(checkpoint)
            lastSave = Date()
        }
    }
}
