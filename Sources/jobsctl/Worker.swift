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
            Each job runs its action's program directly (no shell), with the worker's environment plus JOB_ID, \
            PROJECT_ID, PROJECT_KEY, ACTION and REFERENCE_ID, and the job's JSON on standard input. Exit status 0 \
            completes the job; another status, a signal or the timeout fails it, with the end of the program's \
            standard error as its errors. A cancelled job's program gets SIGTERM within about a second. Several \
            workers may share one store: a job is claimed by one worker at a time, under a lease it renews while \
            the program runs; a crashed worker's jobs run again once their lease expires. Actions must therefore \
            be safe to run twice.

            Each option not given falls back to an environment variable: JOBS_WORKER_ACTIONS (NAME=EXECUTABLE \
            entries separated by spaces), JOBS_WORKER_CONCURRENCY, JOBS_WORKER_POLL_SECONDS, \
            JOBS_WORKER_LEASE_SECONDS, JOBS_WORKER_ACTION_TIMEOUT, JOBS_WORKER_GRACE_SECONDS.

            One line per job transition goes to standard error, and so does what programs write to their \
            standard output. SIGTERM or SIGINT: claim nothing more, let running programs finish for the grace \
            period, then stop them and release their jobs for the next worker, and exit 0.
            """)

    @OptionGroup var storeOptions: StoreOptions

    @Flag(help: "Run every job due now, then exit, instead of running until SIGTERM or SIGINT.")
    var once = false

    @Option(
        name: .customLong("action"),
        help: ArgumentHelp(
            "The program that carries out an action (repeatable), e.g. delete_user_data=/usr/local/lib/jobs-api/actions/delete-user-data. A job whose action has no program fails.",
            valueName: "name=executable"))
    var actions: [String] = []

    @Option(help: ArgumentHelp("Jobs run at once, 1–\(Self.maximumConcurrency) (default 2).", valueName: "n"))
    var concurrency: Int?

    @Option(
        help: ArgumentHelp(
            "Seconds between two looks for due jobs while none is due, 0.05–3600 (default 5).", valueName: "n"))
    var pollSeconds: Double?

    @Option(
        help: ArgumentHelp(
            "Seconds a claimed job stays this worker's unless renewed, 1–86400 (default 30): how long a crashed worker's jobs wait before another worker runs them.",
            valueName: "n"))
    var leaseSeconds: Int?

    @Option(
        help: ArgumentHelp(
            "How long a program may run before it is stopped and its job fails: a duration such as 90s, 15m, 2h, or none (default 1h).",
            valueName: "duration"))
    var actionTimeout: String?

    @Option(
        help: ArgumentHelp(
            "Seconds a program gets after SIGTERM before SIGKILL, and running programs get to finish when the worker stops, 0–3600 (default 10).",
            valueName: "n"))
    var graceSeconds: Double?

    static let maximumConcurrency = 64

    func validate() throws {
        _ = try settings()
    }

    func run() throws {
        let settings = try settings()
        let connector = try storeOptions.connector()
        // connect() checks that the store exists and is on the current schema, with a message naming the fix.
        _ = try connector.connect()

        let worker = Worker(
            configuration: settings,
            connect: { try connector.connectForAdministration(create: false) },
            log: .standardError(prefix: "jobs-worker"))
        // Before the worker starts any thread: every thread inherits the blocked stop signals.
        try StopSignals.watch { _, name in worker.stop(reason: name) }
        try worker.run()
    }

    /// The worker's configuration: each option, else its environment variable, else its default.
    private func settings() throws -> WorkerConfiguration {
        let environment = ProcessInfo.processInfo.environment

        /// `option` if given, else `variable` parsed, else `defaultValue`; `rule` says what `valid` accepts.
        func setting<Value>(
            _ option: Value?, _ name: String, _ variable: String, _ parse: (String) -> Value?,
            default defaultValue: Value, valid: (Value) -> Bool, _ rule: String
        ) throws -> Value {
            if let option {
                guard valid(option) else { throw ValidationError("--\(name) \(rule)") }
                return option
            }
            guard let text = environment[variable], !text.isEmpty else { return defaultValue }
            guard let parsed = parse(text), valid(parsed) else { throw ValidationError("\(variable)=\(text): \(rule)") }
            return parsed
        }

        let concurrency = try setting(
            concurrency, "concurrency", "JOBS_WORKER_CONCURRENCY", { Int($0) }, default: 2,
            valid: { (1...Self.maximumConcurrency).contains($0) }, "must be 1 to \(Self.maximumConcurrency)")
        let poll = try setting(
            pollSeconds, "poll-seconds", "JOBS_WORKER_POLL_SECONDS", { Double($0) }, default: 5,
            valid: { $0 >= 0.05 && $0 <= 3600 }, "must be 0.05 to 3600")
        let lease = try setting(
            leaseSeconds, "lease-seconds", "JOBS_WORKER_LEASE_SECONDS", { Int($0) }, default: 30,
            valid: { (1...86_400).contains($0) }, "must be 1 to 86400")
        let grace = try setting(
            graceSeconds, "grace-seconds", "JOBS_WORKER_GRACE_SECONDS", { Double($0) }, default: 10,
            valid: { $0 >= 0 && $0 <= 3600 }, "must be 0 to 3600")
        let timeout: TimeLimit
        if let actionTimeout {
            guard let parsed = TimeLimit(parsing: actionTimeout) else {
                throw ValidationError("--action-timeout \(TimeLimit.rule)")
            }
            timeout = parsed
        } else if let text = environment["JOBS_WORKER_ACTION_TIMEOUT"], !text.isEmpty {
            guard let parsed = TimeLimit(parsing: text) else {
                throw ValidationError("JOBS_WORKER_ACTION_TIMEOUT=\(text): \(TimeLimit.rule)")
            }
            timeout = parsed
        } else {
            timeout = .after(.seconds(3600))
        }

        let fromEnvironment = actions.isEmpty
        let entries = fromEnvironment
            ? (environment["JOBS_WORKER_ACTIONS"] ?? "").split(whereSeparator: \.isWhitespace).map(String.init)
            : actions
        var programs: [JobAction: ActionProgram] = [:]
        for entry in entries {
            let program: ActionProgram
            do {
                program = try ActionProgram(parsing: entry)
            } catch {
                throw ValidationError("\(fromEnvironment ? "JOBS_WORKER_ACTIONS" : "--action"): \(error)")
            }
            guard programs[program.action] == nil else {
                throw ValidationError("action \(program.action.rawValue) is given twice")
            }
            programs[program.action] = program
        }

        let limit: Duration?
        switch timeout {
        case .after(let duration): limit = duration
        case .unlimited: limit = nil
        }
        return WorkerConfiguration(
            programs: programs, concurrency: concurrency, pollInterval: .milliseconds(Int64(poll * 1000)),
            lease: .seconds(lease), actionTimeout: limit, grace: .milliseconds(Int64(grace * 1000)), runOnce: once)
    }
}

/// `--action-timeout`: how long a program may run.
enum TimeLimit: Equatable {
    case unlimited
    case after(Duration)

    static let rule = "must be a duration such as 90s, 15m, 2h (or a number of seconds), or none"

    /// Reads `none`, a number of seconds, or a duration as `--schedule-delay` reads it (`90s`, `15m`, `2h`),
    /// above zero; `nil` otherwise.
    init?(parsing text: String) {
        if text == "none" {
            self = .unlimited
        } else if let seconds = Int64(text) {
            guard seconds > 0 else { return nil }
            self = .after(.seconds(seconds))
        } else if case .fixed(let milliseconds)? = ScheduleDelay(parsing: text), milliseconds > 0 {
            self = .after(.milliseconds(milliseconds))
        } else {
            return nil
        }
    }
}
