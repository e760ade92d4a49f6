import JobsCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One claimed job, run to its end on a thread of its own: its program started, watched, stopped when it must
/// be, and its result written under the lease.
///
/// While the program runs, the lease is renewed every ``WorkerConfiguration/watchInterval``. That renewal is also
/// how a cancel is noticed: it finds the job no longer running under this worker, and the program's process
/// group gets SIGTERM at once, SIGKILL after ``WorkerConfiguration/grace``. Every write that ends the job is
/// fenced on the lease in the store, so a result that comes too late (after a cancel, or after another worker
/// took the job over) is refused there and changes nothing.
final class JobRun: @unchecked Sendable {
    // Safe to share: `stopRequested` is a Mutex; everything else is set in `init` and only read afterwards.
    let claimed: ClaimedJob
    private let configuration: WorkerConfiguration
    private let baseEnvironment: [String]
    private let log: WorkerLog
    private let stopRequested = Mutex(false)

    /// - Parameter baseEnvironment: `NAME=value` entries every program gets, without the job's own variables.
    init(claimed: ClaimedJob, configuration: WorkerConfiguration, baseEnvironment: [String], log: WorkerLog) {
        self.claimed = claimed
        self.configuration = configuration
        self.baseEnvironment = baseEnvironment
        self.log = log
    }

    /// The variables that tell a program which job it runs (in this order, after the worker's own environment).
    static let jobVariables = ["JOB_ID", "PROJECT_ID", "PROJECT_KEY", "ACTION", "REFERENCE_ID"]

    /// Asks the run to stop its program because the worker is stopping: the program gets SIGTERM (SIGKILL after
    /// the grace period) and the job's lease is released instead of a result being written. Any thread.
    func requestStop() {
        stopRequested.withLock { $0 = true }
    }

    private var isStopRequested: Bool { stopRequested.withLock { $0 } }

    /// `job 12 (project 3, delete_user_data)`: how the log names the job.
    var subject: String {
        "job \(claimed.job.id) (project \(claimed.job.projectID), \(claimed.job.action.rawValue))"
    }

    /// Logs the claim: `scheduled → running`, or a `running` job taken over from a worker whose lease expired
    /// (the claim leaves its `updatedAt` alone; a scheduled job's becomes the claim's time).
    func logClaim(claimedAt: Int64) {
        let job = claimed.job
        if job.updatedAt == claimedAt {
            let late = Duration.milliseconds(max(0, claimedAt - job.startAt))
            log.write("\(subject): scheduled → running, \(late.humanText) after its startAt")
        } else {
            log.write("\(subject): running → running: taken over (its previous worker's lease expired or was released)")
        }
    }

    /// Runs the job on the calling thread, with `store` (a connection of this thread's own), and returns what
    /// became of it.
    func run(on store: any WorkerStore) -> JobRunOutcome {
        let job = claimed.job
        let started = ContinuousClock.now
        let ending = Ending(store: store, started: started, leaseExpiresAt: claimed.leaseExpiresAt)

        // Claims ask for the configured actions only; a job handed over by another way still fails plainly.
        guard configuration.runs(job.action) else {
            return finish(.failed, cause: "no program is configured for action \"\(job.action.rawValue)\"", ending)
        }
        let values = [String(job.id), String(job.projectID), claimed.projectKey.rawValue, job.action.rawValue,
                      job.referenceID]
        guard !values.contains(where: { $0.utf8.contains(0) }) else {
            // A NUL would cut the variable short: the program would act on another user's id.
            return finish(.failed, cause: "the job's reference id or action contains a NUL character", ending)
        }
        // The worker began to stop before this run got going: hand the job on without starting its program.
        if isStopRequested { return release(ending, reason: "the worker is stopping") }
        let input = Array((job.jsonText + "\n").utf8)
        let action: any RunningAction
        switch configuration.actionSource {
        case .programs(let programs):
            guard let program = programs[job.action] else {
                return finish(.failed, cause: "no program is configured for action \"\(job.action.rawValue)\"", ending)
            }
            let environment = baseEnvironment + zip(Self.jobVariables, values).map { "\($0)=\($1)" }
            do {
                action = try ActionProcess.start(executable: program.executable, environment: environment, input: input)
            } catch {
                // The client sees a plain message; the path and the system's reason go to the log.
                return finish(
                    .failed, cause: "the program for action \"\(job.action.rawValue)\" could not be started", ending,
                    note: "; \(error)")
            }
        case .runner(let socket, _):
            do {
                action = try RemoteAction.start(
                    socket: socket, action: job.action, variables: Array(zip(Self.jobVariables, values)), input: input,
                    errorsLimit: configuration.errorsLimit)
            } catch where error.isTransient {
                return leave(ending, reason: error.cause)
            } catch {
                return finish(.failed, cause: error.cause, ending)
            }
        }
        return watch(action, ending)
    }

