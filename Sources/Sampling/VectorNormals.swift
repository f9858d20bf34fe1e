/// Standard normals from Philox blocks in chunks: the Philox words four blocks at a time in SIMD lanes,
/// then Box–Muller on two 53-bit uniforms per block as plain loops over the chunk, with its own
/// polynomial log, sin and cos instead of the C library's: the loops vectorize, and the numbers are
/// the same bits on every platform.
/// - log u = 2 atanh s, s = (m − 1)/(m + 1) for u = m·2^e with m ∈ [√½, √2): |s| ≤ 0.1716, and the
///   series 2(s + s³/3 + … + s²³/23) leaves < 1e-18 relative.
/// - sin, cos of θ = 2πu2: quadrant q = round(4u2), x = 2π(u2 − q/4) ∈ [−π/4, π/4]; Taylor series to
///   x¹⁷ and x¹⁸ (truncation < 1e-16), then the quadrant's exact swap and signs.
/// Measured against the C library over 2^20 normals: max |difference| ≤ 4e-15 (`PhiloxTests`).
extension Philox4x32 {
    typealias Words = SIMD4<UInt64>

    /// Philox4x32-10 on four consecutive counters (low word `index…index+3`, high word `index >> 32`):
    /// the same blocks as `block`, with each 32-bit word held in a 64-bit lane so the 32 × 32 → 64
    /// products vectorize.
    @inline(__always)
    func blocks4(_ index: UInt64) -> (Words, Words, Words, Words) {
        let mask = Words(repeating: 0xFFFF_FFFF)
        let lo = Words(index, index &+ 1, index &+ 2, index &+ 3)
        var x0 = lo & mask
        var x1 = lo &>> 32
        var x2 = Words(repeating: 0), x3 = Words(repeating: 0)
        var k0 = UInt64(key.0), k1 = UInt64(key.1)
        let m0 = Words(repeating: 0xD251_1F53), m1 = Words(repeating: 0xCD9E_8D57)
        for round in 0..<10 {
            if round > 0 { k0 = (k0 &+ 0x9E37_79B9) & 0xFFFF_FFFF; k1 = (k1 &+ 0xBB67_AE85) & 0xFFFF_FFFF }
            let p0 = m0 &* x0, p1 = m1 &* x2
            let n0 = (p1 &>> 32) ^ x1 ^ Words(repeating: k0)
            let n2 = (p0 &>> 32) ^ x3 ^ Words(repeating: k1)
            x1 = p1 & mask
            x3 = p0 & mask
            x0 = n0
            x2 = n2
        }
        return (x0, x1, x2, x3)
    }

