import JobsCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The action runner (`jobsctl action-runner`): starts jobs' programs for workers, as a user of its own, so that
/// a program never runs as the store's owner and cannot read the store. A worker started with `--action-runner
/// SOCKET` connects to it once per job; the runner needs no privilege, and the worker gets none.
///
/// ## Protocol, version 1
///
/// Text framing over a Unix stream socket, one job per connection; every length is bounded, and any input that
/// is not exactly this is answered `error MESSAGE\n` and the connection closed (never a crash).
///
/// - Request, worker → runner: one line of JSON of at most 64 KiB (``RunnerRequest/maximumLineBytes``), then
///   exactly `inputBytes` bytes of input (at most 1 MiB, ``RunnerRequest/maximumInputBytes``):
///   `{"version":1,"action":"delete_user_data","variables":{"JOB_ID":"12","PROJECT_ID":"3","PROJECT_KEY":"…",
///   "ACTION":"delete_user_data","REFERENCE_ID":"…"},"inputBytes":N,"errorsLimit":4096}`. The variables are
///   exactly ``JobRun/jobVariables``, without NUL, `ACTION` the request's action; `errorsLimit` within
///   ``WorkerConfiguration/Bounds/errorsLimit``.
/// - Or the list request `{"version":1,"list":true}`, answered `{"actions":["delete_user_data",…]}\n`, then the
///   connection is closed (a worker asks it as it starts, and claims those actions).
/// - The runner answers `started\n` once the program started, or `error MESSAGE\n` and closes (an unknown
///   action: `error no program for action "x"`; a malformed request; `error busy` beyond its connections; a
///   program that could not start).
/// - While the program runs the worker may send single bytes: `T` sends SIGTERM to the program's process group,
///   `K` SIGKILL. The end of the connection (the worker closed it, or died) sends SIGKILL at once. Any other
///   byte: SIGKILL, and `error …`.
/// - Once the program ended (reaped; then its group gets SIGKILL, so that nothing it started lingers), the
///   runner sends `exited STATUS LENGTH\n` or `signaled SIGNAL LENGTH\n`, then LENGTH bytes: the end of the
///   program's standard error, at most `errorsLimit + 1` bytes (one more than the limit when older output was
///   dropped, so that the worker's ``OutputTail`` tells it was), and closes. A program the runner stopped
///   because the runner itself stops (and that did not exit 0) is reported `interrupted 0 0\n` instead: not the
///   job's failure; the worker releases the job to run again.
/// - The worker takes `error busy` and `error the action runner is stopping`, like a runner it cannot reach or that
///   does not answer, as "not now": the program did not start, and the job waits for its lease to expire, then
///   runs again. Any other `error` fails the job with the message.
///
/// The program starts as a worker would start it (``ActionProcess``): the runner's environment as
/// ``WorkerConfiguration/passesToActions(_:naming:)`` allows it (`PATH`, `LANG`, `LC_*`, `--action-env`, never
/// `JOBS_STORE` nor `PG*`), then the job's variables; the input on standard input; standard output to the
/// runner's standard error (the journal); standard error read into the tail.
///
/// One thread per connection, at most ``ActionRunnerConfiguration/maximumConnections``. ``stop()`` (SIGTERM,
/// SIGINT): no more connections; every running program's group gets SIGTERM, SIGKILL after the grace period;
/// ``run(on:)`` returns once every connection ended. The log (one line per connection) names the job by its id
/// and action, never by its reference id nor its input.
public final class ActionRunner: Sendable {
    /// How the runner runs.
    public let configuration: ActionRunnerConfiguration
    let log: WorkerLog
    /// The `NAME=value` entries every program gets, before the job's variables.
    let baseEnvironment: [String]
    private let state = Mutex(State())

    private struct State {
        var connections = 0
        var stopRequested: ContinuousClock.Instant?
    }

    /// - Parameter environment: the environment programs inherit from (`NAME=value`), the runner's own by default.
    public init(
        configuration: ActionRunnerConfiguration, log: WorkerLog,
        environment: [String] = JobRunner.processEnvironment()
    ) {
        self.configuration = configuration
        self.log = log
        baseEnvironment = WorkerConfiguration.actionBaseEnvironment(
            environment, naming: configuration.actionEnvironment)
    }

