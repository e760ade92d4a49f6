#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Lines for the process's standard error, the log of a FastCGI responder (the journal under systemd).
public enum StandardError {
    /// The longest line written, in bytes; longer lines are cut (and end with `…`). Lines up to `PIPE_BUF`
    /// (4096 bytes on Linux) reach a pipe in one piece even when several threads write at once.
    public static let maximumLineLength = 4000

    /// Writes `line` and a newline with a single `write(2)`, so that lines from different threads never
    /// interleave. Control characters in `line` (a newline included) are written as `\u{…}` escapes, so one call
    /// is always one line. Errors are ignored: logging must never stop the server.
    public static func writeLine(_ line: String) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(line.utf8.count + 1)
        for scalar in line.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                bytes.append(contentsOf: "\\u{\(String(scalar.value, radix: 16))}".utf8)
            } else {
                bytes.append(contentsOf: String(scalar).utf8)
            }
        }
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
