import Foundation
import ProcessSpawn

#if canImport(Glibc)
import Glibc
#endif

/// A program started through ``ProcessSpawn`` (the way a shell starts one: a test thread blocks SIGTERM, and a
/// FastCGI process must still see it).
///
/// Foundation's `Process` is not used either for its socket that notices the program's exit: spawn-fcgi's
/// children and nginx keep it open long after the program itself exited.
final class ChildProcess: @unchecked Sendable {
    // Safe to share: `status` is only touched with `lock` held.
    let pid: pid_t
    private let lock = NSLock()
    private var status: Int32?

    private init(pid: pid_t) {
        self.pid = pid
    }

    /// Starts `executable` with `arguments`, its standard streams on the given descriptors (duplicated into the
    /// child; the caller still owns and closes them). The corresponding C function is `posix_spawn`.
    static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String],
        standardInput: Int32, standardOutput: Int32, standardError: Int32
    ) throws -> ChildProcess {
        ignoreSIGPIPE

        do {
            let pid = try ProcessSpawn.spawn(
                executable, arguments: arguments, environment: environment.map { "\($0.key)=\($0.value)" },
                standardInput: standardInput, standardOutput: .descriptor(standardOutput),
                standardError: standardError)
            return ChildProcess(pid: pid)
        } catch {
            throw JobsTestingError(error.description)
        }
    }

    /// Writing to a pipe whose reader exited must be an error (EPIPE), not a signal that ends the test run.
    /// The children get the default disposition back through `posix_spawnattr_setsigdefault`.
    private static let ignoreSIGPIPE: Void = {
        signal(SIGPIPE, SIG_IGN)
    }()

    /// The exit status once the process has exited (128 + the signal number when a signal ended it, -1 when
    /// something else in this process reaped it first); `nil` while it runs. Reaps the process: the corresponding
    /// C function is `waitpid`.
    var exitStatus: Int32? {
        lock.withLock {
            if status == nil {
                var raw: Int32 = 0
                let reaped = waitpid(pid, &raw, WNOHANG)
                if reaped == pid {
                    let signal = raw & 0x7F
                    status = signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
                } else if reaped < 0 && errno == ECHILD {
                    // Someone else in this process reaped it: it has exited, with a status nobody can tell now.
                    status = -1
                }
            }
            return status
        }
    }

    /// Whether the process is still running.
    var isRunning: Bool { exitStatus == nil }

    /// Waits up to `timeout` seconds for the process to exit; returns its status, or `nil` if it still runs.
    func waitForExit(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let status = exitStatus { return status }
            if Date() > deadline { return nil }
            usleep(2_000)
        }
    }

    /// Sends `signal` unless the process has already been reaped (its pid could belong to another by now).
    func send(_ signal: Int32) {
        lock.withLock {
            if status == nil { _ = kill(pid, signal) }
        }
    }

    /// Stops the process: `signal`, then SIGKILL if it is still running after `grace` seconds.
    func stop(_ signal: Int32 = SIGTERM, grace: TimeInterval = 5) {
        guard isRunning else { return }
        send(signal)
        if waitForExit(timeout: grace) == nil {
            send(SIGKILL)
            _ = waitForExit(timeout: 5)
        }
    }

    /// Sends `signal` (unless the process already exited) and waits up to `timeout` seconds for the exit; returns
    /// the exit status. A process still running then is killed, and that is an error naming it as `name`, followed
    /// by `details` (its log, say).
    func end(
        _ signal: Int32 = SIGTERM, timeout: TimeInterval, name: String, details: @autoclosure () -> String = ""
    ) throws -> Int32 {
        if let status = exitStatus { return status }
        send(signal)
        if let status = waitForExit(timeout: timeout) { return status }
        stop(SIGKILL, grace: 5)
        throw JobsTestingError("\(name) still ran \(timeout) s after signal \(signal); killed\(details())")
    }
}

/// A pipe whose descriptors are closed on exec (the child gets its end through `dup2` only).
struct CloseOnExecPipe {
    let read: Int32
    let write: Int32

    init() throws {
        guard let descriptors = ProcessSpawn.closeOnExecPipe() else {
            throw JobsTestingError("pipe2: \(String(cString: strerror(errno)))")
        }
        read = descriptors.read
        write = descriptors.write
    }
}
