import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension ChildProcess {
    /// Starts `executable` with standard input from /dev/null and standard output and error appended to
    /// `logPath`, the way a service manager starts a daemon.
    static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String], logPath: String
    ) throws -> ChildProcess {
        let output = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        let input = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer {
            if output >= 0 { close(output) }
            if input >= 0 { close(input) }
        }
        guard output >= 0, input >= 0 else {
            throw JobsTestingError("cannot open \(logPath): \(String(cString: strerror(errno)))")
        }
        return try spawn(
            executable, arguments, environment: environment, standardInput: input, standardOutput: output,
            standardError: output)
    }
}
