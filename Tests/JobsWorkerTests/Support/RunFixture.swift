import Foundation
import JobsCore
import JobsTesting
@testable import JobsWorker

/// The lines a worker logged, collected from every thread.
final class LogLines: @unchecked Sendable {
    // Safe to share: `lines` is only touched with `lock` held.
    private let lock = NSLock()
    private var lines: [String] = []

    var log: WorkerLog { WorkerLog { [self] line in lock.withLock { lines.append(line) } } }
    var all: [String] { lock.withLock { lines } }
    var text: String { all.joined(separator: "\n") }
}

/// A fake store, a temporary folder for the test's programs, and a log: what running jobs needs.
struct RunFixture {
    static let owner = "test-worker"

    let directory: TemporaryDirectory
    let store = FakeWorkerStore()
    let lines = LogLines()

    init() throws {
        directory = try TemporaryDirectory(prefix: "jobs-worker-tests")
    }

    /// A configuration with short intervals, running `program` (a path) for delete_user_data when given.
    func configuration(
        program: String?, lease: Duration = .seconds(5), watch: Duration = .milliseconds(50),
        timeout: Duration? = .seconds(20), grace: Duration = .milliseconds(500), concurrency: Int = 2,
        once: Bool = false
    ) throws -> WorkerConfiguration {
        var programs: [JobAction: ActionProgram] = [:]
        if let program { programs[.deleteUserData] = ActionProgram(action: .deleteUserData, executable: program) }
        return try WorkerConfiguration(
            owner: Self.owner, programs: programs, concurrency: concurrency, pollInterval: .milliseconds(50),
            lease: lease, watchInterval: watch, actionTimeout: timeout, grace: grace, runOnce: once)
    }

    /// Writes a `/bin/sh` script into the folder and returns its path. `$DIR` in it is the folder.
    func script(_ body: String, name: String = "action") throws -> String {
        try directory.writeExecutable(name, "#!/bin/sh\nDIR='\(directory.path)'\n\(body)\n")
    }

    /// Adds a due job for `user` and claims it, as a worker's claim would.
    func claim(user: String = "user@example.com", action: JobAction = .deleteUserData, lease: Duration = .seconds(5))
        throws -> ClaimedJob
    {
        let job = store.add(user: user, action: action)
        let now = JobsAPI.now()
        let claimed = try store.claimDueJobs(
            owner: Self.owner, now: now, leaseUntil: now + lease.inMilliseconds, limit: 1, actions: [action])
        guard let first = claimed.first, first.job.id == job.id else { throw JobsTestingError("claim failed") }
        return first
    }

    func makeRun(_ claimed: ClaimedJob, _ configuration: WorkerConfiguration, environment: [String] = [])
        -> JobRun
    {
        JobRun(
            claimed: claimed, configuration: configuration,
            baseEnvironment: environment.isEmpty ? ["PATH=/usr/bin:/bin"] : environment, log: lines.log)
    }

    /// Runs the job on a thread of its own; `outcome` waits for its end.
    func start(_ run: JobRun) -> PendingOutcome {
        let pending = PendingOutcome()
        let store = self.store
        Thread.detachNewThread { pending.set(run.run(on: store)) }
        return pending
    }
}

/// The outcome of a run on another thread, once it ended.
final class PendingOutcome: @unchecked Sendable {
    // Safe to share: `value` is written once before `done` is signalled and read after waiting for it.
    private var value: JobRunOutcome?
    private let done = DispatchSemaphore(value: 0)

    func set(_ outcome: JobRunOutcome) {
        value = outcome
        done.signal()
    }

    /// The outcome, waiting up to `timeout` seconds; `nil` if the run has not ended by then.
    func wait(timeout: TimeInterval = patientTimeout) -> JobRunOutcome? {
        guard done.wait(timeout: .now() + timeout) == .success else { return nil }
        done.signal()
        return value
    }
}

/// Whether a process with this pid exists (and is not a zombie).
func isAlive(_ pid: pid_t) -> Bool { ProcessStatus.isAlive(pid) }