    /// Fill `out` with normals 2j, 2j + 1 of blocks `first + j` (out.count even, ≤ 2·chunk): the
    /// Philox words in 4-lane groups, then the Box–Muller transform as plain loops over the chunk with
    /// no calls and no integer↔double conversions (which baseline x86-64 cannot do in vector
    /// registers), so the compiler vectorizes them: exponents and integers by the 2^52 trick, √ by
    /// Newton's iteration for 1/√ from a bit-level first guess, rounding by the 1.5·2^52 trick.
    @inline(__always)
    func boxMullerChunk(_ out: UnsafeMutableBufferPointer<Double>, first: UInt64,
                        u1: UnsafeMutablePointer<Double>, u2: UnsafeMutablePointer<Double>) {
        let blocks = out.count / 2
        let bits53: UInt64 = (1 << 53) - 1
        var j = 0
        while j < blocks {
            let (b0, b1, b2, b3) = blocks4(first &+ UInt64(j))
            let a = ((b0 &<< 21) ^ (b1 &>> 11)) & Words(repeating: bits53)
            let c = ((b2 &<< 21) ^ (b3 &>> 11)) & Words(repeating: bits53)
            for lane in 0..<Swift.min(4, blocks - j) {
                u1[j + lane] = Double(bitPattern: a[lane])
                u2[j + lane] = Double(bitPattern: c[lane])
            }
            j += 4
        }
        // The 53-bit integers a, c (stored as bit patterns) → u1 = (a + 1)/2^53 ∈ (0, 1], u2 = c/2^53,
        // then r = √(−2 log u1) in place of u1.
        for k in 0..<blocks {
            u1[k] = (Philox4x32.exactDouble(u1[k].bitPattern) + 1) * 0x1p-53
            u2[k] = Philox4x32.exactDouble(u2[k].bitPattern) * 0x1p-53
        }
        for k in 0..<blocks {
            let bits = u1[k].bitPattern
            var e = Double(bitPattern: ((bits >> 52) & 0x7FF) | 0x4330_0000_0000_0000) - (0x1p52 + 1023)
            var m = Double(bitPattern: (bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000)
            let big = m > 1.4142135623730951
            m = big ? m * 0.5 : m
            e = big ? e + 1 : e
            let s = (m - 1) / (m + 1)
            let z = s * s
            var p = 1.0 / 23
            p = p * z + 1.0 / 21; p = p * z + 1.0 / 19; p = p * z + 1.0 / 17; p = p * z + 1.0 / 15
            p = p * z + 1.0 / 13; p = p * z + 1.0 / 11; p = p * z + 1.0 / 9; p = p * z + 1.0 / 7
            p = p * z + 1.0 / 5; p = p * z + 1.0 / 3; p = p * z + 1
            let x = -2 * (2 * s * p + e * 0.6931471805599453)  // −2 log u1 ≥ 0
            // 1/√x: first guess from the bits (relative error < 3.5%), four Newton steps (error
            // 3.5e-2 → 1.8e-3 → 5e-6 → 4e-11 → 2e-21); x = 0 (u1 = 1) gives r = 0.
            var y = Double(bitPattern: 0x5FE6_EB50_C7B5_37A9 &- (x.bitPattern >> 1))
            for _ in 0..<4 { y = y * (1.5 - 0.5 * x * y * y) }
            u1[k] = x > 0 ? x * y : 0
        }
        // (sin, cos) of 2πu2 by quadrant, times r.
        for k in 0..<blocks {
            let t = u2[k] * 4
            let q = (t + 0x1.8p52) - 0x1.8p52  // round to nearest even: q ∈ {0, 1, 2, 3, 4}
            let x = (u2[k] - q * 0.25) * (2 * Double.pi)
            let z = x * x
            var sp = 1.0 / 355_687_428_096_000
            sp = sp * z - 1.0 / 1_307_674_368_000; sp = sp * z + 1.0 / 6_227_020_800; sp = sp * z - 1.0 / 39_916_800
            sp = sp * z + 1.0 / 362_880; sp = sp * z - 1.0 / 5040; sp = sp * z + 1.0 / 120; sp = sp * z - 1.0 / 6
            sp = sp * z + 1
            var cp = -1.0 / 6_402_373_705_728_000
            cp = cp * z + 1.0 / 20_922_789_888_000; cp = cp * z - 1.0 / 87_178_291_200; cp = cp * z + 1.0 / 479_001_600
            cp = cp * z - 1.0 / 3_628_800; cp = cp * z + 1.0 / 40320; cp = cp * z - 1.0 / 720; cp = cp * z + 1.0 / 24
            cp = cp * z - 0.5; cp = cp * z + 1
            let sx = x * sp, cx = cp
            // θ = x + qπ/2: quadrant 1 → (cos, −sin), 2 → (−sin, −cos), 3 → (−cos, sin); 4 ≡ 0.
            let swap = q == 1 || q == 3
            let sinT = (q == 2 || q == 3 ? -1.0 : 1.0) * (swap ? cx : sx)
            let cosT = (q == 1 || q == 2 ? -1.0 : 1.0) * (swap ? sx : cx)
            let r = u1[k]
            out[2 * k] = r * cosT
            out[2 * k + 1] = r * sinT
        }
    }

    /// Double(v) for v < 2^53, exactly, with bit operations and one subtraction (vectorizable):
    /// 2^52 + w has w as its mantissa for w < 2^52; the lowest bit is added separately.
    @inline(__always)
    static func exactDouble(_ v: UInt64) -> Double {
        let high = Double(bitPattern: (v >> 1) | 0x4330_0000_0000_0000) - 0x1p52
        let low = Double(bitPattern: (v & 1) | 0x4330_0000_0000_0000) - 0x1p52
        return 2 * high + low
    }
}
