import Architecture
import Foundation
import Linalg
import SampledNetworks
import Statistics
import Studies
import Testing

/// The reproducibility matrix (issue 7): the same seed gives the same bits whatever the thread count and however the
/// ensemble is split into shards; merged statistics of K shards equal one run to 1e-12 (only the order of the sums
/// differs). (1 vs 2 threads for the whole accumulator: `ensembleStateIsIndependentOfThreadCount`; 1 vs 2 and 3 MPI ranks, and the
/// kernel path's thread and rank independence: CLITests/ScaleTests.swift.)
@Suite struct ReproducibilityTests {
    static let spec = try! NetworkSpec(inputDimension: 3, depth: 3, width: 16, outputWidth: 8, activation: .tanh, cb: 0.1, cw: 1.5)
    static let x = try! Matrix([[1.0, 0.5, -0.3], [0.2, -1.0, 0.7]])

    /// Network k's parameters are the same bits whether it is drawn alone, in order, or on another thread.
    @Test func networkParametersDependOnlyOnSeedAndIndex() throws {
        let alone = SampledNetwork(spec: Self.spec, seed: 5, index: 37)
        let inEnsemble = try Ensemble.map(spec: Self.spec, seed: 5, indices: Array(30..<40)) { $0.layers }
        let serial = try Ensemble.map(spec: Self.spec, seed: 5, indices: Array(30..<40), workers: 1) { $0.layers }
        #expect(inEnsemble[7] == alone.layers && serial[7] == alone.layers)
        #expect(SampledNetwork(spec: Self.spec, seed: 6, index: 37).layers != alone.layers)
    }

    /// 1 shard vs K = 2, 3, 5 shards (networks k, k + K, …), merged: the accumulator states agree to 1e-12 relative,
    /// and the per-network samples are identical (each network is measured by the same code on the same bits).
    @Test(arguments: [2, 3, 5])
    func shardsMergeToOneRun(k: Int) throws {
        let n = 120
        var one = EnsembleMeasurement(spec: Self.spec, inputs: 2)
        try one.run(x: Self.x, seed: 9, indices: Array(0..<n))
        var merged: EnsembleMeasurement? = nil
        for s in 0..<k {
            var part = EnsembleMeasurement(spec: Self.spec, inputs: 2)
            try part.run(x: Self.x, seed: 9, indices: Array(stride(from: s, to: n, by: k)), workers: s % 2 == 0 ? 1 : nil)
            if merged == nil { merged = part } else {
                try merged!.perNetwork.merge(part.perNetwork)
                try merged!.perComponent.merge(part.perComponent)
                merged!.networks += part.networks
            }
        }
        let m = try #require(merged)
        #expect(m.networks == n)
        for (a, b) in zip(one.perNetwork.state + one.perComponent.state, m.perNetwork.state + m.perComponent.state) {
            #expect(abs(a - b) <= 1e-12 * max(1, abs(a)))
        }
        // One network alone: its contribution is the same bits in any shard.
        var single = EnsembleMeasurement(spec: Self.spec, inputs: 2), again = EnsembleMeasurement(spec: Self.spec, inputs: 2)
        try single.run(x: Self.x, seed: 9, indices: [k], workers: 1)
        try again.run(x: Self.x, seed: 9, indices: [k])
        #expect(single.perNetwork.state == again.perNetwork.state)
    }
}
