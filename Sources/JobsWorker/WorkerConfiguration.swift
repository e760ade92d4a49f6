import JobsCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a worker runs: which program carries out which action, how many jobs at once, how often it looks for due
/// jobs, how long its leases last, how long a program may take.
///
/// Every value is checked against ``Bounds`` when the configuration is made, whoever makes it (`jobsctl worker`
/// from its options, a test, another program): a worker never runs with a value that could make its arithmetic
/// trap, nor without a program to run.
public struct WorkerConfiguration: Sendable {
    /// The name this worker's leases carry; unique per worker process.
    public let owner: String
    /// Who starts the programs: the worker itself, or an action runner it reaches through a socket.
    public let actionSource: ActionSource
    /// Jobs run at once, each by a program of its own.
    public let concurrency: Int
    /// How long the worker waits between two looks for due jobs when the last look found none to spare.
    public let pollInterval: Duration
    /// How long a claim or a renewal keeps a job this worker's. Another worker takes over a job whose lease
    /// expired: the time a crashed worker's jobs wait.
    public let lease: Duration
    /// How often a running job's lease is renewed, which is also how the worker notices that it was cancelled
    /// (the renewal finds it no longer running): the bound on the time a cancelled program keeps running.
    public let watchInterval: Duration
    /// How long a program may run before it is stopped and its job fails; `nil` for no limit.
    public let actionTimeout: Duration?
    /// How long a program asked to stop (SIGTERM) has before it is killed (SIGKILL); also how long running
    /// programs may finish when the worker is asked to stop.
    public let grace: Duration
    /// Run the jobs due now, then return, instead of running until stopped.
    public let runOnce: Bool
    /// The most bytes of a program's standard error kept as a failed job's `errors`.
    public let errorsLimit: Int
    /// Variables of the worker's environment that programs get besides `PATH`, `LANG` and `LC_*` (the operator's
    /// `--action-env`). Never `JOBS_STORE` nor `PG*`: those may hold the store's password.
    public let actionEnvironment: Set<String>

    /// Who starts a job's program.
    public enum ActionSource: Sendable, Equatable {
        /// The worker itself, as its own user: the program of each action (`--action`).
        case programs([JobAction: ActionProgram])
        /// The action runner listening on this Unix socket (`--action-runner`), as the runner's user, for the
        /// actions it listed when the worker started (``ActionRunnerClient/actions(at:)``).
        case runner(socket: String, actions: [JobAction])
    }

    /// The program of each action the worker starts itself; empty when an action runner starts them.
    public var programs: [JobAction: ActionProgram] {
        if case .programs(let programs) = actionSource { return programs }
        return [:]
    }

    /// Whether a program gets its starter's variable `name` (the worker's, or the action runner's): `PATH`,
    /// `LANG`, `LC_*` and the names in `named` (`--action-env`), never `JOBS_STORE` nor `PG*`.
    public static func passesToActions(_ name: String, naming named: Set<String>) -> Bool {
        guard !isSecret(name) else { return false }
        return name == "PATH" || name == "LANG" || name.hasPrefix("LC_") || named.contains(name)
    }

    /// The entries of `environment` (`NAME=value`) that programs get, ``passesToActions(_:naming:)``, without any
    /// of the job's own variables (``JobRun/jobVariables``: those are added per job, after these).
    static func actionBaseEnvironment(_ environment: [String], naming named: Set<String>) -> [String] {
        let jobVariables = Set(JobRun.jobVariables)
        return environment.filter { entry in
            let name = String(entry.prefix { $0 != "=" })
            return !jobVariables.contains(name) && passesToActions(name, naming: named)
        }
    }

    /// Variables that may hold the store's credentials.
    static func isSecret(_ name: String) -> Bool { name == "JOBS_STORE" || name.hasPrefix("PG") }

