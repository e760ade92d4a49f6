import ArgumentParser
import Foundation
import JobsCore
import JobsWorker

/// `jobsctl action-runner`: starts jobs' programs for workers (`jobsctl worker --action-runner SOCKET`), as a user
/// of its own, until SIGTERM or SIGINT.
struct ActionRunnerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "action-runner",
        abstract: "Start jobs' programs for workers, as a user of its own that cannot read the store.",
        discussion: """
            Run it as its own user (systemd: jobs-action.service, User=jobs-action, socket-activated by \
            jobs-action.socket), and give workers its socket with jobsctl worker --action-runner SOCKET: a program \
            then never runs as the store's owner, and neither process needs a privilege. The runner opens no store.

            Each job is one connection from a worker: a line of JSON (the action, the job's variables JOB_ID, \
            PROJECT_ID, PROJECT_KEY, ACTION and REFERENCE_ID, the input's length), then the job's JSON, which the \
            program gets on standard input. The runner answers "started", then "exited STATUS LENGTH" or "signaled \
            SIGNAL LENGTH" and the end of the program's standard error, or "error MESSAGE" (an unknown action, a \
            malformed request, busy). The worker may stop the program (SIGTERM, SIGKILL to its process group); when \
            the worker's connection ends, the program's group is killed at once. Every request is bounded (a line of \
            at most 64 KiB, at most 1 MiB of input); anything else is refused with an error and the connection \
            closed.

            A program runs directly (no shell), in a process group of its own, with the runner's PATH, LANG, LC_* \
            and the variables named with --action-env (never JOBS_STORE nor PG*), then the job's variables; its \
            standard output goes to the runner's standard error. When it ended, its group gets SIGKILL, so that \
            nothing it started lingers.

            Without --listen, the runner takes the socket systemd passes (LISTEN_PID, LISTEN_FDS=1: descriptor 3, \
            a listening Unix stream socket). One line per connection goes to standard error, naming the job by its \
            id and action, never by its user. SIGTERM or SIGINT: accept no more connections, send SIGTERM to every \
            running program's group, SIGKILL after the grace period, and exit 0. A restart fails no job: a program \
            stopped that way is reported "interrupted" and the worker releases its job to run again, and a job the \
            runner cannot take meanwhile (no runner listening, busy, stopping) is not started and runs again once \
            its lease expires.

            Each option not given falls back to an environment variable: JOBS_ACTION_RUNNER_ACTIONS (NAME=EXECUTABLE \
            entries separated by spaces), JOBS_ACTION_RUNNER_ACTION_ENV (names separated by spaces).

            Example:
              jobsctl action-runner --listen /run/jobs-action/runner.sock --socket-mode 0660 \\
                  --action delete_user_data=/usr/local/lib/jobs-api/actions/delete-user-data --action-env USER_DATA_DIR
            """)

    @Option(
        name: .customLong("action"),
        help: ArgumentHelp(
            "The program that carries out an action (repeatable; at least one, here or in JOBS_ACTION_RUNNER_ACTIONS), e.g. delete_user_data=/usr/local/lib/jobs-api/actions/delete-user-data.",
            valueName: "name=executable"))
    var actions: [String] = []

    @Option(
        name: .customLong("action-env"),
        help: ArgumentHelp(
            "A variable of the runner's environment that action programs get too, besides PATH, LANG and LC_* (repeatable), e.g. USER_DATA_DIR. Never JOBS_STORE nor PG*.",
            valueName: "name"))
    var actionEnvironment: [String] = []

    @Option(
        help: ArgumentHelp(
            "Create a Unix socket at this path and listen on it (a stale socket file there is replaced; any other file is refused). Without it, the socket comes from systemd socket activation.",
            valueName: "path"))
    var listen: String?

    @Option(
        help: ArgumentHelp(
            "The mode of the socket --listen creates, in octal (default 0600; 0660 lets the socket's group, the workers' user, connect).",
            valueName: "mode"))
    var socketMode: String?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Connections served at once, \(WorkerCommand.range(ActionRunnerConfiguration.Bounds.maximumConnections)) (default 64); one more is answered \"error busy\".",
            valueName: "n"))
    var maxConnections: Int?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Seconds a program gets after SIGTERM before SIGKILL when the runner stops, \(WorkerConfiguration.secondsText(ActionRunnerConfiguration.Bounds.grace)) (default 10).",
            valueName: "n"))
    var graceSeconds: Double?

    func validate() throws {
        _ = try settings()
        _ = try mode()
    }

    func run() throws {
        let settings = try settings()
        let listening: ActionRunner.Listening = try listen.map { .path($0, mode: try mode()) } ?? .systemd
        let socket: ActionRunner.ListeningSocket
        do {
            socket = try ActionRunner.listen(listening)
        } catch {
            throw CLIError("\(error)")
        }
        // After the socket: systemd's LISTEN_* variables are gone from the environment programs inherit.
        let runner = ActionRunner(configuration: settings, log: WorkerLog.standardError(prefix: "jobs-action-runner"))
        // Before any other thread: every thread inherits the blocked stop signals.
        try StopSignals.watch { _, name in runner.stop(reason: name) }
        runner.run(on: socket)
    }

    /// `--socket-mode` read as octal, 0600 by default.
    private func mode() throws -> UInt16 {
        guard let socketMode else { return 0o600 }
        guard let mode = UInt16(socketMode, radix: 8), mode <= 0o777 else {
            throw ValidationError("--socket-mode \(socketMode): must be an octal mode, 0 to 0777 (for example 0660)")
        }
        return mode
    }

    /// The runner's configuration: each option, else its environment variable, else its default.
    private func settings() throws -> ActionRunnerConfiguration {
        let environment = ProcessInfo.processInfo.environment
        let programs = try ActionOptions.programs(
            actions, variable: "JOBS_ACTION_RUNNER_ACTIONS", environment: environment)
        guard !programs.isEmpty else {
            throw CLIError(
                "no action is configured (no --action, and JOBS_ACTION_RUNNER_ACTIONS is empty or unset): refusing "
                    + "to start an action runner that would run nothing")
        }
        let passed = ActionOptions.environmentNames(
            actionEnvironment, variable: "JOBS_ACTION_RUNNER_ACTION_ENV", environment: environment)
        guard let grace = Duration.seconds(checking: graceSeconds ?? 10) else {
            throw ValidationError("--grace-seconds must be a number of seconds")
        }
        do {
            return try ActionRunnerConfiguration(
                programs: programs, actionEnvironment: passed, maximumConnections: maxConnections ?? 64, grace: grace)
        } catch {
            let source: String
            switch error.setting {
            case .concurrency: source = "--max-connections"
            case .grace: source = "--grace-seconds"
            default: source = actionEnvironment.isEmpty ? "JOBS_ACTION_RUNNER_ACTION_ENV:" : "--action-env"
            }
            throw ValidationError("\(source) \(error.rule)")
        }
    }
}
