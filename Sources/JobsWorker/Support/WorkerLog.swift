#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the worker reports what it does: one line per event (a job's transition, a start, a stop, a store
/// failure it will retry).
public struct WorkerLog: Sendable {
    private let sink: @Sendable (String) -> Void

    /// A log that hands each line to `sink` (tests collect them).
    public init(_ sink: @escaping @Sendable (String) -> Void) {
        self.sink = sink
    }

    /// Writes `line`.
    public func write(_ line: String) {
        sink(line)
    }

    /// The process's standard error (the journal under systemd), each line prefixed `prefix[PID]: `.
    ///
    /// Each line goes out with a single `write(2)`, so lines of different threads never interleave; control
    /// characters (a newline in a user id, say) are written as `\u{…}` escapes, so one event is always one line
    /// and nothing a client sends can forge another. Lines longer than 4000 bytes are cut.
    public static func standardError(prefix: String) -> WorkerLog {
        let start = "\(prefix)[\(getpid())]: "
        return WorkerLog { line in writeLine(start + line) }
    }

    /// The longest line written, in bytes. Lines up to `PIPE_BUF` (4096 on Linux) reach a pipe in one piece.
    static let maximumLineLength = 4000

    private static func writeLine(_ line: String) {
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
            // Never split a UTF-8 sequence: back up to the start of a scalar.
            while cut > 0 && bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
            bytes.removeSubrange(cut...)
            bytes.append(contentsOf: "…".utf8)
        }
        bytes.append(UInt8(ascii: "\n"))
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(2, base + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return  // logging never stops the worker
                }
                offset += written
            }
        }
    }
}
