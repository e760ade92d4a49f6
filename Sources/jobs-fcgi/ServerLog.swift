import StandardErrorLog

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's log on standard error: one line per event, each prefixed `jobs-fcgi[PID]: ` and written with a
/// single `write(2)`, so that lines from different threads never interleave.
struct ServerLog: Sendable {
    let prefix = "jobs-fcgi[\(getpid())]: "

    func write(_ message: String) {
        StandardError.writeLine(message, prefix: prefix)
    }

    func write(_ line: LogLine) {
        line.bytes.withUnsafeBufferPointer { StandardError.writeLine(utf8: $0, prefix: prefix) }
    }
}

/// A log line built as UTF-8 bytes, for the line written on every request.
struct LogLine {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    mutating func append(contentsOf text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    mutating func append(contentsOf text: Substring) {
        bytes.append(contentsOf: text.utf8)
    }

    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Appends the decimal digits of `value` (with a `-` when negative).
    mutating func append(decimal value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let start = bytes.count
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[start...].reverse()
    }
}
