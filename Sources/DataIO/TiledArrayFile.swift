import Foundation

/// An .npy (one array) or .npz (several, stored) file of float64 C-order matrices whose shapes are known in advance,
/// filled by blocks in any order and never held in memory: the file is laid out and sized at creation, blocks are
/// written at their offsets (pwrite), and `finish` computes the zip CRCs by one sequential read, writes the central
/// directory (ZIP64 when a member or an offset passes 4 GiB, as `numpy.load` and Python's zipfile read it) and renames
/// the temporary file into place. `cancel` (or deinit without `finish`) removes the temporary file, so an interrupted
/// run leaves no partial output.
public final class TiledArrayFile {
    public struct Member: Sendable {
        public var name: String, rows: Int, cols: Int
        public init(name: String, rows: Int, cols: Int) { self.name = name; self.rows = rows; self.cols = cols }
    }

    let path: String
    /// The file being filled (next to `path`, renamed to it by `finish`).
    public let temporaryPath: String
    let members: [Member]
    let isZip: Bool
    let fd: Int32
    /// Per member: offset of its local zip header (zip only), of its .npy header, of its first payload byte.
    var localOffsets: [UInt64] = [], headerOffsets: [UInt64] = [], payloadOffsets: [UInt64] = []
    var headers: [Data] = []
    var finished = false
    /// The file's full size.
    let size: UInt64

    /// Lay out `members` in a new temporary file next to `path` (.npz: a zip of NAME.npy members; otherwise one .npy
    /// and exactly one member). `temporary` names it (in `path`'s directory, so that the rename is atomic); by default
    /// a hidden name with the process id.
    public convenience init(path: String, members: [Member], temporary: String? = nil) throws(DataError) {
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let name = temporary ?? (dir + "/." + URL(fileURLWithPath: path).lastPathComponent + ".tmp-\(ProcessInfo.processInfo.processIdentifier)")
        try self.init(path: path, members: members, temporary: name, create: true)
    }

    /// Continue filling a temporary file laid out by `init(path:members:temporary:)` for the same members — by another
    /// process (an MPI rank writing its tiles, or a resumed run). Its size and array headers must match the layout.
    public convenience init(attaching temporary: String, path: String, members: [Member]) throws(DataError) {
        try self.init(path: path, members: members, temporary: temporary, create: false)
    }

