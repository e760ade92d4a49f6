import ArgumentParser
import Foundation
import JobsCore
import JobsWorker

/// `jobsctl worker`: runs due jobs until SIGTERM or SIGINT (or, with `--once`, until none is due).
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run due jobs: claim them, run each action's program, record the result.",
        discussion: """
            The worker claims only jobs whose action it has a program for: a job of another action stays \
            scheduled (due, and visible as such) until a worker that runs it starts. Without any action the worker \
            refuses to start. Each job runs its action's program directly (no shell), with JOB_ID, PROJECT_ID, \
            PROJECT_KEY, ACTION and REFERENCE_ID, and the job's JSON on standard input. Of the worker's own \
            environment a program gets only PATH, LANG, LC_* and the variables named with --action-env, never \
            JOBS_STORE nor PG* (they may hold the store's password). Exit status 0 \
            completes the job; another status, a signal or the timeout fails it, with the end of the program's \
            standard error as its errors. A cancelled job's program gets SIGTERM within about a second. Several \
            workers may share one store: a job is claimed by one worker at a time, under a lease it renews while \
            the program runs; a crashed worker's jobs run again once their lease expires. Actions must therefore \
            be safe to run twice. The worker registers itself in the store (host, pid, version, actions, \
            concurrency), refreshes its last-seen time every poll interval and unregisters when it stops: \
            jobsctl status and /jobs-api/metrics count it as live while it was seen within three poll intervals \
            or its lease, whichever is longer.

            With --action-runner SOCKET, the worker starts no program itself: the action runner (jobsctl \
            action-runner, running as a user of its own that cannot read the store) listening on that Unix socket \
            starts them, with its own --action programs and --action-env variables. As it starts, the worker asks \
            the runner which actions it runs and claims jobs of those; it refuses to start when the runner cannot be \
            reached or runs none. --action and --action-env are then refused. Each job is one connection: the \
            runner starts the program and reports how it ended, with the end of its standard error; a cancel or a \
            timeout stops it through the runner (SIGTERM, then SIGKILL); a job whose connection ends before that \
            report fails ("the action runner closed the connection before the program ended"), and the runner kills \
            the program of a worker that is gone.

            Each option not given falls back to an environment variable: JOBS_WORKER_ACTIONS (NAME=EXECUTABLE \
            entries separated by spaces), JOBS_WORKER_CONCURRENCY, JOBS_WORKER_POLL_SECONDS, \
            JOBS_WORKER_LEASE_SECONDS, JOBS_WORKER_ACTION_TIMEOUT, JOBS_WORKER_GRACE_SECONDS, JOBS_WORKER_ACTION_ENV \
            (names separated by spaces), JOBS_WORKER_ACTION_RUNNER. An option given wins over the other's variable \
            (--action over JOBS_WORKER_ACTION_RUNNER, --action-runner over JOBS_WORKER_ACTIONS); both variables set \
            is refused.

            One line per job transition goes to standard error, and so does what programs write to their \
            standard output. SIGTERM or SIGINT: claim nothing more, let running programs finish for the grace \
            period, then stop them and release their jobs for the next worker, and exit 0.

            The worker also delivers webhook events (jobsctl webhook): --webhook-senders threads post the events \
            due, signed, and retry failed ones with backoff for 3 days (docs/WEBHOOKS.md).

            Example:
              jobsctl worker --store /var/lib/jobs-api/jobs.sqlite3 \\
                  --action delete_user_data=/usr/local/lib/jobs-api/actions/delete-user-data --concurrency 4 \\
                  --action-env USER_DATA_DIR
              jobsctl worker --store /var/lib/jobs-api/jobs.sqlite3 --action-runner /run/jobs-action/runner.sock
            """)

    @OptionGroup var storeOptions: StoreOptions

    @Flag(help: "Run every job due now, then exit, instead of running until SIGTERM or SIGINT.")
    var once = false

    @Option(
        name: .customLong("action"),
        help: ArgumentHelp(
            "The program that carries out an action (repeatable; at least one, here or in JOBS_WORKER_ACTIONS, unless --action-runner), e.g. delete_user_data=/usr/local/lib/jobs-api/actions/delete-user-data. The worker claims only jobs of these actions.",
            valueName: "name=executable"))
    var actions: [String] = []

    @Option(
        name: .customLong("action-env"),
        help: ArgumentHelp(
            "A variable of the worker's environment that action programs get too, besides PATH, LANG and LC_* (repeatable), e.g. USER_DATA_DIR. Never JOBS_STORE nor PG*.",
            valueName: "name"))
    var actionEnvironment: [String] = []

    @Option(
        name: .customLong("action-runner"),
        help: ArgumentHelp(
            "The Unix socket of an action runner (jobsctl action-runner) that starts the programs instead of the worker, e.g. /run/jobs-action/runner.sock. The worker then claims the actions the runner lists; not with --action nor --action-env.",
            valueName: "socket"))
    var actionRunner: String?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Jobs run at once, \(Self.range(WorkerConfiguration.Bounds.concurrency)) (default 2).", valueName: "n"))
    var concurrency: Int?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Seconds between two looks for due jobs while none is due, \(WorkerConfiguration.secondsText(WorkerConfiguration.Bounds.pollInterval)) (default 5).",
            valueName: "n"))
    var pollSeconds: Double?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Seconds a claimed job stays this worker's unless renewed, \(WorkerConfiguration.secondsText(WorkerConfiguration.Bounds.lease)) (default 30): how long a crashed worker's jobs wait before another worker runs them.",
            valueName: "n"))
    var leaseSeconds: Double?

    @Option(
        help: ArgumentHelp(
            "How long a program may run before it is stopped and its job fails: a duration such as 90s, 15m, 2h (at most 366d), or none (default 1h).",
            valueName: "duration"))
    var actionTimeout: String?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Seconds a program gets after SIGTERM before SIGKILL, and running programs get to finish when the worker stops, \(WorkerConfiguration.secondsText(WorkerConfiguration.Bounds.grace)) (default 10).",
            valueName: "n"))
    var graceSeconds: Double?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Threads posting webhook events, 0–16 (default 2; 0: this worker delivers none).", valueName: "n"))
    var webhookSenders = 2

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Seconds before a failed webhook delivery is tried again the first time; each wait is four times the one before, up to 10 h (default 5).",
            valueName: "n"))
    var webhookFirstRetrySeconds: Double = 5

    func validate() throws {
        _ = try settings(askingRunner: false)
        guard (0...16).contains(webhookSenders) else { throw ValidationError("--webhook-senders must be 0–16") }
        guard webhookFirstRetrySeconds.isFinite, webhookFirstRetrySeconds >= 0.01, webhookFirstRetrySeconds <= 3600
        else { throw ValidationError("--webhook-first-retry-seconds must be 0.01–3600") }
    }

    func run() throws {
        let settings = try settings(askingRunner: true)
        let connector = try storeOptions.connector()
        // connect() checks that the store exists and is on the current schema, with a message naming the fix.
        _ = try connector.connect()

        let log = WorkerLog.standardError(prefix: "jobs-worker")
        // libcurl's global state, before any thread starts.
        try WebhookDeliveries.prepare()
        let deliveries = WebhookDeliveries(
            owner: settings.owner, senders: webhookSenders, pollInterval: settings.pollInterval,
            schedule: DeliverySchedule(firstRetry: Int64((webhookFirstRetrySeconds * 1000).rounded())),
            connect: {
                guard let store = try connector.connectForAdministration(create: false) as? any WebhookStore else {
                    throw CLIError("this store does not keep webhooks")
                }
                return store
            }, log: log)
        let worker = JobRunner(
            configuration: settings,
            connect: { try connector.connectForAdministration(create: false) },
            log: log, onJobEnded: { deliveries.jobEnded() })
        // Before the worker starts any thread: every thread inherits the blocked stop signals.
        try StopSignals.watch { _, name in worker.stop(reason: name) }
        if !once { try deliveries.start() }
        defer { deliveries.stop() }
        try worker.run()
        // Run once: the events due now, each tried once, after the jobs.
        if once && webhookSenders > 0 { deliveries.deliverDueEvents() }
    }

    static func range(_ range: ClosedRange<Int>) -> String { "\(range.lowerBound)–\(range.upperBound)" }

    /// The worker's configuration: each option, else its environment variable, else its default, checked by
    /// ``WorkerConfiguration`` against its bounds; an error names the option or variable that gave the value.
    /// With an action runner, `askingRunner` asks it for its actions (``ActionRunnerClient/actions(at:timeout:)``);
    /// without, `delete_user_data` stands in for them, so that `validate()` checks every other setting first.
    private func settings(askingRunner: Bool) throws -> WorkerConfiguration {
        let environment = ProcessInfo.processInfo.environment
        /// Where each setting came from, for messages: `--lease-seconds` or `JOBS_WORKER_LEASE_SECONDS=0:`.
        var sources: [WorkerConfiguration.SettingError.Setting: String] = [:]

        /// `option` if given, else `variable` parsed, else `nil` (the configuration's default).
        func setting<Value>(
            _ option: Value?, _ name: String, _ variable: String, _ setting: WorkerConfiguration.SettingError.Setting,
            _ parse: (String) -> Value?, _ rule: String
        ) throws -> Value? {
            if let option {
                sources[setting] = "--\(name)"
                return option
            }
            guard let text = environment[variable], !text.isEmpty else { return nil }
            guard let parsed = parse(text) else { throw ValidationError("\(variable)=\(text): \(rule)") }
            sources[setting] = "\(variable)=\(text):"
            return parsed
        }

        /// Seconds as a duration; a value that is not finite is refused here, one out of range by the bounds.
        func duration(_ seconds: Double?, _ setting: WorkerConfiguration.SettingError.Setting) throws -> Duration? {
            guard let seconds else { return nil }
            guard let duration = Duration.seconds(checking: seconds) else {
                throw ValidationError("\(sources[setting] ?? "\(setting)") must be a number of seconds")
            }
            return duration
        }

        let concurrency = try setting(
            concurrency, "concurrency", "JOBS_WORKER_CONCURRENCY", .concurrency, { Int($0) },
            "must be a whole number, \(Self.range(WorkerConfiguration.Bounds.concurrency))")
        let poll = try duration(
            setting(pollSeconds, "poll-seconds", "JOBS_WORKER_POLL_SECONDS", .pollInterval, { Double($0) },
                    "must be a number of seconds"), .pollInterval)
        let lease = try duration(
            setting(leaseSeconds, "lease-seconds", "JOBS_WORKER_LEASE_SECONDS", .lease, { Double($0) },
                    "must be a number of seconds"), .lease)
        let grace = try duration(
            setting(graceSeconds, "grace-seconds", "JOBS_WORKER_GRACE_SECONDS", .grace, { Double($0) },
                    "must be a number of seconds"), .grace)
        let timeout = try setting(
            actionTimeout.map { text -> TimeLimit in TimeLimit(parsing: text) ?? .invalid(text) },
            "action-timeout", "JOBS_WORKER_ACTION_TIMEOUT", .actionTimeout, { TimeLimit(parsing: $0) },
            TimeLimit.rule)
        if case .invalid? = timeout { throw ValidationError("--action-timeout \(TimeLimit.rule)") }

        let runnerVariable = environment["JOBS_WORKER_ACTION_RUNNER"].flatMap { $0.isEmpty ? nil : $0 }
        let actionsVariable = environment["JOBS_WORKER_ACTIONS"].flatMap {
            $0.allSatisfy(\.isWhitespace) ? nil : $0
        }
        if actionRunner != nil && !actions.isEmpty {
            throw CLIError(
                "--action and --action-runner exclude each other: with an action runner, the runner's own --action "
                    + "options name the programs")
        }
        if actionRunner == nil && actions.isEmpty && runnerVariable != nil && actionsVariable != nil {
            throw CLIError(
                "JOBS_WORKER_ACTIONS and JOBS_WORKER_ACTION_RUNNER are both set: the worker either starts its "
                    + "programs or has an action runner start them")
        }
        let runnerSocket = actions.isEmpty ? actionRunner ?? runnerVariable : nil
        if runnerSocket != nil && !actionEnvironment.isEmpty {
            throw CLIError(
                "--action-env and --action-runner exclude each other: programs get the action runner's "
                    + "environment, as its own --action-env allows")
        }
        var runner: (socket: String, actions: [JobAction])?
        if let runnerSocket {
            let listed: [JobAction]
            if askingRunner {
                do {
                    listed = try ActionRunnerClient.actions(at: runnerSocket)
                } catch {
                    throw CLIError("\(error): refusing to start a worker that cannot run its jobs")
                }
                guard !listed.isEmpty else {
                    throw CLIError(
                        "the action runner at \(runnerSocket) runs no action: refusing to start a worker that would "
                            + "run nothing")
                }
            } else {
                listed = [.deleteUserData]
            }
            runner = (runnerSocket, listed)
        }

        let programs = runner != nil
            ? [:] : try ActionOptions.programs(actions, variable: "JOBS_WORKER_ACTIONS", environment: environment)

        let passed = runner != nil
            ? []
            : ActionOptions.environmentNames(actionEnvironment, variable: "JOBS_WORKER_ACTION_ENV", environment: environment)
        sources[.actionEnvironment] = actionEnvironment.isEmpty ? "JOBS_WORKER_ACTION_ENV:" : "--action-env"

        let limit: Duration?
        switch timeout {
        case .after(let duration)?: limit = duration
        case .unlimited?: limit = nil
        case nil, .invalid?: limit = .seconds(3600)
        }
        do {
            return try WorkerConfiguration(
                programs: programs, actionRunner: runner, concurrency: concurrency ?? 2, pollInterval: poll ?? .seconds(5),
                lease: lease ?? .seconds(30), actionTimeout: limit, grace: grace ?? .seconds(10), runOnce: once,
                actionEnvironment: passed)
        } catch let error where error.setting == .programs {
            // One line, not the usage: the option is not wrong, it is missing.
            throw CLIError(
                "no action is configured (no --action, and JOBS_WORKER_ACTIONS is empty or unset): refusing to "
                    + "start a worker that would run nothing")
        } catch {
            let source = sources[error.setting] ?? "\(error.setting.rawValue)"
            throw ValidationError("\(source) \(error.rule)")
        }
    }
}

/// `--action-timeout`: how long a program may run.
enum TimeLimit: Equatable {
    case unlimited
    case after(Duration)
    /// Text that is none of those (reported by the option's name).
    case invalid(String)

    static let rule = "must be a duration such as 90s, 15m, 2h (or a number of seconds), at most 366d, or none"

    /// Reads `none`, a number of seconds, or a duration as `--schedule-delay` reads it (`90s`, `15m`, `2h`),
    /// above zero; `nil` otherwise. A number too large for a duration is `nil` too; one too large for the
    /// worker is refused by its configuration.
    init?(parsing text: String) {
        if text == "none" {
            self = .unlimited
        } else if let seconds = Int64(text) {
            guard seconds > 0, seconds <= Int64.max / 1000 else { return nil }
            self = .after(.seconds(seconds))
        } else if case .fixed(let milliseconds)? = ScheduleDelay(parsing: text), milliseconds > 0 {
            self = .after(.milliseconds(milliseconds))
        } else {
            return nil
        }
    }
}
