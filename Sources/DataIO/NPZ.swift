import Foundation
import Linalg

/// NumPy's .npz: a zip archive of `NAME.npy` members, as `numpy.savez` writes it (stored, not
/// compressed). Writing streams one member at a time; reading accepts stored members (the
/// deflated members of `numpy.savez_compressed` are reported as unsupported).
public enum NPZ {
    /// Write `arrays` (name → matrix) to `path` atomically (a temporary file renamed at the end).
    public static func write(_ arrays: [(name: String, matrix: Matrix)], to path: String) throws(DataError) {
        try AtomicFile.write(path) { (out: FileHandle) throws(DataError) in
            var central = Data()
            var offset: UInt64 = 0
            for (name, m) in arrays {
                let head = NPY.header(m)
                let payloadCount = head.count + m.storage.count * 8
                let fileName = Array((name + ".npy").utf8)
                let crc = NPY.payloadCRC(m, initial: CRC32.checksum(head))
                guard payloadCount < 0xFFFF_FFFF, offset < 0xFFFF_FFFF else {
                    throw .unsupported(path: path, reason: "member \(name) is over 4 GiB; write it as a single .npy with --get")
                }
                var local = Data()
                local.appendLE(UInt32(0x0403_4B50))
                local.appendLE(UInt16(20)); local.appendLE(UInt16(0)); local.appendLE(UInt16(0))  // version, flags, stored
                local.appendLE(UInt16(0)); local.appendLE(UInt16(0x21))                            // time, date (1980-01-01)
                local.appendLE(crc); local.appendLE(UInt32(payloadCount)); local.appendLE(UInt32(payloadCount))
                local.appendLE(UInt16(fileName.count)); local.appendLE(UInt16(0))
                local.append(contentsOf: fileName)
                do {
                    try out.write(contentsOf: local)
                    try out.write(contentsOf: head)
                    try NPY.writePayload(m, to: out)
                } catch { throw .unwritable(path: path, reason: "\(error)") }
                var entry = Data()
                entry.appendLE(UInt32(0x0201_4B50))
                entry.appendLE(UInt16(20)); entry.appendLE(UInt16(20)); entry.appendLE(UInt16(0)); entry.appendLE(UInt16(0))
                entry.appendLE(UInt16(0)); entry.appendLE(UInt16(0x21))
                entry.appendLE(crc); entry.appendLE(UInt32(payloadCount)); entry.appendLE(UInt32(payloadCount))
                entry.appendLE(UInt16(fileName.count)); entry.appendLE(UInt16(0)); entry.appendLE(UInt16(0))
                entry.appendLE(UInt16(0)); entry.appendLE(UInt16(0)); entry.appendLE(UInt32(0))
                entry.appendLE(UInt32(offset))
                entry.append(contentsOf: fileName)
                central.append(entry)
                offset += UInt64(local.count + payloadCount)
            }
            var end = Data()
            end.appendLE(UInt32(0x0605_4B50))
            end.appendLE(UInt16(0)); end.appendLE(UInt16(0))
            end.appendLE(UInt16(arrays.count)); end.appendLE(UInt16(arrays.count))
            end.appendLE(UInt32(central.count)); end.appendLE(UInt32(offset))
            end.appendLE(UInt16(0))
            do {
                try out.write(contentsOf: central)
                try out.write(contentsOf: end)
            } catch { throw .unwritable(path: path, reason: "\(error)") }
        }
    }

