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
        var bytes: [UInt8] = []
        bytes.reserveCapacity(prefix.utf8.count + line.utf8.count + 1)
        // Byte by byte: every control character is one ASCII byte, and no byte of a multi-byte UTF-8 sequence is
        // below 0x80, so the other bytes are copied as they are.
        func append(_ text: String) {
            let isControl = { (byte: UInt8) in byte < 0x20 || byte == 0x7F }
            // The usual line has no control character: one copy.
            guard text.utf8.contains(where: isControl) else {
                bytes.append(contentsOf: text.utf8)
                return
            }
            for byte in text.utf8 {
                if isControl(byte) {
                    // Lowercase hex without leading zeros, as `String(_:radix: 16)` writes it.
                    let digit = { (value: UInt8) in
                        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
                    }
                    bytes.append(contentsOf: "\\u{".utf8)
                    if byte >= 0x10 { bytes.append(digit(byte >> 4)) }
                    bytes.append(digit(byte & 0x0F))
                    bytes.append(UInt8(ascii: "}"))
                } else {
                    bytes.append(byte)
                }
            }
        }
        append(prefix)
        append(line)
        if bytes.count > maximumLineLength {
            var cut = maximumLineLength - 3
            // Do not split a UTF-8 sequence: back up to the start of a scalar.
            while cut > 0 && bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
            bytes.removeSubrange(cut...)
            bytes.append(contentsOf: "…".utf8)
        }
        bytes.append(UInt8(ascii: "\n"))
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
}