    /// Where the runner listens: a socket file it creates, or the socket systemd passed.
    public enum Listening: Sendable {
        /// A new socket file at `path`, of mode `mode` (a stale socket there is replaced).
        case path(String, mode: UInt16)
        /// Descriptor 3, passed by systemd (socket activation).
        case systemd
    }

    /// Opens the listening socket; throws a ``WorkerError`` that says what is wrong (no socket from systemd,
    /// a path that is not a socket, one where another runner listens).
    public static func listen(_ listening: Listening) throws(WorkerError) -> ListeningSocket {
        switch listening {
        case .path(let path, let mode):
            // Whatever systemd might have set is not for the programs either.
            RunnerSocket.forgetSystemdVariables()
            return ListeningSocket(socket: try RunnerSocket.listen(path: path, mode: mode_t(mode)), path: path)
        case .systemd:
            guard let socket = try RunnerSocket.systemdListener() else {
                throw WorkerError(
                    "no socket to listen on: give --listen PATH, or start the runner through systemd socket "
                        + "activation (LISTEN_PID and LISTEN_FDS=1 for this process)")
            }
            return ListeningSocket(socket: socket, path: nil)
        }
    }

    /// The runner's listening socket, open and ready to accept.
    public final class ListeningSocket: @unchecked Sendable {
        // Safe to share: only the thread running `run(on:)` uses the socket once it is made.
        let socket: RunnerSocket
        /// The socket file the runner made, removed when the runner stops; `nil` for systemd's.
        let path: String?

        init(socket: RunnerSocket, path: String?) {
            self.socket = socket
            self.path = path
        }
    }

    /// Asks the runner to stop: it accepts no more connections, running programs get SIGTERM and, after the grace
    /// period, SIGKILL; ``run(on:)`` returns once every connection ended. Any thread; `reason` is logged.
    public func stop(reason: String) {
        let first = state.withLock { state -> Bool in
            guard state.stopRequested == nil else { return false }
            state.stopRequested = .now
            return true
        }
        if first {
            log.write("\(reason): accepting no more jobs; running programs get SIGTERM, SIGKILL after "
                + "\(configuration.grace.settingText)")
        }
    }

    /// When ``stop(reason:)`` was first called; `nil` while the runner runs.
    var stopRequestedAt: ContinuousClock.Instant? { state.withLock { $0.stopRequested } }

    /// Accepts connections on `listening` and serves each on a thread of its own until ``stop(reason:)``;
    /// then waits for the connections to end (their programs stopped) and returns.
    public func run(on listening: ListeningSocket) {
        let programs = configuration.programs.values.map(\.description).sorted().joined(separator: " ")
        log.write(
            "action runner started: at most \(configuration.maximumConnections) connections, grace "
                + "\(configuration.grace.settingText); actions: \(programs)")
        while stopRequestedAt == nil {
            guard let connection = listening.socket.accept(timeout: .milliseconds(200)) else { continue }
            let admitted = state.withLock { state -> Bool in
                guard state.connections < configuration.maximumConnections else { return false }
                state.connections += 1
                return true
            }
            guard admitted else {
                connection.send("error \(RunnerRequest.busyAnswer)\n", within: .milliseconds(100))
                log.write("a connection refused: busy (\(configuration.maximumConnections) connections already)")
                continue
            }
            let served = RunnerConnection(connection, runner: self)
            do {
                try DetachedThread.start { [self] in
                    served.serve()
                    // Counted out before it closes: a worker that saw its connection end finds its place free.
                    connectionEnded()
                    served.close()
                }
            } catch {
                log.write("a connection dropped: cannot start a thread (\(error))")
                connectionEnded()
            }
        }
        listening.socket.close()
        if let path = listening.path { unlink(path) }
        // Each connection ends within the grace period (SIGTERM, then SIGKILL) and its last answer.
        let deadline = ContinuousClock.now + configuration.grace + .seconds(15)
        while state.withLock({ $0.connections }) > 0 && ContinuousClock.now < deadline {
            pause(.milliseconds(20))
        }
        let left = state.withLock { $0.connections }
        log.write("action runner stopped" + (left > 0 ? " (\(left) connections did not end in time)" : ""))
    }

    private func connectionEnded() {
        state.withLock { $0.connections -= 1 }
    }
}
