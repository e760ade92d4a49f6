import Foundation

/// What a finished command left behind.
package struct CommandResult: Sendable {
    /// The exit status, or 128 + the signal number when a signal ended it (as a shell reports it).
    package var status: Int32
    package var stdout: Data
    package var stderr: Data

    /// Standard output as UTF-8 text (invalid bytes replaced).
    package var output: String { String(decoding: stdout, as: UTF8.self) }
    /// Standard error as UTF-8 text (invalid bytes replaced).
    package var errorOutput: String { String(decoding: stderr, as: UTF8.self) }
    /// Whether the command exited with status 0.
    package var succeeded: Bool { status == 0 }
}

/// Runs a program to completion, as a shell would.
package enum Command {
    /// Runs `executable` with `arguments`, feeding it `input` on standard input (then end of file), and returns
    /// its exit status and everything it wrote. A command still running after `timeout` seconds is killed and
    /// reported as an error.
    ///
    /// The program starts with default signal dispositions, no blocked signal, and no descriptor but its
    /// standard streams (see ``ChildProcess``).
    ///
    /// - Parameter environment: the whole environment of the command; `nil` passes this process's on.
    package static func run(
        _ executable: String, _ arguments: [String], input: Data = Data(), environment: [String: String]? = nil,
        timeout: TimeInterval = 60
    ) throws -> CommandResult {
        let inputPipe = try CloseOnExecPipe()
        let outputPipe = try CloseOnExecPipe()
        let errorPipe = try CloseOnExecPipe()
        let process: ChildProcess
        do {
            process = try ChildProcess.spawn(
                executable, arguments, environment: environment ?? ProcessInfo.processInfo.environment,
                standardInput: inputPipe.read, standardOutput: outputPipe.write, standardError: errorPipe.write)
        } catch {
            [inputPipe.read, inputPipe.write, outputPipe.read, outputPipe.write, errorPipe.read, errorPipe.write]
                .forEach { close($0) }
            throw error
        }
        // The child has its copies; only ours of the far ends remain to close.
        close(inputPipe.read)
        close(outputPipe.write)
        close(errorPipe.write)

        // Both outputs are drained while the command runs, and input is written from a thread of its own, so that
        // no full pipe can block the command or this process.
        let stdout = DescriptorReader(outputPipe.read)
        let stderr = DescriptorReader(errorPipe.read)
        Thread.detachNewThread {
            input.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = write(inputPipe.write, buffer.baseAddress! + offset, buffer.count - offset)
                    if written < 0 && errno == EINTR { continue }
                    if written <= 0 { break }  // EPIPE: the command does not read its input
                    offset += written
                }
            }
            close(inputPipe.write)
        }

        guard let status = process.waitForExit(timeout: timeout) else {
            process.stop(SIGTERM, grace: 2)
            throw JobsTestingError(
                "\(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout) s; stderr: "
                    + String(decoding: stderr.wait(), as: UTF8.self))
        }
        return CommandResult(status: status, stdout: stdout.wait(), stderr: stderr.wait())
    }
}

/// Reads a descriptor to its end on a thread of its own, then closes it.
private final class DescriptorReader: @unchecked Sendable {
    // Safe to share: `data` is written by the reading thread before `done` is signalled, and read only after
    // waiting for `done`.
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ descriptor: Int32) {
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                data.append(contentsOf: buffer[..<count])
            }
            close(descriptor)
            done.signal()
        }
    }

    /// Everything read. Waits at most ``patientTimeout`` after the command exited (the reading thread may be slow
    /// to finish on a loaded machine; normally the end comes at once): a program it left running that kept the
    /// stream open would otherwise hold the test up (what it wrote so far is then lost).
    func wait() -> Data {
        if done.wait(timeout: .now() + patientTimeout) == .timedOut { return Data() }
        done.signal()
        return data
    }
}
