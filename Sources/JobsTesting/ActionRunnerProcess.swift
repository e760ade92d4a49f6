import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A `jobsctl action-runner` process, started the way an operator (or systemd) starts one, its standard output
/// and error (its log, what programs print) going to a file of its own.
///
/// Stopped by ``stop(timeout:)`` or, at the latest, when the value is released (SIGKILL then), also when a test
/// fails.
package final class ActionRunnerProcess: @unchecked Sendable {
    // Safe to share: `process` is itself safe to share; the rest is set in `init`.
    private let process: ChildProcess
    /// The runner's log file.
    package let logPath: String
    /// The socket it listens on.
    package let socketPath: String

    /// Starts `jobsctl action-runner --listen SOCKET ARGUMENTS` with `environment` (its whole environment),
    /// logging to `logPath`. With `socketActivated`, the runner gets no `--listen`: a `python3` wrapper makes the
    /// listening socket, puts it at descriptor 3 and sets `LISTEN_PID` and `LISTEN_FDS=1` before it execs the
    /// runner in its own process, as systemd's socket activation does.
    package init(
        socket: String, arguments: [String], environment: [String: String], logPath: String,
        socketActivated: Bool = false
    ) throws {
        self.logPath = logPath
        socketPath = socket
        let jobsctl = try BuiltBinaries.jobsctl()
        if socketActivated {
            let wrapper = """
                import os, socket, sys
                listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                listener.bind(sys.argv[1])
                listener.listen(16)
                if listener.fileno() != 3:
                    os.dup2(listener.fileno(), 3)
                os.set_inheritable(3, True)
                os.environ["LISTEN_PID"] = str(os.getpid())
                os.environ["LISTEN_FDS"] = "1"
                os.execv(sys.argv[2], sys.argv[2:])
                """
            process = try ChildProcess.spawn(
                try BuiltBinaries.system("python3"), ["-c", wrapper, socket, jobsctl, "action-runner"] + arguments,
                environment: environment, logPath: logPath)
        } else {
            process = try ChildProcess.spawn(
                jobsctl, ["action-runner", "--listen", socket] + arguments, environment: environment,
                logPath: logPath)
        }
    }

    deinit {
        process.stop(SIGKILL, grace: 5)
    }

    /// The runner's pid.
    package var pid: pid_t { process.pid }

    /// Everything the runner logged so far.
    package var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Whether the runner still runs.
    package var isRunning: Bool { process.isRunning }

    /// Waits until a connection to the socket succeeds; an error (with the runner's log) after `timeout` seconds
    /// or once the runner exited.
    package func waitUntilListening(timeout: TimeInterval = patientTimeout) throws {
        let listening = eventually(timeout: timeout) {
            if !process.isRunning { return true }
            return (try? UnixSocketClient(path: socketPath)) != nil
        }
        guard listening, process.isRunning else {
            throw JobsTestingError("jobsctl action-runner is not listening on \(socketPath). Its log:\n\(log)")
        }
    }

    /// Sends `signal` to the runner.
    package func send(_ signal: Int32) {
        process.send(signal)
    }

    /// Waits up to `timeout` seconds for the runner to exit; its status, or `nil` if it still runs.
    package func waitForExit(timeout: TimeInterval) -> Int32? {
        process.waitForExit(timeout: timeout)
    }

    /// SIGTERM, then waits up to `timeout` seconds for the exit (SIGKILL after that, and an error). Returns the
    /// exit status.
    @discardableResult
    package func stop(timeout: TimeInterval = patientTimeout) throws -> Int32 {
        try process.end(timeout: timeout, name: "jobsctl action-runner", details: ". Its log:\n\(log)")
    }
}

/// A raw client of a Unix stream socket (the action runner's): sends bytes as given, reads what comes back.
package final class UnixSocketClient {
    private var socket: Int32

    /// Connects to `path`. The corresponding C function is `connect`.
    package init(path: String) throws {
        socket = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { throw JobsTestingError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        // A failure closes the socket through close(), which marks it closed: deinit runs after a throw from a
        // class's initializer too, and must not close the number again (another thread may own it by then).
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close()
            throw JobsTestingError("socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            let message = String(cString: strerror(errno))
            close()
            throw JobsTestingError("connect \(path): \(message)")
        }
    }

    deinit {
        close()
    }

    /// Sends all of `bytes`; whether they all went (the peer may have closed the connection). The corresponding C
    /// function is `send`, with `MSG_NOSIGNAL`.
    @discardableResult
    package func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 && errno == EINTR { continue }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    /// ``send(_:)`` of `text`'s UTF-8.
    @discardableResult
    package func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Everything the peer sends until it closes the connection; `nil` when it has not closed it after `timeout`
    /// seconds.
    package func readToEnd(timeout: TimeInterval = patientTimeout) -> [UInt8]? {
        let deadline = Date().addingTimeInterval(timeout)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { return nil }
            var watched = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            guard poll(&watched, 1, Int32(min(left, 1) * 1000) + 1) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received += buffer[..<count]
                continue
            }
            if count < 0 && errno == EINTR { continue }
            // End of file, or the connection was reset: either way it is closed.
            return received
        }
    }

    /// ``readToEnd(timeout:)`` as text.
    package func readTextToEnd(timeout: TimeInterval = patientTimeout) -> String? {
        readToEnd(timeout: timeout).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Ends the sending side (the peer reads end of file), keeping the connection open for reading. The
    /// corresponding C function is `shutdown` with `SHUT_WR`.
    package func finishSending() {
        if socket >= 0 { _ = shutdown(socket, Int32(SHUT_WR)) }
    }

    /// Closes the connection. Calling it again does nothing.
    package func close() {
        if socket >= 0 { Glibc.close(socket) }
        socket = -1
    }
}
