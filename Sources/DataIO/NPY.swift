import Foundation
import Linalg

/// NumPy's .npy format (version 1.0/2.0/3.0 headers): read float64/float32/int little- or
/// big-endian arrays of rank 0–2, C or Fortran order; write float64 C-order arrays that
/// `numpy.load` reads back bit for bit.
public enum NPY {
    public static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

    /// The .npy header (magic, version 1.0, padded dict) for a float64 C-order array.
    public static func header(_ m: Matrix, asVector: Bool = false) -> Data {
        header(shape: asVector ? "(\(m.storage.count),)" : "(\(m.rows), \(m.cols))")
    }

    /// The header of a rows × cols float64 C-order array (for arrays written by blocks, never held in memory).
    public static func header(rows: Int, cols: Int) -> Data { header(shape: "(\(rows), \(cols))") }

    static func header(shape: String) -> Data {
        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': \(shape), }"
        // Pad so that magic(6) + version(2) + len(2) + header + \n is a multiple of 64.
        let total = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var data = Data(magic)
        data.append(contentsOf: [1, 0])
        let len = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(len & 0xFF), UInt8(len >> 8)])
        data.append(contentsOf: Array(header.utf8))
        return data
    }

    /// Write the array's little-endian float64 bytes straight from its storage (no copy on
    /// little-endian machines).
    public static func writePayload(_ m: Matrix, to handle: FileHandle) throws {
        #if _endian(little)
        try m.storage.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, raw.count > 0 else { return }
            try handle.write(contentsOf: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: raw.count, deallocator: .none))
        }
        #else
        try handle.write(contentsOf: payload(m))
        #endif
    }

    /// CRC-32 of the array's payload bytes, continuing from `initial`.
    static func payloadCRC(_ m: Matrix, initial: UInt32) -> UInt32 {
        #if _endian(little)
        return m.storage.withUnsafeBytes { raw in
            raw.baseAddress.map { CRC32.checksum(Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: $0), count: raw.count, deallocator: .none), initial: initial) } ?? initial
        }
        #else
        return CRC32.checksum(payload(m), initial: initial)
        #endif
    }

    /// The array's little-endian float64 bytes (its storage as is on little-endian machines).
    public static func payload(_ m: Matrix) -> Data {
        #if _endian(little)
        return m.storage.withUnsafeBytes { Data($0) }
        #else
        var data = Data(capacity: m.storage.count * 8)
        for v in m.storage { var le = v.bitPattern.littleEndian; withUnsafeBytes(of: &le) { data.append(contentsOf: $0) } }
        return data
        #endif
    }

    /// Encode a matrix (rank 2) or, with `asVector` and one row/column, a rank-1 array.
    public static func encode(_ m: Matrix, asVector: Bool = false) -> Data {
        var data = header(m, asVector: asVector)
        data.append(payload(m))
        return data
    }

    public static func decode(_ data: Data, name: String = ".npy") throws(DataError) -> Matrix {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw .malformed(path: name, reason: "not a .npy file (bad magic bytes)")
        }
        let major = bytes[6]
        var offset: Int
        var headerLen: Int
        switch major {
        case 1:
            headerLen = Int(bytes[8]) | Int(bytes[9]) << 8
            offset = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw .malformed(path: name, reason: "truncated header") }
            headerLen = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            offset = 12
        default:
            throw .unsupported(path: name, reason: ".npy version \(major)")
        }
        guard headerLen >= 0, offset + headerLen <= bytes.count,
              let header = String(bytes: bytes[offset..<(offset + headerLen)], encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw .malformed(path: name, reason: "truncated header")
        }
        offset += headerLen
        let descr = try field(header, "descr", name)
        let fortran = try field(header, "fortran_order", name) == "True"
        let shapeText = try field(header, "shape", name)
        let dims = try parseShape(shapeText, name)
        guard dims.count <= 2 else { throw .unsupported(path: name, reason: "array of rank \(dims.count); expected 1 or 2") }
        let (rows, cols) = dims.count == 2 ? (dims[0], dims[1]) : (dims.count == 1 ? (dims[0], 1) : (1, 1))
        let (count, overflow) = rows.multipliedReportingOverflow(by: cols)
        guard !overflow else { throw .malformed(path: name, reason: "shape \(shapeText) is too large") }
        // An empty array is no input to anything here, and a shape like (0, 10¹⁴) would carry a huge loop bound on.
        guard count > 0 else { throw .malformed(path: name, reason: "empty array (shape \(shapeText))") }
        let reader = try elementReader(descr, name)
        // The payload size in bytes: a shape whose count fits an Int may still overflow it times the element size.
        let (needed, tooLarge) = count.multipliedReportingOverflow(by: reader.size)
        guard !tooLarge else { throw .malformed(path: name, reason: "shape \(shapeText) is too large") }
        guard bytes.count - offset >= needed else {
            throw .malformed(path: name, reason: "truncated data: \(count) elements of \(reader.size) bytes need \(needed) bytes, have \(bytes.count - offset)")
        }
        var values = [Double](repeating: 0, count: count)
        bytes.withUnsafeBufferPointer { buf in
            let base = buf.baseAddress! + offset
            for k in 0..<count { values[k] = reader.read(base + k * reader.size) }
        }
        var m = try! Matrix(rows: rows, cols: cols, storage: values)
        if fortran && dims.count == 2 {
            m = try! Matrix(rows: cols, cols: rows, storage: values).transposed
        }
        return m
    }

    struct ElementReader {
        let size: Int
        let read: (UnsafePointer<UInt8>) -> Double
    }

    static func elementReader(_ descr: String, _ name: String) throws(DataError) -> ElementReader {
        let d = descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\" "))
        guard d.count >= 3 else { throw .unsupported(path: name, reason: "dtype '\(d)'") }
        let order = d.first!
        let kind = d.dropFirst().first!
        guard let size = Int(d.dropFirst(2)) else { throw .unsupported(path: name, reason: "dtype '\(d)'") }
        let big = order == ">"
        guard order == "<" || order == ">" || order == "|" || order == "=" else { throw .unsupported(path: name, reason: "dtype '\(d)'") }
        func load<T: FixedWidthInteger>(_: T.Type, _ p: UnsafePointer<UInt8>) -> T {
            var v: T = 0
            withUnsafeMutableBytes(of: &v) { dst in dst.copyMemory(from: UnsafeRawBufferPointer(start: p, count: MemoryLayout<T>.size)) }
            return big ? T(bigEndian: v) : T(littleEndian: v)
        }
        switch (kind, size) {
        case ("f", 8): return ElementReader(size: 8) { Double(bitPattern: load(UInt64.self, $0)) }
        case ("f", 4): return ElementReader(size: 4) { Double(Float(bitPattern: load(UInt32.self, $0))) }
        case ("i", 8): return ElementReader(size: 8) { Double(Int64(bitPattern: load(UInt64.self, $0))) }
        case ("i", 4): return ElementReader(size: 4) { Double(Int32(bitPattern: load(UInt32.self, $0))) }
        case ("i", 2): return ElementReader(size: 2) { Double(Int16(bitPattern: load(UInt16.self, $0))) }
        case ("i", 1): return ElementReader(size: 1) { Double(Int8(bitPattern: $0.pointee)) }
        case ("u", 1), ("b", 1): return ElementReader(size: 1) { Double($0.pointee) }
        default: throw .unsupported(path: name, reason: "dtype '\(d)'; use float64, float32 or an integer type")
        }
    }

    static func field(_ header: String, _ key: String, _ name: String) throws(DataError) -> String {
        guard let r = header.range(of: "'\(key)'") else { throw .malformed(path: name, reason: "header lacks '\(key)'") }
        var rest = header[r.upperBound...].drop { $0 == " " }
        guard rest.first == ":" else { throw .malformed(path: name, reason: "header is not a dict") }
        rest = rest.dropFirst().drop { $0 == " " }
        if rest.first == "(" {
            guard let close = rest.firstIndex(of: ")") else { throw .malformed(path: name, reason: "unterminated shape") }
            return String(rest[rest.startIndex...close])
        }
        let end = rest.firstIndex { $0 == "," || $0 == "}" } ?? rest.endIndex
        return String(rest[..<end]).trimmingCharacters(in: .whitespaces)
    }

    static func parseShape(_ text: String, _ name: String) throws(DataError) -> [Int] {
        let inner = text.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
        if inner.isEmpty { return [] }
        var dims: [Int] = []
        for part in inner.split(separator: ",") {
            let t = part.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { continue }
            guard let v = Int(t), v >= 0 else { throw .malformed(path: name, reason: "bad shape \(text)") }
            dims.append(v)
        }
        return dims
    }
}