    // MARK: Watching the program

    /// Why the worker stopped a program before it ended on its own.
    private enum StopCause {
        /// The job is no longer this worker's: cancelled, or taken over. The job as the store reported it.
        case lost(Job?)
        /// The lease could not be renewed (the store was unavailable) and is about to end.
        case leaseExpired
        /// The program ran past ``WorkerConfiguration/actionTimeout``.
        case timedOut
        /// The worker is stopping.
        case shutdown

        var isLost: Bool {
            switch self {
            case .lost, .leaseExpired: return true
            case .timedOut, .shutdown: return false
            }
        }
    }

    /// Waits for the program to end, renewing the lease (which notices a cancel), enforcing the timeout and the
    /// worker's stop; then writes the result.
    private func watch(_ process: any RunningAction, _ ending: Ending) -> JobRunOutcome {
        let job = claimed.job
        var tail = OutputTail(limit: configuration.errorsLimit)
        var nextWatch = ending.started + configuration.watchInterval
        let timeoutAt = configuration.actionTimeout.map { ending.started + $0 }
        var cause: StopCause?
        var stoppedAt: ContinuousClock.Instant?
        var killed = false
        var renewalFailing = false
        let stopMargin = min(
            (configuration.grace + configuration.watchInterval).inMilliseconds, configuration.lease.inMilliseconds / 2)

        while true {
            // The job's input goes into the program's standard input as it reads it, whatever its size, while
            // its standard error is read: neither pipe can fill up and block the other side.
            process.waitForOutputOrInputSpace(timeout: .milliseconds(50))
            process.writeInput()
            process.readErrorOutput(into: &tail)
            // Checked first: a program that ended on its own has its result written (and refused by the store if
            // the job was cancelled meanwhile), never mistaken for one the worker stopped.
            if process.hasExited() { break }
            let now = ContinuousClock.now
            if cause == nil {
                if isStopRequested {
                    cause = .shutdown
                } else if let timeoutAt, now >= timeoutAt {
                    cause = .timedOut
                }
            }
            if now >= nextWatch && cause?.isLost != true {
                nextWatch = now + configuration.watchInterval
                let wallNow = JobsAPI.now()
                do {
                    switch try ending.store.renewLease(
                        jobID: job.id, owner: configuration.owner, until: wallNow + configuration.lease.inMilliseconds)
                    {
                    case .renewed(let until):
                        ending.leaseExpiresAt = until
                        renewalFailing = false
                    case .lost(let current):
                        cause = .lost(current)
                    }
                } catch {
                    if !renewalFailing {
                        log.write("\(subject): renewing its lease failed (trying again): \(error)")
                        renewalFailing = true
                    }
                    // Stop the program early enough that it is gone (SIGKILL after the grace period at the
                    // latest) before the lease ends and another worker may start the job again.
                    if wallNow >= ending.leaseExpiresAt - stopMargin { cause = .leaseExpired }
                }
            }
            if cause != nil && stoppedAt == nil {
                stoppedAt = now
                process.signalGroup(SIGTERM)
            } else if let stoppedAt, !killed, now >= stoppedAt + configuration.grace {
                process.signalGroup(SIGKILL)
                killed = true
            }
        }
        // Input the program did not read is dropped; whatever it left running in its group ends with it.
        let termination = process.finish(readingInto: &tail)

        let stopped = stoppedAt == nil ? "" : killed ? "; its program was killed (SIGKILL)" : "; its program was stopped (SIGTERM)"
        let output = tail.text
        switch cause {
        case .lost(let current)?:
            let duration = ending.started.duration(to: .now)
            if current?.status == .cancelled {
                log.write("\(subject): running → cancelled after \(duration.logText): cancelled while running\(stopped)")
                return .cancelled
            }
            log.write(
                "\(subject): running → \(current?.status.rawValue ?? "deleted") after \(duration.logText): the job is "
                    + "no longer this worker's\(stopped)")
            return .lost(current?.status)
        case .leaseExpired?:
            return release(ending, reason: "its lease could not be renewed (the store was unavailable)\(stopped)")
        case .shutdown?:
            return release(ending, reason: "the worker is stopping\(stopped)")
        case .timedOut?:
            let limit = configuration.actionTimeout?.settingText ?? "its time limit"
            return finish(.failed, cause: "timed out after \(limit)", output: output, ending, note: stopped)
        case nil:
            if termination == .interrupted { return release(ending, reason: termination.description) }
            if termination.isSuccess { return finish(.completed, cause: nil, ending) }
            return finish(.failed, cause: termination.description, output: output, ending)
        }
    }

