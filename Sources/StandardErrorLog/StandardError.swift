#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Lines for the process's standard error, the log of `jobs-fcgi` and the worker (the journal under systemd).
public enum StandardError {
    /// The longest line written, in bytes; longer lines are cut (and end with `…`). Lines up to `PIPE_BUF`
    /// (4096 bytes on Linux) reach a pipe in one piece even when several threads write at once.
    public static let maximumLineLength = 4000

    /// Writes `line` and a newline with a single `write(2)`, so that lines from different threads never
    /// interleave. Control characters in `line` (a newline included) are written as `\u{…}` escapes, so one call
    /// is always one line. Errors are ignored: logging must never stop the server.
    public static func writeLine(_ line: String) {
        writeLine(line, prefix: "")
    }

    /// Writes `prefix + line` as ``writeLine(_:)`` does, without building that string first. The prefix (a process
    /// tag such as `jobs-fcgi[PID]: `) is escaped and counted like the rest of the line.
    public static func writeLine(_ line: String, prefix: String) {
        var line = line
        line.withUTF8 { writeLine(utf8: $0, prefix: prefix) }
    }

    /// Writes `prefix` and the UTF-8 bytes of `line` as ``writeLine(_:prefix:)`` does: for callers that build the
    /// line as bytes, which costs less than building a `String`.
    public static func writeLine(utf8 line: UnsafeBufferPointer<UInt8>, prefix: String) {
        let bytes = formattedLine(utf8: line, prefix: prefix)
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let written = write(2, base + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }

    /// The bytes ``writeLine(utf8:prefix:)`` writes: `prefix` and `line` with control characters escaped, cut
    /// to ``maximumLineLength`` bytes, and a newline.
    public static func formattedLine(utf8 line: UnsafeBufferPointer<UInt8>, prefix: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var prefix = prefix
        bytes.reserveCapacity(prefix.utf8.count + line.count + 1)
        prefix.withUTF8 { appendEscaped($0, to: &bytes) }
        appendEscaped(line, to: &bytes)
        if bytes.count > maximumLineLength {
            var cut = maximumLineLength - 3
            // Do not split a UTF-8 sequence: back up to the start of a scalar.
            while cut > 0 && bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
            bytes.removeSubrange(cut...)
            bytes.append(contentsOf: "…".utf8)
        }
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// Appends `text` to `bytes`, each control character as a `\u{…}` escape (lowercase hex without leading zeros,
    /// as `String(_:radix: 16)` writes it) and the runs between them copied whole. Byte by byte is right: every
    /// control character is one ASCII byte, and no byte of a multi-byte UTF-8 sequence is below 0x80.
    private static func appendEscaped(_ text: UnsafeBufferPointer<UInt8>, to bytes: inout [UInt8]) {
        var runStart = 0
        for index in text.indices where text[index] < 0x20 || text[index] == 0x7F {
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[runStart..<index]))
            let byte = text[index]
            let digit = { (value: UInt8) in value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10 }
            bytes.append(contentsOf: "\\u{".utf8)
            if byte >= 0x10 { bytes.append(digit(byte >> 4)) }
            bytes.append(digit(byte & 0x0F))
            bytes.append(UInt8(ascii: "}"))
            runStart = index + 1
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[runStart...]))
    }
}
