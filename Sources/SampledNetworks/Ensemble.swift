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
        // At least a few chunks per core so that both cores stay busy to the end.
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let chunk = chunk ?? max(1, min(16, indices.count / (4 * cores)))
        BLAS.setThreads(1)
        defer { BLAS.setThreads(ProcessInfo.processInfo.activeProcessorCount) }
        if workers == 1 {
            return try indices.map { try measure(SampledNetwork(spec: spec, seed: seed, index: $0)) }
        }
        let starts = Array(stride(from: 0, to: indices.count, by: chunk))
        return try starts.concurrentMap { start in
            try indices[start..<min(indices.count, start + chunk)].map { try measure(SampledNetwork(spec: spec, seed: seed, index: $0)) }
        }.flatMap { $0 }
    }
}
