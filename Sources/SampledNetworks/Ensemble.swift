import Architecture
import Dispatch
import Foundation
import Linalg

/// Runs a per-network measurement over networks `indices` of an ensemble, on all cores: workers take
/// chunks of networks dynamically, each with single-threaded BLAS inside (one worker per core beats
/// OpenBLAS's own threading for many small products), and only one chunk of networks is alive per
/// worker, so memory is bounded by the chunk size, not by the ensemble size. Results are collected
/// in network order, so what follows does not depend on the thread count.
public enum Ensemble {
    /// `workers`: 1 runs the networks one after another on the calling thread (used to show that the
    /// results do not depend on the number of threads); nil uses every core.
    public static func map<T: Sendable>(spec: NetworkSpec, seed: UInt64, indices: [Int], chunk: Int? = nil, workers: Int? = nil,
                                        _ measure: @Sendable (SampledNetwork) throws -> T) throws -> [T] {
        let box = ResultSlots<T>(count: indices.count)
        // At least a few chunks per core so that both cores stay busy to the end.
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let chunk = chunk ?? max(1, min(16, indices.count / (4 * cores)))
        let chunks = (indices.count + chunk - 1) / chunk
        BLAS.setThreads(1)
        defer { BLAS.setThreads(ProcessInfo.processInfo.activeProcessorCount) }
        if workers == 1 {
            return try indices.map { try measure(SampledNetwork(spec: spec, seed: seed, index: $0)) }
        }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            for p in (c * chunk)..<min(indices.count, (c + 1) * chunk) {
                do {
                    box.set(p, .success(try measure(SampledNetwork(spec: spec, seed: seed, index: indices[p]))))
                } catch {
                    box.set(p, .failure(error))
                }
            }
        }
        return try box.values()
    }
}

/// Thread-safe result slots.
final class ResultSlots<T: Sendable>: @unchecked Sendable {
    private var slots: [Result<T, Error>?]
    private let lock = NSLock()
    init(count: Int) { slots = [Result<T, Error>?](repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<T, Error>) { lock.lock(); slots[i] = r; lock.unlock() }
    func values() throws -> [T] { try slots.map { try $0!.get() } }
}