    init(path: String, members: [Member], temporary: String, create: Bool) throws(DataError) {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw .unwritable(path: path, reason: "directory \(dir) does not exist")
        }
        isZip = url.pathExtension.lowercased() == "npz"
        guard isZip || members.count == 1 else { throw .unsupported(path: path, reason: "an .npy file holds one array") }
        guard members.allSatisfy({ $0.rows > 0 && $0.cols > 0 }) else { throw .unsupported(path: path, reason: "empty array") }
        self.path = path
        self.members = members
        temporaryPath = temporary
        var offset: UInt64 = 0
        var prefixes: [Data] = []
        for m in members {
            let header = NPY.header(rows: m.rows, cols: m.cols)
            let payload = UInt64(header.count) + UInt64(m.rows) * UInt64(m.cols) * 8
            localOffsets.append(offset)
            let local = isZip ? Self.localHeader(name: m.name, crc: 0, size: payload) : Data()
            headers.append(header)
            prefixes.append(local + header)
            headerOffsets.append(offset + UInt64(local.count))
            payloadOffsets.append(offset + UInt64(local.count) + UInt64(header.count))
            offset += UInt64(local.count) + payload
        }
        size = offset
        if create {
            fd = open(temporary, O_RDWR | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else { finished = true; throw .unwritable(path: path, reason: String(cString: strerror(errno))) }
            // Failures below remove the file here; `finished` keeps deinit from closing the descriptor again.
            do {
                for (k, prefix) in prefixes.enumerated() { try pwriteAll(prefix, at: localOffsets[k]) }
            } catch { close(fd); unlink(temporaryPath); finished = true; throw error }
            // Size the file now (sparse until written), so a full disk shows up before hours of work where possible.
            if ftruncate(fd, off_t(offset)) != 0 {
                let reason = String(cString: strerror(errno))
                close(fd); unlink(temporaryPath); finished = true
                throw .unwritable(path: path, reason: reason)
            }
        } else {
            fd = open(temporary, O_RDWR)
            guard fd >= 0 else { finished = true; throw .unreadable(path: temporary, reason: String(cString: strerror(errno))) }
            var st = stat()
            var matches = fstat(fd, &st) == 0 && UInt64(st.st_size) == offset
            for (k, header) in headers.enumerated() where matches {
                var back = [UInt8](repeating: 0, count: header.count)
                let n = back.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, header.count, off_t(headerOffsets[k])) }
                matches = n == header.count && Data(back) == header
            }
            guard matches else {
                close(fd)
                finished = true
                throw .malformed(path: temporary, reason: "not the partial file of these arrays (size or array header differs)")
            }
        }
    }

    deinit { if !finished { cancel() } }

    /// Write `count` consecutive values of row `row` of member `member`, starting at column `col`.
    public func write(member: Int, row: Int, col: Int, values: UnsafeBufferPointer<Double>) throws(DataError) {
        let m = members[member]
        precondition(row >= 0 && row < m.rows && col >= 0 && col + values.count <= m.cols, "block outside the array")
        let at = payloadOffsets[member] + (UInt64(row) * UInt64(m.cols) + UInt64(col)) * 8
        #if _endian(little)
        try pwriteAll(UnsafeRawBufferPointer(values), at: at)
        #else
        var le = values.map { $0.bitPattern.littleEndian }
        do { try le.withUnsafeBytes { try pwriteAll($0, at: at) } } catch let e as DataError { throw e } catch { throw .unwritable(path: path, reason: "\(error)") }
        #endif
    }

    func pwriteAll(_ data: Data, at offset: UInt64) throws(DataError) {
        do {
            try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in try pwriteAll(raw, at: offset) }
        } catch let e as DataError { throw e } catch { throw .unwritable(path: path, reason: "\(error)") }
    }

    func pwriteAll(_ raw: UnsafeRawBufferPointer, at offset: UInt64) throws(DataError) {
        var done = 0
        while done < raw.count {
            let n = pwrite(fd, raw.baseAddress! + done, raw.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .unwritable(path: path, reason: String(cString: strerror(errno)))
            }
            done += n
        }
    }

    /// Complete the file (zip CRCs and central directory) and rename it into place.
    public func finish() throws(DataError) {
        precondition(!finished, "finish called twice")
        if isZip {
            var central = Data()
            var end = payloadOffsets.last! + UInt64(members.last!.rows) * UInt64(members.last!.cols) * 8
            for (k, m) in members.enumerated() {
                let size = UInt64(headers[k].count) + UInt64(m.rows) * UInt64(m.cols) * 8
                let crc = try checksum(from: headerOffsets[k], count: size)
                try pwriteAll(Self.localHeader(name: m.name, crc: crc, size: size), at: localOffsets[k])
                central.append(Self.centralEntry(name: m.name, crc: crc, size: size, offset: localOffsets[k]))
            }
            let centralOffset = end
            var tail = central
            let zip64 = centralOffset >= 0xFFFF_FFFF || members.count >= 0xFFFF
            if zip64 {
                let record = end + UInt64(central.count)
                tail.appendLE(UInt32(0x0606_4B50)); tail.appendLE(UInt64(44))
                tail.appendLE(UInt16(45)); tail.appendLE(UInt16(45)); tail.appendLE(UInt32(0)); tail.appendLE(UInt32(0))
                tail.appendLE(UInt64(members.count)); tail.appendLE(UInt64(members.count))
                tail.appendLE(UInt64(central.count)); tail.appendLE(centralOffset)
                tail.appendLE(UInt32(0x0706_4B50)); tail.appendLE(UInt32(0)); tail.appendLE(record); tail.appendLE(UInt32(1))
            }
            tail.appendLE(UInt32(0x0605_4B50)); tail.appendLE(UInt16(0)); tail.appendLE(UInt16(0))
            tail.appendLE(UInt16(min(members.count, 0xFFFF))); tail.appendLE(UInt16(min(members.count, 0xFFFF)))
            tail.appendLE(UInt32(central.count)); tail.appendLE(UInt32(min(centralOffset, 0xFFFF_FFFF)))
            tail.appendLE(UInt16(0))
            try pwriteAll(tail, at: end)
            end += UInt64(tail.count)
        }
        if fsync(fd) != 0 || close(fd) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            finished = true
            throw .unwritable(path: path, reason: reason)
        }
        finished = true
        if rename(temporaryPath, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw .unwritable(path: path, reason: reason)
        }
    }

    /// Flush the written blocks to disk (before a checkpoint records them as done).
    public func sync() throws(DataError) {
        guard fsync(fd) == 0 else { throw .unwritable(path: temporaryPath, reason: String(cString: strerror(errno))) }
    }

    /// Flush and close the file, keeping the temporary file for another process (or a resumed run) to finish.
    public func release() throws(DataError) {
        guard !finished else { return }
        finished = true
        let ok = fsync(fd) == 0
        let reason = ok ? "" : String(cString: strerror(errno))
        close(fd)
        guard ok else { throw .unwritable(path: temporaryPath, reason: reason) }
    }

    /// Remove the temporary file (nothing is left at `path`).
    public func cancel() {
        guard !finished else { return }
        finished = true
        close(fd)
        unlink(temporaryPath)
    }

    /// CRC-32 of `count` bytes from `offset`, read in 16 MiB pieces.
    func checksum(from offset: UInt64, count: UInt64) throws(DataError) -> UInt32 {
        var crc: UInt32 = 0
        var done: UInt64 = 0
        let piece = 16 << 20
        var buffer = [UInt8](repeating: 0, count: piece)
        while done < count {
            let want = Int(min(UInt64(piece), count - done))
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, want, off_t(offset + done)) }
            guard n > 0 else { throw .unwritable(path: path, reason: "could not read back the file to checksum it") }
            crc = buffer.withUnsafeBytes { CRC32.checksum(Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: $0.baseAddress!), count: n, deallocator: .none), initial: crc) }
            done += UInt64(n)
        }
        return crc
    }

    /// A zip local file header for a stored member (ZIP64 sizes when ≥ 4 GiB; always the same length for one size).
    static func localHeader(name: String, crc: UInt32, size: UInt64) -> Data {
        let fileName = Array((name + ".npy").utf8)
        let big = size >= 0xFFFF_FFFF
        var d = Data()
        d.appendLE(UInt32(0x0403_4B50))
        d.appendLE(UInt16(big ? 45 : 20)); d.appendLE(UInt16(0)); d.appendLE(UInt16(0))
        d.appendLE(UInt16(0)); d.appendLE(UInt16(0x21))
        d.appendLE(crc)
        d.appendLE(UInt32(big ? 0xFFFF_FFFF : size)); d.appendLE(UInt32(big ? 0xFFFF_FFFF : size))
        d.appendLE(UInt16(fileName.count)); d.appendLE(UInt16(big ? 20 : 0))
        d.append(contentsOf: fileName)
        if big { d.appendLE(UInt16(1)); d.appendLE(UInt16(16)); d.appendLE(size); d.appendLE(size) }
        return d
    }

    static func centralEntry(name: String, crc: UInt32, size: UInt64, offset: UInt64) -> Data {
        let fileName = Array((name + ".npy").utf8)
        let bigSize = size >= 0xFFFF_FFFF, bigOffset = offset >= 0xFFFF_FFFF
        var extra = Data()
        if bigSize || bigOffset {
            var fields = Data()
            if bigSize { fields.appendLE(size); fields.appendLE(size) }
            if bigOffset { fields.appendLE(offset) }
            extra.appendLE(UInt16(1)); extra.appendLE(UInt16(fields.count)); extra.append(fields)
        }
        var d = Data()
        d.appendLE(UInt32(0x0201_4B50))
        d.appendLE(UInt16(extra.isEmpty ? 20 : 45)); d.appendLE(UInt16(extra.isEmpty ? 20 : 45)); d.appendLE(UInt16(0)); d.appendLE(UInt16(0))
        d.appendLE(UInt16(0)); d.appendLE(UInt16(0x21))
        d.appendLE(crc)
        d.appendLE(UInt32(bigSize ? 0xFFFF_FFFF : size)); d.appendLE(UInt32(bigSize ? 0xFFFF_FFFF : size))
        d.appendLE(UInt16(fileName.count)); d.appendLE(UInt16(extra.count)); d.appendLE(UInt16(0))
        d.appendLE(UInt16(0)); d.appendLE(UInt16(0)); d.appendLE(UInt32(0))
        d.appendLE(UInt32(bigOffset ? 0xFFFF_FFFF : offset))
        d.append(contentsOf: fileName)
        d.append(extra)
        return d
    }
}