    /// Read every member of an .npz file.
    public static func read(path: String) throws(DataError) -> [(name: String, matrix: Matrix)] {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path, reason: "no such file") }
        return try decode(data, name: path)
    }

    public static func decode(_ data: Data, name: String) throws(DataError) -> [(name: String, matrix: Matrix)] {
        let b = [UInt8](data)
        func u16(_ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 }
        func u32(_ i: Int) -> Int { u16(i) | u16(i + 2) << 16 }
        guard b.count >= 22 else { throw .malformed(path: name, reason: "too short for a zip archive") }
        var eocd = -1
        var i = b.count - 22
        while i >= max(0, b.count - 22 - 65_535) {
            if u32(i) == 0x0605_4B50 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { throw .malformed(path: name, reason: "no zip end-of-central-directory record (truncated?)") }
        let count = u16(eocd + 10), cdSize = u32(eocd + 12), cdOffset = u32(eocd + 16)
        guard cdOffset + cdSize <= eocd else { throw .malformed(path: name, reason: "central directory out of bounds") }
        var out: [(String, Matrix)] = []
        var p = cdOffset
        for _ in 0..<count {
            guard p + 46 <= b.count, u32(p) == 0x0201_4B50 else { throw .malformed(path: name, reason: "bad central directory entry") }
            let method = u16(p + 10), crc = UInt32(u32(p + 16)), compSize = u32(p + 20)
            let nameLen = u16(p + 28), extraLen = u16(p + 30), commentLen = u16(p + 32)
            let localOffset = u32(p + 42)
            guard p + 46 + nameLen <= b.count else { throw .malformed(path: name, reason: "bad member name") }
            let member = String(decoding: b[(p + 46)..<(p + 46 + nameLen)], as: UTF8.self)
            p += 46 + nameLen + extraLen + commentLen
            guard method == 0 else {
                throw .unsupported(path: name, reason: "member \(member) is compressed (numpy.savez_compressed); save with numpy.savez")
            }
            guard localOffset + 30 <= b.count, u32(localOffset) == 0x0403_4B50 else {
                throw .malformed(path: name, reason: "bad local header for \(member)")
            }
            let start = localOffset + 30 + u16(localOffset + 26) + u16(localOffset + 28)
            guard start + compSize <= b.count else { throw .malformed(path: name, reason: "member \(member) is truncated") }
            let payload = Data(b[start..<(start + compSize)])
            guard CRC32.checksum(payload) == crc else {
                throw .malformed(path: name, reason: "member \(member) fails its CRC-32 check (corrupted file)")
            }
            let arrayName = member.hasSuffix(".npy") ? String(member.dropLast(4)) : member
            out.append((arrayName, try NPY.decode(payload, name: "\(name):\(member)")))
        }
        return out
    }
}

extension Data {
    mutating func appendLE<T: FixedWidthInteger>(_ v: T) {
        var le = v.littleEndian
        Swift.withUnsafeBytes(of: &le) { append(contentsOf: $0) }
    }
}

/// CRC-32 (IEEE 802.3, as zip uses), slicing-by-8.
enum CRC32 {
    static let tables: [[UInt32]] = {
        var t = [[UInt32]](repeating: [UInt32](repeating: 0, count: 256), count: 8)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            t[0][i] = c
        }
        for i in 0..<256 {
            for k in 1..<8 { t[k][i] = (t[k - 1][i] >> 8) ^ t[0][Int(t[k - 1][i] & 0xFF)] }
        }
        return t
    }()

    /// CRC-32 of `data`, continuing from the CRC `initial` of the bytes before it.
    static func checksum(_ data: Data, initial: UInt32 = 0) -> UInt32 {
        let t = tables
        var crc: UInt32 = initial ^ 0xFFFF_FFFF
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let p = raw.bindMemory(to: UInt8.self)
            var i = 0
            let n = p.count
            t[0].withUnsafeBufferPointer { t0 in t[1].withUnsafeBufferPointer { t1 in t[2].withUnsafeBufferPointer { t2 in
            t[3].withUnsafeBufferPointer { t3 in t[4].withUnsafeBufferPointer { t4 in t[5].withUnsafeBufferPointer { t5 in
            t[6].withUnsafeBufferPointer { t6 in t[7].withUnsafeBufferPointer { t7 in
                while i + 8 <= n {
                    let a = crc ^ (UInt32(p[i]) | UInt32(p[i + 1]) << 8 | UInt32(p[i + 2]) << 16 | UInt32(p[i + 3]) << 24)
                    crc = t7[Int(a & 0xFF)] ^ t6[Int((a >> 8) & 0xFF)] ^ t5[Int((a >> 16) & 0xFF)] ^ t4[Int(a >> 24)]
                        ^ t3[Int(p[i + 4])] ^ t2[Int(p[i + 5])] ^ t1[Int(p[i + 6])] ^ t0[Int(p[i + 7])]
                    i += 8
                }
                while i < n { crc = t0[Int((crc ^ UInt32(p[i])) & 0xFF)] ^ (crc >> 8); i += 1 }
            } } } } } } } }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
