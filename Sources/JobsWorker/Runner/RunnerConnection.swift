import JobsCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One connection to the action runner, served on a thread of its own: its request read and checked, its
/// program started, watched and reported (protocol v1: see ``ActionRunner``).
final class RunnerConnection: @unchecked Sendable {
    // Safe to share: made on the accepting thread and handed over whole to the connection's thread, the only one
    // that uses it from then on.
    private let socket: RunnerSocket
    private let runner: ActionRunner
    private let accepted = ContinuousClock.now

    /// How long a worker has to send its whole request (line and input).
    static let requestTimeout: Duration = .seconds(30)

    init(_ socket: RunnerSocket, runner: ActionRunner) {
        self.socket = socket
        self.runner = runner
    }

    private var log: WorkerLog { runner.log }

    /// Serves the connection to its end; ``close()`` then closes it.
    func serve() {
        guard let (request, rest) = readRequest() else { return }
        switch request {
        case .list:
            let names = runner.configuration.actions.map { "\"\($0.rawValue)\"" }.joined(separator: ",")
            socket.send("{\"actions\":[\(names)]}\n")
            log.write("a list request answered")
        case .run(let job):
            run(job, rest)
        }
    }

    /// Closes the connection (the worker reads its end).
    func close() {
        socket.close()
    }

    /// Answers `error MESSAGE` (the connection then closes) and logs `logged`: the refusal without anything the
    /// request named (an action or a variable name could be anything, a user's id too).
    private func refuse(_ message: String, logged: String? = nil) {
        socket.send("error \(message)\n")
        log.write("a request refused: \(logged ?? message)")
    }

    // MARK: Reading the request

    /// Reads the request line and parses it; returns it with the bytes read past its newline (the start of the
    /// input). `nil` when the request was refused or the connection ended.
    private func readRequest() -> (RunnerRequest, [UInt8])? {
        let limit = RunnerRequest.maximumLineBytes
        var buffer: [UInt8] = []
        var newline: Int?
        while newline == nil {
            switch receive(upTo: 16 * 1024) {
            case .bytes(let bytes):
                let searchFrom = buffer.count
                buffer += bytes
                newline = buffer[searchFrom...].firstIndex(of: 0x0A)
                if (newline ?? buffer.count) > limit {
                    refuse("the request line is longer than \(limit) bytes")
                    return nil
                }
            case .failed(let reason):
                reason.map { refuse($0) } ?? log.write("a connection closed before its request was complete")
                return nil
            }
        }
        guard let end = newline else { return nil }
        do {
            return (try RunnerRequest(line: Array(buffer[..<end])), Array(buffer[(end + 1)...]))
        } catch {
            refuse(error.description, logged: error.logged)
            return nil
        }
    }

    /// What ``receive(upTo:)`` got.
    private enum Reception {
        case bytes([UInt8])
        /// The connection ended (`nil`), or the request took too long or the runner is stopping (the reason).
        case failed(String?)
    }

    /// Waits for bytes of the request until its deadline.
    private func receive(upTo count: Int) -> Reception {
        while true {
            if runner.stopRequestedAt != nil { return .failed(RunnerRequest.stoppingAnswer) }
            switch socket.receive(upTo: count) {
            case .bytes(let bytes): return .bytes(bytes)
            case .end: return .failed(nil)
            case .nothing:
                let left = ContinuousClock.now.duration(to: accepted + Self.requestTimeout)
                guard left > .zero else {
                    return .failed("the request did not arrive within \(Self.requestTimeout.settingText)")
                }
                _ = socket.waitUntilReadable(timeout: min(left, .milliseconds(200)))
            }
        }
    }

    // MARK: Running the job