    /// Checks the names of `--action-env`: variable names, none that may hold the store's credentials.
    static func checkActionEnvironment(_ names: [String]) throws(SettingError) {
        for name in names {
            guard let first = name.utf8.first, first < 0x30 || first > 0x39,
                name.utf8.allSatisfy({ $0 == 0x5F || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0)
                    || (0x61...0x7A).contains($0) })
            else {
                throw SettingError(
                    setting: .actionEnvironment, rule: "\(name): must be a variable name ([A-Za-z_][A-Za-z0-9_]*)")
            }
            guard !isSecret(name) else {
                throw SettingError(
                    setting: .actionEnvironment,
                    rule: "\(name): never passed to actions (JOBS_STORE and PG* may hold the store's password)")
            }
        }
    }

    /// Whether this worker claims jobs of `action` (one of ``actions``, without sorting them).
    public func runs(_ action: JobAction) -> Bool {
        switch actionSource {
        case .programs(let programs): return programs[action] != nil
        case .runner(_, let actions): return actions.contains(action)
        }
    }

    /// The actions this worker claims jobs of: those it has a program for, or those its action runner runs, in
    /// name order.
    public var actions: [JobAction] {
        switch actionSource {
        case .programs(let programs): return programs.keys.sorted { $0.rawValue < $1.rawValue }
        case .runner(_, let actions): return Set(actions).sorted { $0.rawValue < $1.rawValue }
        }
    }

    /// The range each setting must fall in.
    ///
    /// They keep every sum the worker makes far from overflow: store times are milliseconds since the epoch
    /// (about 2^41 today), and the largest sum, `now + lease` for a lease's end, adds at most 86,400,000 to
    /// one; the deadlines on the monotonic clock add a grace period, a lease and a timeout of at most a year
    /// together, where `Duration` holds about 5 × 10^21 years.
    public enum Bounds {
        public static let concurrency: ClosedRange<Int> = 1...64
        public static let pollInterval: ClosedRange<Duration> = .milliseconds(50) ... .seconds(3_600)
        public static let lease: ClosedRange<Duration> = .milliseconds(100) ... .seconds(86_400)
        public static let watchInterval: ClosedRange<Duration> = .milliseconds(1) ... .seconds(3_600)
        public static let actionTimeout: ClosedRange<Duration> = .milliseconds(1) ... .seconds(366 * 86_400)
        public static let grace: ClosedRange<Duration> = .zero ... .seconds(3_600)
        /// At most 4,096 bytes of output, so that `errors` stays within ``JobsCore/Job/maximumErrorsBytes``
        /// with its cause in front, whatever the output holds.
        public static let errorsLimit: ClosedRange<Int> = 1...4_096
    }

    /// A setting outside its ``Bounds``, or no program at all.
    public struct SettingError: Error, CustomStringConvertible, Sendable, Equatable {
        /// Which setting.
        public enum Setting: String, Sendable {
            case programs, concurrency, pollInterval, lease, watchInterval, actionTimeout, grace, errorsLimit
            case actionEnvironment
        }

        public var setting: Setting
        /// What the setting accepts: `must be 0.1 to 86400 seconds`.
        public var rule: String

        public var description: String { "\(setting.rawValue) \(rule)" }
    }

    /// The default watch interval for a lease: half a second, or a quarter of a shorter lease, so that a lease
    /// always sees a few renewals before it ends.
    package static func watchInterval(forLease lease: Duration) -> Duration {
        min(.milliseconds(500), lease / 4)
    }

    /// A configuration; `watchInterval` defaults to ``watchInterval(forLease:)``. The worker starts `programs`
    /// itself, unless `actionRunner` names a runner's socket and the actions it runs (then `programs` must be
    /// empty). Throws ``SettingError`` for the first value outside its ``Bounds``, for no program at all (a
    /// worker without one would run nothing), and for programs and a runner together.
    public init(
        owner: String = WorkerConfiguration.uniqueOwner(), programs: [JobAction: ActionProgram] = [:],
        actionRunner: (socket: String, actions: [JobAction])? = nil, concurrency: Int = 2, pollInterval: Duration = .seconds(5), lease: Duration = .seconds(30),
        watchInterval: Duration? = nil, actionTimeout: Duration? = .seconds(3600), grace: Duration = .seconds(10),
        runOnce: Bool = false, errorsLimit: Int = 4096, actionEnvironment: [String] = []
    ) throws(SettingError) {
        let source: ActionSource
        if let actionRunner {
            guard programs.isEmpty else {
                throw SettingError(
                    setting: .programs,
                    rule: "and an action runner are both given: with --action-runner, the runner's --action options "
                        + "name the programs")
            }
            guard !actionRunner.actions.isEmpty else {
                throw SettingError(
                    setting: .programs,
                    rule: "is empty: the action runner at \(actionRunner.socket) runs no action, so the worker would "
                        + "run nothing")
            }
            source = .runner(socket: actionRunner.socket, actions: actionRunner.actions)
        } else {
            source = .programs(programs)
        }
        guard actionRunner != nil || !programs.isEmpty else {
            throw SettingError(
                setting: .programs,
                rule: "is empty: no action is configured, so the worker would run nothing. Give each action's "
                    + "program with --action NAME=EXECUTABLE or JOBS_WORKER_ACTIONS (for example "
                    + "delete_user_data=/usr/local/lib/jobs-api/actions/delete-user-data)")
        }
        func check(_ value: Duration, _ range: ClosedRange<Duration>, _ setting: SettingError.Setting) throws(SettingError) {
            guard range.contains(value) else {
                throw SettingError(setting: setting, rule: "must be \(Self.secondsText(range)) seconds")
            }
        }
        guard Bounds.concurrency.contains(concurrency) else {
            throw SettingError(
                setting: .concurrency,
                rule: "must be \(Bounds.concurrency.lowerBound) to \(Bounds.concurrency.upperBound)")
        }
        try check(pollInterval, Bounds.pollInterval, .pollInterval)
        try check(lease, Bounds.lease, .lease)
        let watch = watchInterval ?? Self.watchInterval(forLease: lease)
        try check(watch, Bounds.watchInterval, .watchInterval)
        if let actionTimeout { try check(actionTimeout, Bounds.actionTimeout, .actionTimeout) }
        try check(grace, Bounds.grace, .grace)
        guard Bounds.errorsLimit.contains(errorsLimit) else {
            throw SettingError(
                setting: .errorsLimit,
                rule: "must be \(Bounds.errorsLimit.lowerBound) to \(Bounds.errorsLimit.upperBound) bytes")
        }
        try Self.checkActionEnvironment(actionEnvironment)
        self.actionEnvironment = Set(actionEnvironment)
        self.owner = owner
        self.actionSource = source
        self.concurrency = concurrency
        self.pollInterval = pollInterval
        self.lease = lease
        self.watchInterval = watch
        self.actionTimeout = actionTimeout
        self.grace = grace
        self.runOnce = runOnce
        self.errorsLimit = errorsLimit
    }

    /// `0.05 to 3600`: a range of durations in seconds, as the options give them.
    public static func secondsText(_ range: ClosedRange<Duration>) -> String {
        "\(secondsText(range.lowerBound)) to \(secondsText(range.upperBound))"
    }

    /// `0.05`, `3600`: a duration in seconds, without trailing zeros.
    static func secondsText(_ duration: Duration) -> String {
        let milliseconds = duration.inMilliseconds
        let whole = milliseconds / 1000
        var fraction = String(milliseconds % 1000)
        guard fraction != "0" else { return String(whole) }
        fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(whole).\(fraction)"
    }

    /// A ``LeaseOwner`` of this process: tells workers apart in the store and the log, also across restarts that
    /// reuse a pid, and lets a worker on the same host tell that this one is gone.
    public static func uniqueOwner() -> String {
        LeaseOwner.current().description
    }
}

extension WorkerConfiguration {
    /// This host's name; `localhost` when it has none. The corresponding C function is `gethostname`.
    public static func hostName() -> String {
        var name = [CChar](repeating: 0, count: 256)
        return gethostname(&name, name.count - 1) == 0
            ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "localhost"
    }
}

extension Duration {
    /// A number of seconds as the worker's options give it (`0.5`, `30`), to the millisecond; `nil` for a value
    /// that is not finite. Values beyond any bound (±10^12 s) become the largest or smallest duration, which
    /// every bound refuses, instead of trapping in the conversion.
    public static func seconds(checking seconds: Double) -> Duration? {
        guard seconds.isFinite else { return nil }
        guard abs(seconds) <= 1e12 else { return seconds > 0 ? .seconds(Int64.max) : .seconds(Int64.min) }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }
}
