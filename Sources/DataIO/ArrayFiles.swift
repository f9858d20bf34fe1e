import Foundation
import Linalg

/// Output formats of `dlt`: JSON (default), CSV, .npy (one array) and .npz (every array by name).
public enum OutputFormat: String, CaseIterable, Sendable {
    case json, csv, npy, npz

    /// The format named by `--format`, or else by the output file's extension, or JSON.
    public static func resolve(explicit: String?, path: String?) throws(DataError) -> OutputFormat {
        if let e = explicit {
            guard let f = OutputFormat(rawValue: e.lowercased()) else {
                throw .unsupported(path: "--format \(e)", reason: "formats are json, csv, npy, npz")
            }
            return f
        }
        if let p = path {
            let ext = URL(fileURLWithPath: p).pathExtension.lowercased()
            if let f = OutputFormat(rawValue: ext) { return f }
            if !ext.isEmpty { throw .unsupported(path: p, reason: "unknown extension .\(ext); use --format json|csv|npy|npz") }
        }
        return .json
    }
}

/// Reading input matrices (rows = inputs) from CSV, .npy or .npz (its first array).
public enum ArrayFiles {
    public static func readMatrix(path: String) throws(DataError) -> Matrix {
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        switch ext {
        case "npy":
            guard let data = FileManager.default.contents(atPath: path) else {
                throw .unreadable(path: path, reason: FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")
            }
            let m = try NPY.decode(data, name: path)
            guard m.isFinite else { throw .malformed(path: path, reason: "contains NaN or Inf") }
            return m
        case "npz":
            let arrays = try NPZ.read(path: path)
            guard let first = arrays.first else { throw .malformed(path: path, reason: "no arrays") }
            guard first.matrix.isFinite else { throw .malformed(path: path, reason: "contains NaN or Inf") }
            return first.matrix
        default:
            return try CSV.read(path: path).matrix
        }
    }

    /// Write named arrays in `format` to `path` (atomically). JSON writes `extra` keys too;
    /// CSV and .npy write the single array `pick` (or the only one).
    public static func write(_ arrays: [(name: String, matrix: Matrix)], extra: [(String, JSONValue)] = [],
                             format: OutputFormat, path: String, pick: String? = nil) throws(DataError) {
        switch format {
        case .json:
            let doc = JSONValue.object(arrays.map { ($0.name, JSONValue.matrix($0.matrix)) } + extra)
            try AtomicFile.write(path, data: Data((doc.serialized() + "\n").utf8))
        case .npz:
            try NPZ.write(arrays, to: path)
        case .csv, .npy:
            let chosen = try choose(arrays, pick: pick, format: format)
            if format == .csv {
                try AtomicFile.write(path, data: Data(CSV.format(chosen).utf8))
            } else {
                try AtomicFile.write(path) { (h: FileHandle) throws(DataError) in
                    do {
                        try h.write(contentsOf: NPY.header(chosen))
                        try NPY.writePayload(chosen, to: h)
                    } catch { throw .unwritable(path: path, reason: "\(error)") }
                }
            }
        }
    }

    public static func choose(_ arrays: [(name: String, matrix: Matrix)], pick: String?, format: OutputFormat) throws(DataError) -> Matrix {
        if let pick {
            guard let m = arrays.first(where: { $0.name == pick })?.matrix else {
                throw .unsupported(path: "--get \(pick)", reason: "available: \(arrays.map(\.name).joined(separator: ", "))")
            }
            return m
        }
        guard arrays.count == 1 else {
            throw .unsupported(path: "--format \(format.rawValue)", reason: "holds one array; pick it with --get \(arrays.map(\.name).joined(separator: "|")) or use .npz")
        }
        return arrays[0].matrix
    }
}
