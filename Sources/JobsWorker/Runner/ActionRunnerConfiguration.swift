import JobsCore

/// How the action runner (``ActionRunner``) runs: which program carries out which action, which of its own
/// variables programs get, how many connections it serves at once, how long a program it stops gets.
public struct ActionRunnerConfiguration: Sendable {
    /// The program of each action; at least one.
    public let programs: [JobAction: ActionProgram]
    /// Variables of the runner's environment that programs get besides `PATH`, `LANG` and `LC_*` (the
    /// operator's `--action-env`). Never `JOBS_STORE` nor `PG*`.
    public let actionEnvironment: Set<String>
    /// Connections served at once; one more is answered `error busy` and closed.
    public let maximumConnections: Int
    /// How long a program asked to stop (SIGTERM) when the runner stops has before it is killed (SIGKILL).
    public let grace: Duration

    /// The range each setting must fall in.
    public enum Bounds {
        public static let maximumConnections: ClosedRange<Int> = 1...1024
        public static let grace: ClosedRange<Duration> = WorkerConfiguration.Bounds.grace
    }

    /// A configuration. Throws ``WorkerConfiguration/SettingError`` for no program at all, a value outside its
    /// ``Bounds``, or an `--action-env` name that is not a variable's or may hold the store's credentials.
    public init(
        programs: [JobAction: ActionProgram], actionEnvironment: [String] = [], maximumConnections: Int = 64,
        grace: Duration = .seconds(10)
    ) throws(WorkerConfiguration.SettingError) {
        guard !programs.isEmpty else {
            throw WorkerConfiguration.SettingError(
                setting: .programs, rule: "is empty: the action runner would run nothing")
        }
        guard Bounds.maximumConnections.contains(maximumConnections) else {
            throw WorkerConfiguration.SettingError(
                setting: .concurrency,
                rule: "must be \(Bounds.maximumConnections.lowerBound) to \(Bounds.maximumConnections.upperBound)")
        }
        guard Bounds.grace.contains(grace) else {
            throw WorkerConfiguration.SettingError(
                setting: .grace, rule: "must be \(WorkerConfiguration.secondsText(Bounds.grace)) seconds")
        }
        try WorkerConfiguration.checkActionEnvironment(actionEnvironment)
        self.programs = programs
        self.actionEnvironment = Set(actionEnvironment)
        self.maximumConnections = maximumConnections
        self.grace = grace
    }

    /// The actions the runner runs, in name order.
    public var actions: [JobAction] { programs.keys.sorted { $0.rawValue < $1.rawValue } }
}