    private func run(_ job: RunnerRequest.Job, _ rest: [UInt8]) {
        guard let program = runner.configuration.programs[job.action] else {
            refuse("no program for action \"\(job.action.rawValue)\"", logged: "no program for its action")
            return
        }
        guard rest.count <= job.inputBytes else {
            refuse("more bytes than inputBytes came before the program started")
            return
        }
        var input = rest
        while input.count < job.inputBytes {
            switch receive(upTo: min(64 * 1024, job.inputBytes - input.count)) {
            case .bytes(let bytes): input += bytes
            case .failed(let reason):
                reason.map { refuse($0) } ?? log.write("\(job.subject): the connection closed before its input was complete")
                return
            }
        }
        let environment = runner.baseEnvironment + job.variables.map { "\($0.name)=\($0.value)" }
        let process: ActionProcess
        do {
            process = try ActionProcess.start(executable: program.executable, environment: environment, input: input)
        } catch {
            socket.send("error the program for action \"\(job.action.rawValue)\" could not be started\n")
            log.write("\(job.subject): its program could not be started: \(error)")
            return
        }
        guard socket.send("started\n") else {
            // The program is killed and reaped as `process` goes away.
            log.write("\(job.subject): the worker went away before the program started; not run")
            return
        }
        watch(process, job)
    }

    /// Pumps the program's input and standard error while it runs, obeys the worker's `T` and `K` and the end of
    /// the connection, stops the program when the runner stops; then reports how it ended.
    private func watch(_ process: ActionProcess, _ job: RunnerRequest.Job) {
        let started = ContinuousClock.now
        var tail = OutputTail(limit: job.errorsLimit + 1)
        var workerGone = false
        var unexpected: UInt8?
        var asked: [String] = []
        var stoppedAt: ContinuousClock.Instant?
        var killed = false
        while true {
            let watching = workerGone || unexpected != nil ? -1 : socket.descriptor
            process.waitForOutputOrInputSpace(timeout: .milliseconds(50), orReadable: watching)
            process.writeInput()
            process.readErrorOutput(into: &tail)
            if process.hasExited() { break }
            if watching >= 0 {
                switch socket.receive(upTo: 64) {
                case .bytes(let bytes):
                    for byte in bytes {
                        switch byte {
                        case UInt8(ascii: "T"):
                            process.signalGroup(SIGTERM)
                            if asked.last != "SIGTERM" { asked.append("SIGTERM") }
                        case UInt8(ascii: "K"):
                            process.signalGroup(SIGKILL)
                            if asked.last != "SIGKILL" { asked.append("SIGKILL") }
                        default:
                            if unexpected == nil { unexpected = byte }
                            process.signalGroup(SIGKILL)
                        }
                    }
                case .nothing: break
                case .end:
                    workerGone = true
                    process.signalGroup(SIGKILL)
                }
            }
            if runner.stopRequestedAt != nil {
                let now = ContinuousClock.now
                if stoppedAt == nil {
                    stoppedAt = now
                    process.signalGroup(SIGTERM)
                } else if let stoppedAt, !killed, now >= stoppedAt + runner.configuration.grace {
                    process.signalGroup(SIGKILL)
                    killed = true
                }
            }
        }
        // Whatever the program left running in its group ends with it.
        let termination = process.finish(readingInto: &tail)

        var notes = asked.isEmpty ? "" : "; the worker asked for \(asked.joined(separator: ", then "))"
        if stoppedAt != nil { notes += killed ? "; killed (SIGKILL) as the runner stops" : "; stopped (SIGTERM) as the runner stops" }
        let duration = started.duration(to: .now).logText
        if workerGone {
            log.write("\(job.subject): the worker closed the connection; its program was killed (SIGKILL), "
                + "\(termination) after \(duration)\(notes)")
            return
        }
        if let unexpected {
            socket.send("error unexpected byte \(unexpected) while the program ran; it was killed\n")
            log.write("\(job.subject): the worker sent an unexpected byte (\(unexpected)); its program was killed, "
                + "\(termination) after \(duration)\(notes)")
            return
        }
        let header: String
        switch termination {
        case _ where stoppedAt != nil && !termination.isSuccess:
            // Stopped because the runner stops: not the job's failure. The worker releases it, to run again.
            header = "interrupted 0 0\n"
            tail = OutputTail(limit: 1)
        case .exited(let status): header = "exited \(status) \(tail.bytes.count)\n"
        case .signaled(let signal): header = "signaled \(signal) \(tail.bytes.count)\n"
        case .unreported, .interrupted: header = "exited -1 \(tail.bytes.count)\n"
        }
        let reported = socket.send(Array(header.utf8) + tail.bytes, before: .now + .seconds(10))
        log.write("\(job.subject): \(termination) after \(duration)\(notes)"
            + (reported ? "" : "; the worker went away before the report"))
    }
}
