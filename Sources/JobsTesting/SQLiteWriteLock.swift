import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Another process holding a SQLite store's write lock: a `sqlite3` shell that began an `IMMEDIATE` transaction
/// and keeps it open until ``release()`` (or until the value goes away).
package final class SQLiteWriteLock {
    private let shell: ChildProcess
    private let input: Int32
    private let output: Int32

    /// Starts the shell on the store at `path` and returns once it holds the write lock.
    package init(store path: String, timeout: TimeInterval = 30) throws {
        let stdin = try CloseOnExecPipe()
        let stdout = try CloseOnExecPipe()
        let devNull = open("/dev/null", O_WRONLY | O_CLOEXEC)
        defer {
            close(stdin.read)
            close(stdout.write)
            if devNull >= 0 { close(devNull) }
        }
        shell = try ChildProcess.spawn(
            BuiltBinaries.system("sqlite3"), ["-bail", path], environment: ProcessInfo.processInfo.environment,
            standardInput: stdin.read, standardOutput: stdout.write, standardError: devNull)
        input = stdin.write
        output = stdout.read
        // `.timeout`: the shell itself may wait for a writer of the stack that is finishing.
        send(".timeout 10000\nBEGIN IMMEDIATE;\nSELECT 'locked';\n")
        guard readLine(timeout: timeout) == "locked" else {
            shell.stop(SIGKILL)
            close(input)
            close(output)
            throw JobsTestingError("sqlite3 did not take the write lock of \(path) within \(timeout) s")
        }
    }

    deinit { release() }

    /// Commits the empty transaction and waits for the shell to exit. Safe to call more than once.
    package func release() {
        guard shell.isRunning else { return }
        send("COMMIT;\n.quit\n")
        if shell.waitForExit(timeout: 10) == nil { shell.stop(SIGKILL) }
        close(input)
        close(output)
    }

    private func send(_ text: String) {
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { _ = write(input, $0.baseAddress, $0.count) }
    }

    /// The next line the shell prints, or `nil` when none comes within `timeout` seconds.
    private func readLine(timeout: TimeInterval) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { return nil }
            var waiting = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            guard poll(&waiting, 1, Int32(remaining * 1000) + 1) > 0 else { continue }
            guard read(output, &byte, 1) == 1 else { return nil }
            if byte == UInt8(ascii: "\n") { return String(decoding: line, as: UTF8.self) }
            line.append(byte)
        }
    }
}
