import Testing
@testable import Sampling

@Suite struct PhiloxTests {
    /// Known-answer tests of Random123's Philox4x32-10 (kat_vectors).
    @Test func knownAnswers() {
        let zero = Philox4x32(key: (0, 0)).block(0, 0, 0, 0)
        #expect([zero.0, zero.1, zero.2, zero.3] == [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8])
        let ones = Philox4x32(key: (0xffff_ffff, 0xffff_ffff)).block(0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff)
        #expect([ones.0, ones.1, ones.2, ones.3] == [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd])
        let pi = Philox4x32(key: (0xa409_3822, 0x299f_31d0)).block(0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344)
        #expect([pi.0, pi.1, pi.2, pi.3] == [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1])
    }

    /// Normals: mean 0, variance 1, fourth moment 3 within 4 standard errors (n = 200 000).
    @Test func normalsHaveTheRightMoments() {
        let g = Philox4x32(seed: 1, stream: 7)
        let n = 200_000
        var xs = [Double](repeating: 0, count: n)
        xs.withUnsafeMutableBufferPointer { g.fillNormals($0) }
        let m1 = xs.reduce(0, +) / Double(n)
        let m2 = xs.reduce(0) { $0 + $1 * $1 } / Double(n)
        let m4 = xs.reduce(0) { $0 + $1 * $1 * $1 * $1 } / Double(n)
        // Standard errors: sd(x) = 1, sd(x²) = √2, sd(x⁴) = √96.
        #expect(abs(m1) < 4 / Double(n).squareRoot())
        #expect(abs(m2 - 1) < 4 * 2.0.squareRoot() / Double(n).squareRoot())
        #expect(abs(m4 - 3) < 4 * 96.0.squareRoot() / Double(n).squareRoot())
    }

    /// The same (seed, stream, index) gives the same bits, however the stream is sliced.
    @Test func slicesAreReproducible() {
        let g = Philox4x32(seed: 42, stream: 3)
        var whole = [Double](repeating: 0, count: 100)
        whole.withUnsafeMutableBufferPointer { g.fillNormals($0) }
        var tail = [Double](repeating: 0, count: 60)
        tail.withUnsafeMutableBufferPointer { g.fillNormals($0, offset: 20) }
        #expect(Array(whole[40...]) == tail)
        #expect(Philox4x32(seed: 42, stream: 4).normals(0) != g.normals(0))
    }

    /// The SIMD path (four blocks in lanes, polynomial log/sin/cos) against the scalar Box–Muller with
    /// the C library: same Philox words, normals equal to 4e-15 over 2^18 numbers, and lane blocks that
    /// cross a 2^32 counter boundary.
    @Test func vectorNormalsMatchScalar() {
        let g = Philox4x32(seed: 5, stream: 11)
        for start: UInt64 in [0, 0xFFFF_FFFE, 1 << 40] {
            let (w0, w1, w2, w3) = g.blocks4(start)
            for lane in 0..<4 {
                let b = g.block(UInt32(truncatingIfNeeded: start + UInt64(lane)), UInt32(truncatingIfNeeded: (start + UInt64(lane)) >> 32), 0, 0)
                #expect([UInt32(w0[lane]), UInt32(w1[lane]), UInt32(w2[lane]), UInt32(w3[lane])] == [b.0, b.1, b.2, b.3])
            }
        }
        let n = 1 << 18
        var xs = [Double](repeating: 0, count: n)
        xs.withUnsafeMutableBufferPointer { g.fillNormals($0, offset: 3) }
        var worst = 0.0
        for j in 0..<(n / 2) {
            let (a, b) = g.normals(UInt64(j) + 3)
            worst = max(worst, abs(a - xs[2 * j]), abs(b - xs[2 * j + 1]))
        }
        #expect(worst < 4e-15, "max |SIMD − scalar| = \(worst)")
        // Odd lengths and offsets: every element still comes from its own block.
        var odd = [Double](repeating: 0, count: 13)
        odd.withUnsafeMutableBufferPointer { g.fillNormals($0, offset: 9) }
        #expect(Array(odd[..<12]) == Array(xs[12..<24]))
    }
}
