import Foundation

/// A value shared by threads, only ever touched with its lock held.
package final class Locked<Value: Sendable>: @unchecked Sendable {
    // Safe to share: `value` is only read or written inside `withLock`.
    private let lock = NSLock()
    private var value: Value

    /// A lock around `value`.
    package init(_ value: Value) { self.value = value }

    /// Runs `body` on the value with the lock held and returns what it returns.
    package func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    /// A copy of the value now.
    package var current: Value { withLock { $0 } }
}