    /// A failed job's `errors`: the cause, then the end of the program's standard error.
    static func errors(_ cause: String, _ output: String) -> String {
        output.isEmpty ? cause : "\(cause): \(output)"
    }

    // MARK: Writing the result

    /// What ending a job needs: the thread's store connection, when it started, and until when its lease holds.
    private final class Ending {
        let store: any WorkerStore
        let started: ContinuousClock.Instant
        var leaseExpiresAt: Int64

        init(store: any WorkerStore, started: ContinuousClock.Instant, leaseExpiresAt: Int64) {
            self.store = store
            self.started = started
            self.leaseExpiresAt = leaseExpiresAt
        }
    }

    /// Ends the job as `status`, fenced on the lease; a store failure is tried again while the lease holds. The
    /// job's `errors` are `cause` and the program's `output`; the log line names the cause only (the output may
    /// name a user), and ends with `note`.
    private func finish(
        _ status: JobStatus, cause: String?, output: String = "", _ ending: Ending, note: String = ""
    ) -> JobRunOutcome {
        let duration = ending.started.duration(to: .now)
        // Within the bound every stored job keeps, whatever the cause and the output held.
        let errors = cause.map { Job.limitedErrors(Self.errors($0, output)) }
        let written = retryingWhileLeased(ending, "writing its result") { store in
            try store.finishJob(id: claimed.job.id, owner: configuration.owner, status: status, errors: errors,
                                at: JobsAPI.now())
        }
        switch written {
        case .some(.some):
            let reason = cause.map { ": \($0)" } ?? ""
            log.write("\(subject): running → \(status.rawValue) after \(duration.logText)\(reason)\(note)")
            return status == .completed ? .completed : .failed(errors: errors ?? "")
        case .some(nil):
            log.write(
                "\(subject): running → \(status.rawValue) refused after \(duration.logText): the job was no longer "
                    + "running under this worker's lease (cancelled, or taken over); it stays as it is")
            return .refused(status)
        case nil:
            log.write(
                "\(subject): its result (\(status.rawValue)) could not be written; it stays running until its lease "
                    + "expires, then a worker runs it again")
            return .unrecorded
        }
    }

    /// Leaves the job `running` under its lease, which is not renewed: its program never started (the action
    /// runner could not take it now), and a worker runs it again once the lease expires. The lease is the wait
    /// between two tries, so a runner that stays down is not asked again at every poll.
    private func leave(_ ending: Ending, reason: String) -> JobRunOutcome {
        let expires = Duration.milliseconds(max(0, ending.leaseExpiresAt - JobsAPI.now()))
        log.write(
            "\(subject): not started: \(reason); it stays running until its lease expires in \(expires.logText), "
                + "then a worker runs it again")
        return .deferred
    }

    /// Gives the lease up, so that the next worker runs the job again at once.
    private func release(_ ending: Ending, reason: String) -> JobRunOutcome {
        let duration = ending.started.duration(to: .now)
        let released = retryingWhileLeased(ending, "releasing its lease") { store in
            try store.releaseLease(jobID: claimed.job.id, owner: configuration.owner)
        }
        switch released {
        case true?:
            log.write(
                "\(subject): running → running after \(duration.logText): \(reason); lease released, the next "
                    + "worker runs it again")
            return .released
        case false?:
            log.write("\(subject): stopped after \(duration.logText): \(reason); the job was no longer this worker's")
            return .lost(nil)
        case nil:
            log.write(
                "\(subject): stopped after \(duration.logText): \(reason); the lease could not be released and "
                    + "expires on its own, then a worker runs the job again")
            return .unrecorded
        }
    }

    /// Runs `write`; when the store is unavailable (busy past its timeout, say), tries again every quarter second
    /// while the lease holds (at least three times). `nil` when every attempt failed, or on another error.
    private func retryingWhileLeased<Result>(
        _ ending: Ending, _ what: String, _ write: (any WorkerStore) throws -> Result
    ) -> Result? {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try write(ending.store)
            } catch {
                guard (error as? StoreError)?.kind == .unavailable else {
                    log.write("\(subject): \(what) failed: \(error)")
                    return nil
                }
                if attempt == 1 { log.write("\(subject): \(what) failed (trying again while its lease holds): \(error)") }
                guard attempt < 3 || JobsAPI.now() < ending.leaseExpiresAt else {
                    log.write("\(subject): \(what) failed \(attempt) times; giving up: \(error)")
                    return nil
                }
                pause(.milliseconds(250))
            }
        }
    }
}
