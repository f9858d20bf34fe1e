/// Errors of the dense linear-algebra layer; each message names the problem and, where there is one,
/// the fix.
public enum LinalgError: Error, Equatable, CustomStringConvertible, Sendable {
    case shapeMismatch(String)
    /// Cholesky failed: the leading minor of order `minor` (1-based) is not positive.
    case notPositiveDefinite(minor: Int, size: Int, jitterTried: Double)
    /// A (triangular or general) system is singular at the given pivot (1-based).
    case singular(pivot: Int, size: Int)
    case lapackFailure(routine: String, info: Int)
    case nonFinite(String)

    public var description: String {
        switch self {
        case .shapeMismatch(let what):
            return "shape mismatch: \(what)"
        case let .notPositiveDefinite(minor, size, jitter):
            let tried = jitter > 0 ? " even with jitter \(jitter) added to the diagonal" : ""
            return "the \(size)×\(size) matrix is not positive definite (leading minor \(minor) is not positive)\(tried); "
                + "add a diagonal regularizer (jitter / --diag-reg) or remove duplicate inputs"
        case let .singular(pivot, size):
            return "the \(size)×\(size) system is singular (zero pivot at \(pivot)); add a diagonal regularizer"
        case let .lapackFailure(routine, info):
            return "LAPACK \(routine) failed with info = \(info)"
        case .nonFinite(let what):
            return "non-finite value (NaN or Inf) in \(what)"
        }
    }
}
