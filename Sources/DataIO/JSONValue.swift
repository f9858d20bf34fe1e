import Foundation
import Linalg

/// A JSON document with ordered keys, written with full double precision (shortest round-trip
/// representation); non-finite numbers are written as null.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case int(Int)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool { a.serialized() == b.serialized() }

    public static func matrix(_ m: Matrix) -> JSONValue { .array((0..<m.rows).map { i in .array((0..<m.cols).map { .number(m[i, $0]) }) }) }
    public static func vector(_ v: [Double]) -> JSONValue { .array(v.map { .number($0) }) }
    public static func optional(_ x: Double?) -> JSONValue { x.map { .number($0) } ?? .null }

    /// Any Encodable value, through JSONEncoder (for records whose Codable form is the contract).
    public static func encoded<T: Encodable>(_ value: T) throws -> JSONValue {
        let data = try JSONEncoder().encode(value)
        return try parse(data)
    }

    /// Parse JSON text (numbers become `.number`; object keys are sorted).
    public static func parse(_ data: Data) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// The value as a number (`.number` or `.int`). `null`, which is how non-finite numbers are written, gives `null`
    /// when that is given (e.g. .nan), nil otherwise; every other kind gives nil.
    public func number(null: Double? = nil) -> Double? {
        switch self {
        case .number(let x): return x
        case .int(let i): return Double(i)
        case .null: return null
        default: return nil
        }
    }

    /// An array of numbers, each read as `number(null:)`; nil if this is not an array or an item is not a number.
    public func numbers(null: Double? = nil) -> [Double]? {
        guard case .array(let items) = self else { return nil }
        var out: [Double] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard let x = item.number(null: null) else { return nil }
            out.append(x)
        }
        return out
    }

    public subscript(key: String) -> JSONValue? {
        if case let .object(pairs) = self { return pairs.first { $0.0 == key }?.1 }
        return nil
    }

    public func serialized(pretty: Bool = false) -> String {
        var out = ""
        write(into: &out, indent: pretty ? 0 : nil)
        return out
    }

    func write(into out: inout String, indent: Int?) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .number(let x):
            if !x.isFinite { out += "null" } else if x == x.rounded(), Swift.abs(x) < 1e15 { out += String(Int(x)) + ".0" } else { out += "\(x)" }
        case .string(let s): JSONValue.escape(s, into: &out)
        case .array(let items):
            // Arrays of scalars stay on one line even when pretty.
            let flat = items.allSatisfy { if case .array = $0 { return false }; if case .object = $0 { return false }; return true }
            out += "["
            for (k, item) in items.enumerated() {
                if k > 0 { out += "," }
                if let ind = indent, !flat { out += "\n" + String(repeating: "  ", count: ind + 1) }
                item.write(into: &out, indent: indent.map { $0 + 1 })
            }
            if let ind = indent, !flat, !items.isEmpty { out += "\n" + String(repeating: "  ", count: ind) }
            out += "]"
        case .object(let pairs):
            out += "{"
            for (k, (key, value)) in pairs.enumerated() {
                if k > 0 { out += "," }
                if let ind = indent { out += "\n" + String(repeating: "  ", count: ind + 1) }
                JSONValue.escape(key, into: &out)
                out += indent == nil ? ":" : ": "
                value.write(into: &out, indent: indent.map { $0 + 1 })
            }
            if let ind = indent, !pairs.isEmpty { out += "\n" + String(repeating: "  ", count: ind) }
            out += "}"
        }
    }

    static func escape(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        out += "\""
    }
}

extension JSONValue: Decodable {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: Decoder) throws {
        if let c = try? decoder.container(keyedBy: Key.self) {
            self = .object(try c.allKeys.map(\.stringValue).sorted().map { ($0, try c.decode(JSONValue.self, forKey: Key(stringValue: $0))) })
            return
        }
        if var a = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !a.isAtEnd { items.append(try a.decode(JSONValue.self)) }
            self = .array(items)
            return
        }
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null } else if let b = try? c.decode(Bool.self) { self = .bool(b) } else if let x = try? c.decode(Double.self) {
            self = .number(x)
        } else { self = .string(try c.decode(String.self)) }
    }
}
