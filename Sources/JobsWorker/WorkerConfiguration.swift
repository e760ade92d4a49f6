import JobsCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a worker runs: which program carries out which action, how many jobs at once, how often it looks for due
/// jobs, how long its leases last, how long a program may take.
public struct WorkerConfiguration: Sendable {
    /// The name this worker's leases carry; unique per worker process.
    public var owner: String
    /// The program of each action; a job whose action has none fails.
    public var programs: [JobAction: ActionProgram]
    /// Jobs run at once, each by a program of its own.
    public var concurrency: Int
    /// How long the worker waits between two looks for due jobs when the last look found none to spare.
    public var pollInterval: Duration
    /// How long a claim or a renewal keeps a job this worker's. Another worker takes over a job whose lease
    /// expired: the time a crashed worker's jobs wait.
    public var lease: Duration
    /// How often a running job's lease is renewed, which is also how the worker notices that it was cancelled
    /// (the renewal finds it no longer running): the bound on the time a cancelled program keeps running.
    public var watchInterval: Duration
    /// How long a program may run before it is stopped and its job fails; `nil` for no limit.
    public var actionTimeout: Duration?
    /// How long a program asked to stop (SIGTERM) has before it is killed (SIGKILL); also how long running
    /// programs may take to finish when the worker is asked to stop.
    public var grace: Duration
    /// Run the jobs due now, then return, instead of running until stopped.
    public var runOnce: Bool
    /// The most bytes of a program's standard error kept as a failed job's `errors`.
    public var errorsLimit: Int

    /// The default watch interval for a lease: half a second, or a quarter of a shorter lease, so that a lease
    /// always sees a few renewals before it ends.
    public static func watchInterval(forLease lease: Duration) -> Duration {
        min(.milliseconds(500), lease / 4)
    }

    /// A configuration; `watchInterval` defaults to ``watchInterval(forLease:)``. Concurrency and the errors
    /// limit are at least 1.
    public init(
        owner: String = WorkerConfiguration.uniqueOwner(), programs: [JobAction: ActionProgram],
        concurrency: Int = 2, pollInterval: Duration = .seconds(5), lease: Duration = .seconds(30),
        watchInterval: Duration? = nil, actionTimeout: Duration? = .seconds(3600), grace: Duration = .seconds(10),
        runOnce: Bool = false, errorsLimit: Int = 4096
    ) {
        self.owner = owner
        self.programs = programs
        self.concurrency = max(1, concurrency)
        self.pollInterval = pollInterval
        self.lease = lease
        self.watchInterval = watchInterval ?? Self.watchInterval(forLease: lease)
        self.actionTimeout = actionTimeout
        self.grace = grace
        self.runOnce = runOnce
        self.errorsLimit = max(1, errorsLimit)
    }

    /// `HOST/PID/RANDOM`: tells workers apart in the store and the log, also across restarts that reuse a pid.
    public static func uniqueOwner() -> String {
        var name = [CChar](repeating: 0, count: 256)
        let host = gethostname(&name, name.count - 1) == 0
            ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "localhost"
        var generator = SystemRandomNumberGenerator()
        let suffix = String(UInt32.random(in: 0...UInt32.max, using: &generator), radix: 16)
        return "\(host)/\(getpid())/\(suffix)"
    }
}
