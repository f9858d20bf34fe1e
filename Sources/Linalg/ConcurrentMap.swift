import Dispatch
import Foundation

extension Array where Element: Sendable {
    /// `map` with the elements on all cores (DispatchQueue.concurrentPerform), results in order; the
    /// first error (in element order) is rethrown. For independent, coarse pieces of work (one
    /// recursion per input pair, say), not for fine-grained loops.
    public func concurrentMap<T: Sendable>(_ transform: @Sendable (Element) throws -> T) throws -> [T] {
        let slots = Slots<T>(count: count)
        let elements = self
        DispatchQueue.concurrentPerform(iterations: count) { i in slots.set(i, Result { try transform(elements[i]) }) }
        return try slots.values()
    }
}

private final class Slots<T: Sendable>: @unchecked Sendable {
    private var results: [Result<T, Error>?]
    private let lock = NSLock()
    init(count: Int) { results = [Result<T, Error>?](repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<T, Error>) { lock.lock(); results[i] = r; lock.unlock() }
    func values() throws -> [T] { try results.map { try $0!.get() } }
}
