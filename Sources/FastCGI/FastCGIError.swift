#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the server could not start or had to stop. The message names the operation and the system's own
/// error text, for the operator.
public struct FastCGIError: Error, CustomStringConvertible, Sendable {
    /// The `errno` value behind the failure, if any.
    public var code: Int32?
    /// What failed, in words.
    public var message: String

    init(_ message: String, code: Int32? = nil) {
        self.message = message
        self.code = code
    }

    /// An error from a failed system call: `what` followed by `strerror(code)`.
    static func system(_ what: String, code: Int32 = errno) -> FastCGIError {
        FastCGIError("\(what): \(text(ofErrno: code))", code: code)
    }

    /// The system's text for an `errno` value. The corresponding C function is `strerror`.
    static func text(ofErrno code: Int32) -> String {
        String(cString: strerror(code))
    }

    public var description: String { message }
}
