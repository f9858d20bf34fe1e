import Foundation
import Testing
@testable import Sampling
@testable import Statistics

@Suite struct MomentAccumulatorTests {
    @Test func cumulantsOfKnownDistributions() {
        // Exponential(1) raw moments μ′_n = n!, cumulants κ_n = (n − 1)!.
        var mu = [1.0]
        for n in 1...8 { mu.append(mu[n - 1] * Double(n)) }
        let k = Cumulants.fromMoments(mu)
        var f = 1.0
        for n in 1...8 {
            #expect(abs(k[n] - f) < 1e-9 * f, "κ\(n)")
            f *= Double(n)
        }
        // Standard normal: κ₂ = 1, all others 0.
        let normal = Cumulants.fromMoments([1, 0, 1, 0, 3, 0, 15, 0, 105])
        #expect(normal[2] == 1 && abs(normal[4]) < 1e-12 && abs(normal[6]) < 1e-12 && abs(normal[8]) < 1e-10)
    }

    /// Gaussian samples: κ₄, κ₆, κ₈ vanish within 4 jackknife standard errors; the error of the mean
    /// matches σ/√M.
    @Test func gaussianCumulantsVanish() {
        var acc = MomentAccumulator(channels: 1, order: 8)
        let g = Philox4x32(seed: 5, stream: 0)
        let m = 100_000
        for k in 0..<m { acc.add(index: k, values: [g.normals(UInt64(k)).0]) }
        for p in [4, 6, 8] {
            let e = acc.cumulant(0, p)
            #expect(abs(e.value) < 4 * e.standardError, "κ\(p) = \(e.value) ± \(e.standardError)")
        }
        let mean = acc.mean(0)
        #expect(abs(mean.standardError * Double(m).squareRoot() - 1) < 0.3)
    }

    /// Shards (samples k ≡ s mod S) merged equal one accumulator to 1e-12.
    @Test func shardsMergeToOneRun() throws {
        let g = Philox4x32(seed: 8, stream: 1)
        var one = MomentAccumulator(channels: 2, order: 6, batches: 16)
        var shards = [MomentAccumulator](repeating: MomentAccumulator(channels: 2, order: 6, batches: 16), count: 3)
        for k in 0..<3000 {
            let (a, b) = g.normals(UInt64(k))
            one.add(index: k, values: [a, a * b])
            shards[k % 3].add(index: k, values: [a, a * b])
        }
        var merged = shards[0]
        try merged.merge(shards[1]); try merged.merge(shards[2])
        for k in 0..<one.state.count { #expect(abs(merged.state[k] - one.state[k]) <= 1e-12 * max(1, abs(one.state[k]))) }
        #expect(throws: StatisticsError.self) { try merged.merge(MomentAccumulator(channels: 1, order: 6, batches: 16)) }
    }
}
