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
}
