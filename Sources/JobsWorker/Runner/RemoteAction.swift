import JobsCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A job's program started by the action runner: the worker's end of one runner connection (protocol v1: see
/// ``ActionRunner``), watched by ``JobRun`` as it watches a program of its own.
///
/// The request and the whole input go out in ``start(socket:action:variables:input:errorsLimit:)``, which waits
/// for `started`; from then on the connection is read without blocking, and its final answer (`exited …` or
/// `signaled …` and the end of the program's standard error) is the program's end. SIGTERM and SIGKILL for the
/// program's group go to the runner as `T` and `K`. A connection that ends before that answer is an end too:
/// ``Termination/unreported(_:)``, which fails the job with its reason (the runner kills a program whose
/// connection ended, so the program is not left running).
///
/// Closing the connection (``reap()``, or the value going away) ends it; the runner then kills the program's group
/// if it still runs.
///
/// Not `Sendable`: one job's thread owns it.
package final class RemoteAction: RunningAction {
    private let socket: RunnerSocket
    /// The bytes of the final answer received so far.
    private var received: [UInt8] = []
    /// The program's end, once the final answer came whole (or the connection ended without it).
    private var ending: Termination?
    /// The end of the program's standard error, from the final answer, until ``readErrorOutput(into:)`` takes it.
    private var errorOutput: [UInt8] = []

    /// How long the request may take to go out, and the runner to answer `started`.
    static let startTimeout: Duration = .seconds(10)
    /// The longest header line of a final answer (`signaled 9 4097`).
    private static let maximumHeaderBytes = 64

    private init(socket: RunnerSocket) {
        self.socket = socket
    }

    /// Why a job could not be handed to the runner.
    struct StartFailure: Error {
        /// `the action runner refused the job: no program for action "x"`.
        var cause: String
        /// Whether the runner could not take the job now (unreachable, busy, stopping, silent), as opposed to
        /// refusing it: the program did not start, and the job is left to run again rather than failed.
        var isTransient = false
    }

    /// Connects to the runner at `socket`, sends the job (its variables, in ``JobRun/jobVariables`` order, and its
    /// input) and waits for `started`. The corresponding C functions are `connect` and `send`.
    static func start(
        socket path: String, action: JobAction, variables: [(String, String)], input: [UInt8], errorsLimit: Int
    ) throws(StartFailure) -> RemoteAction {
        let socket: RunnerSocket
        do {
            socket = try RunnerSocket.connect(path: path)
        } catch {
            throw StartFailure(cause: "the action runner could not be reached (\(error))", isTransient: true)
        }
        let job = RunnerRequest.Job(
            action: action, variables: variables.map { (name: $0.0, value: $0.1) }, inputBytes: input.count,
            errorsLimit: errorsLimit)
        let deadline = ContinuousClock.now + startTimeout
        guard socket.send(RunnerRequest.line(for: job) + input, before: deadline) else {
            throw StartFailure(
                cause: "the action runner did not take the job within \(startTimeout.settingText)", isTransient: true)
        }
        switch readLine(socket, before: deadline) {
        case "started"?:
            return RemoteAction(socket: socket)
        case let answer? where answer.hasPrefix("error "):
            let reason = String(answer.dropFirst(6))
            throw StartFailure(
                cause: "the action runner refused the job: \(reason.prefix(500))",
                isTransient: reason == RunnerRequest.busyAnswer || reason == RunnerRequest.stoppingAnswer)
        case let answer?:
            throw StartFailure(cause: "the action runner answered something else than started: \(answer.prefix(200))")
        case nil:
            throw StartFailure(
                cause: "the action runner did not answer within \(startTimeout.settingText) (or closed the connection)",
                isTransient: true)
        }
    }

    /// One answer line (without its newline, at most 64 KiB) read before `deadline`; `nil` when none came whole.
    static func readLine(_ socket: RunnerSocket, before deadline: ContinuousClock.Instant) -> String? {
        var line: [UInt8] = []
        while line.count <= RunnerRequest.maximumLineBytes {
            switch socket.receive(upTo: 1) {
            case .bytes(let bytes):
                if bytes.first == 0x0A { return String(decoding: line, as: UTF8.self) }
                line += bytes
            case .end:
                return nil
            case .nothing:
                let left = ContinuousClock.now.duration(to: deadline)
                guard left > .zero else { return nil }
                _ = socket.waitUntilReadable(timeout: min(left, .milliseconds(200)))
            }
        }
        return nil
    }

    func waitForOutputOrInputSpace(timeout: Duration) {
        if ending == nil { _ = socket.waitUntilReadable(timeout: timeout) }
    }

    /// The input went out with the request.
    func writeInput() {}

    func readErrorOutput(into tail: inout OutputTail) {
        receive()
        guard !errorOutput.isEmpty else { return }
        tail.append(errorOutput)
        errorOutput = []
    }

    func hasExited() -> Bool {
        receive()
        return ending != nil
    }

    /// Asks the runner to send `signal` (SIGTERM: `T`, SIGKILL: `K`) to the program's group; a runner already gone
    /// is ignored (it killed the group as the connection ended).
    func signalGroup(_ signal: Int32) {
        guard ending == nil, socket.descriptor >= 0 else { return }
        let byte: UInt8
        switch signal {
        case SIGTERM: byte = UInt8(ascii: "T")
        case SIGKILL: byte = UInt8(ascii: "K")
        default: return
        }
        socket.send([byte], before: .now + .seconds(1))
    }

    /// The input went out with the request.
    func closeInput() {}

    func reap() -> Termination {
        while ending == nil {
            _ = socket.waitUntilReadable(timeout: .seconds(1))
            receive()
        }
        socket.close()
        return ending ?? .unreported("the action runner did not report how the program ended")
    }

    /// Reads what the runner sent, without blocking, and parses the final answer once it came whole.
    private func receive() {
        while ending == nil {
            switch socket.receive(upTo: 16 * 1024) {
            case .bytes(let bytes):
                received += bytes
                parse()
            case .nothing:
                return
            case .end:
                parse()
                if ending == nil {
                    ending = .unreported("the action runner closed the connection before the program ended")
                }
            }
        }
    }

    private func parse() {
        guard let (termination, output) = Self.finalAnswer(received) else { return }
        errorOutput = output
        ending = termination
    }

    /// The program's end in what the runner sent so far, and the end of its standard error: `exited STATUS
    /// LENGTH\n`, `signaled SIGNAL LENGTH\n` or `interrupted 0 0\n` and LENGTH bytes; `error MESSAGE\n` and any
    /// other answer as ``Termination/unreported(_:)``. `nil` while the answer is not whole yet. The runner runs as
    /// a user of less trust than the worker's: every part is bounded, and nothing it sends can make this trap.
    package static func finalAnswer(_ received: [UInt8]) -> (Termination, [UInt8])? {
        let notUnderstood = Termination.unreported("the action runner sent an answer this worker does not understand")
        guard let newline = received.prefix(RunnerRequest.maximumLineBytes + 1).firstIndex(of: 0x0A) else {
            return received.count > RunnerRequest.maximumLineBytes ? (notUnderstood, []) : nil
        }
        let header = String(decoding: received[..<newline], as: UTF8.self)
        if header.hasPrefix("error ") {
            return (.unreported("the action runner reported: \(header.dropFirst(6).prefix(500))"), [])
        }
        let words = header.split(separator: " ", omittingEmptySubsequences: false)
        guard words.count == 3, header.utf8.count <= Self.maximumHeaderBytes, let value = Int32(words[1]),
            let length = Int(words[2]), (0...WorkerConfiguration.Bounds.errorsLimit.upperBound + 1).contains(length)
        else { return (notUnderstood, []) }
        let termination: Termination
        switch words[0] {
        case "exited": termination = .exited(value)
        case "signaled": termination = .signaled(value)
        case "interrupted": termination = .interrupted
        default: return (notUnderstood, [])
        }
        let body = received[(newline + 1)...]
        guard body.count >= length else { return nil }
        return (termination, Array(body.prefix(length)))
    }
}

/// What a worker asks the action runner before it starts.
public enum ActionRunnerClient {
    /// The actions the runner at `socket` runs (its list answer), in name order. Throws a ``WorkerError`` naming
    /// the socket when the runner cannot be reached or answers something else.
    public static func actions(at socket: String, timeout: Duration = .seconds(10)) throws(WorkerError) -> [JobAction] {
        let connection: RunnerSocket
        do {
            connection = try RunnerSocket.connect(path: socket)
        } catch {
            throw WorkerError("the action runner at \(socket) cannot be reached: \(error)")
        }
        let deadline = ContinuousClock.now + timeout
        guard connection.send(RunnerRequest.listLine, before: deadline),
            let answer = RemoteAction.readLine(connection, before: deadline)
        else {
            throw WorkerError("the action runner at \(socket) did not answer the list request within \(timeout.settingText)")
        }
        if answer.hasPrefix("error ") {
            throw WorkerError("the action runner at \(socket) refused the list request: \(answer.dropFirst(6).prefix(500))")
        }
        guard let names = Self.actionNames(answer) else {
            throw WorkerError("the action runner at \(socket) answered something else than its actions: \(answer.prefix(200))")
        }
        return names.sorted().map { JobAction(rawValue: $0) }
    }

    /// The names in `{"actions":["a","b"]}`, each a valid action name; `nil` for anything else.
    package static func actionNames(_ answer: String) -> [String]? {
        let prefix = "{\"actions\":["
        let suffix = "]}"
        guard answer.hasPrefix(prefix), answer.hasSuffix(suffix), answer.count >= prefix.count + suffix.count else {
            return nil
        }
        let inner = answer.dropFirst(prefix.count).dropLast(suffix.count)
        guard !inner.isEmpty else { return [] }
        var names: [String] = []
        for quoted in inner.split(separator: ",", omittingEmptySubsequences: false) {
            guard quoted.count >= 2, quoted.hasPrefix("\""), quoted.hasSuffix("\"") else { return nil }
            let name = String(quoted.dropFirst().dropLast())
            guard JobAction.isValidName(name) else { return nil }
            names.append(name)
        }
        return names
    }
}
