import StandardErrorLog

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
        return WorkerLog { line in StandardError.writeLine(line, prefix: start) }
    }
}
