/// Philox4x32-10 (Salmon, Moraes, Dror & Shaw 2011, "Parallel random numbers: as easy as 1, 2, 3"):
/// a counter-based generator. Block `counter` under `key` is a pure function of (key, counter), so
/// network k's parameters are the same bits whatever the thread count or the shard that computes
/// them.
public struct Philox4x32: Sendable {
    public let key: (UInt32, UInt32)

    public init(key: (UInt32, UInt32)) { self.key = key }

    /// A key from a seed and a stream (e.g. network index and layer).
    public init(seed: UInt64, stream: UInt64) {
        // Mix (seed, stream) to 64 bits with splitmix64 so that nearby streams get unrelated keys.
        var z = seed &+ 0x9E37_79B9_7F4A_7C15 &* (stream &+ 1)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        key = (UInt32(truncatingIfNeeded: z), UInt32(truncatingIfNeeded: z >> 32))
    }

    @inline(__always)
    static func mulhilo(_ a: UInt32, _ b: UInt32) -> (hi: UInt32, lo: UInt32) {
        let p = UInt64(a) &* UInt64(b)
        return (UInt32(truncatingIfNeeded: p >> 32), UInt32(truncatingIfNeeded: p))
    }

    /// The 4 × 32-bit block at a 128-bit counter (c0 least significant).
    @inline(__always)
    public func block(_ c0: UInt32, _ c1: UInt32, _ c2: UInt32, _ c3: UInt32) -> (UInt32, UInt32, UInt32, UInt32) {
        var x = (c0, c1, c2, c3)
        var k0 = key.0, k1 = key.1
        for round in 0..<10 {
            if round > 0 { k0 &+= 0x9E37_79B9; k1 &+= 0xBB67_AE85 }
            let p0 = Philox4x32.mulhilo(0xD251_1F53, x.0)
            let p1 = Philox4x32.mulhilo(0xCD9E_8D57, x.2)
            x = (p1.hi ^ x.1 ^ k0, p1.lo, p0.hi ^ x.3 ^ k1, p0.lo)
        }
        return x
    }

    /// Two standard normal numbers from block `index` (Box–Muller on two 53-bit uniforms in (0, 1]).
    @inline(__always)
    public func normals(_ index: UInt64) -> (Double, Double) {
        let b = block(UInt32(truncatingIfNeeded: index), UInt32(truncatingIfNeeded: index >> 32), 0, 0)
        let a = (UInt64(b.0) << 21) ^ UInt64(b.1) >> 11 // 53 bits
        let c = (UInt64(b.2) << 21) ^ UInt64(b.3) >> 11
        let u1 = (Double(a & ((1 << 53) - 1)) + 1) * 0x1p-53  // (0, 1]
        let u2 = Double(c & ((1 << 53) - 1)) * 0x1p-53        // [0, 1)
        let r = (-2 * _logValue(u1)).squareRoot()
        let t = 2 * Double.pi * u2
        return (r * _cosValue(t), r * _sinValue(t))
    }

    /// Fill `out` with standard normals: element i comes from block offset + i/2 (its first or second
    /// normal), so any slice is reproducible on its own. In chunks through `boxMullerChunk`; the values
    /// equal `normals` up to the last bits of the C library's log, sin, cos.
    public func fillNormals(_ out: UnsafeMutableBufferPointer<Double>, offset: UInt64 = 0) {
        let chunk = 256
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * chunk) { scratch in
            let u1 = scratch.baseAddress!, u2 = scratch.baseAddress! + chunk
            var i = 0
            let n = out.count
            while i + 1 < n {
                let count = Swift.min(2 * chunk, (n - i) & ~1)
                boxMullerChunk(UnsafeMutableBufferPointer(rebasing: out[i..<(i + count)]), first: offset &+ UInt64(i / 2), u1: u1, u2: u2)
                i += count
            }
            if i < n {
                // An odd tail: the first normal of the next block.
                var pair = (0.0, 0.0)
                withUnsafeMutableBytes(of: &pair) { raw in
                    boxMullerChunk(raw.bindMemory(to: Double.self), first: offset &+ UInt64(i / 2), u1: u1, u2: u2)
                }
                out[i] = pair.0
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _logValue(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) func _cosValue(_ x: Double) -> Double { Glibc.cos(x) }
@inline(__always) func _sinValue(_ x: Double) -> Double { Glibc.sin(x) }
#else
import Darwin
@inline(__always) func _logValue(_ x: Double) -> Double { Darwin.log(x) }
@inline(__always) func _cosValue(_ x: Double) -> Double { Darwin.cos(x) }
@inline(__always) func _sinValue(_ x: Double) -> Double { Darwin.sin(x) }
#endif
