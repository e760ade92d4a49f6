#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failure of the worker itself (not of a job): a system call that failed, a configuration it cannot use.
public struct WorkerError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, for the operator.
    public var description: String

    /// An error that says `description`.
    public init(_ description: String) {
        self.description = description
    }

    /// A failed system call: `operation` and the C library's text for `code` (an `errno` value).
    static func system(_ operation: String, code: Int32 = errno) -> WorkerError {
        WorkerError("\(operation): \(String(cString: strerror(code)))")
    }
}
