/// Errors reading or writing user data; each names the file and the problem.
public enum DataError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case malformed(path: String, reason: String)
    case unsupported(path: String, reason: String)
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(p, r): return "cannot read \(p): \(r)"
        case let .malformed(p, r): return "malformed \(p): \(r)"
        case let .unsupported(p, r): return "unsupported \(p): \(r)"
        case let .unwritable(p, r): return "cannot write \(p): \(r)"
        }
    }
}
