import Foundation
import Linalg

/// Numeric CSV: one input per row, comma-separated; a first row that is not numeric is a header.
/// Blank lines are skipped; every row must have the same number of fields; NaN and Inf are
/// rejected with the row and column named.
public enum CSV {
    public struct Table: Sendable {
        public var header: [String]?
        public var matrix: Matrix
    }

    public static func read(path: String) throws(DataError) -> Table {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path: path, reason: FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw .malformed(path: path, reason: "not UTF-8 text") }
        return try parse(text, name: path)
    }

    public static func parse(_ text: String, name: String = "CSV") throws(DataError) -> Table {
        var header: [String]?
        var rows: [[Double]] = []
        var width = -1
        var lineNumber = 0
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            let line = rawLine.trimmingCharacters(in: CharacterSet(charactersIn: " \t\r\u{FEFF}"))
            if line.isEmpty { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            var values: [Double] = []
            values.reserveCapacity(fields.count)
            var numeric = true
            for f in fields {
                if let v = Double(f) { values.append(v) } else { numeric = false; break }
            }
            if !numeric {
                if rows.isEmpty && header == nil {
                    header = fields
                    width = fields.count
                    continue
                }
                let bad = fields.firstIndex { Double($0) == nil } ?? 0
                throw .malformed(path: name, reason: "line \(lineNumber), column \(bad + 1): '\(fields[bad])' is not a number")
            }
            if width < 0 { width = values.count }
            guard values.count == width else {
                throw .malformed(path: name, reason: "ragged rows: line \(lineNumber) has \(values.count) fields, expected \(width)")
            }
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw .malformed(path: name, reason: "line \(lineNumber), column \(bad + 1) is \(values[bad]) (NaN/Inf not allowed)")
            }
            rows.append(values)
        }
        guard !rows.isEmpty else { throw .malformed(path: name, reason: "no numeric rows") }
        let m = try! Matrix(rows)  // widths checked above
        return Table(header: header, matrix: m)
    }

    /// CSV text of a matrix (full precision, round-trips through `Double(_:)` and numpy.loadtxt).
    public static func format(_ m: Matrix, header: [String]? = nil) -> String {
        var out = ""
        if let header { out += header.joined(separator: ",") + "\n" }
        for i in 0..<m.rows {
            out += (0..<m.cols).map { "\(m[i, $0])" }.joined(separator: ",")
            out += "\n"
        }
        return out
    }
}
