import Foundation

/// Output files are written under a temporary name in the same directory and renamed into place
/// only when complete, so a failed or interrupted run leaves no partial file.
public enum AtomicFile {
    public static func write(_ path: String, _ body: (FileHandle) throws(DataError) -> Void) throws(DataError) {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw .unwritable(path: path, reason: "directory \(dir) does not exist")
        }
        let tmp = dir + "/." + url.lastPathComponent + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        guard FileManager.default.createFile(atPath: tmp, contents: nil), let handle = FileHandle(forWritingAtPath: tmp) else {
            throw .unwritable(path: path, reason: "cannot create a file in \(dir)")
        }
        do {
            try body(handle)
            try? handle.close()
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: tmp)
            throw error
        }
        if rename(tmp, path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: tmp)
            throw .unwritable(path: path, reason: reason)
        }
    }

    /// Write `data` atomically.
    public static func write(_ path: String, data: Data) throws(DataError) {
        try write(path) { (h: FileHandle) throws(DataError) in
            do { try h.write(contentsOf: data) } catch { throw .unwritable(path: path, reason: "\(error)") }
        }
    }
}
