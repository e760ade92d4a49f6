import Foundation
import JobsCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs due jobs: claims them from the store under a lease, runs each one's program on a thread of its own, and
/// writes the result.
///
/// The thread that calls ``run()`` claims: whenever a slot is free it claims up to that many due jobs of its
/// actions in one atomic step (`scheduled` jobs whose `startAt` passed, oldest first, and `running` jobs whose
/// worker's lease expired, or whose worker, on this host, is gone: ``LeaseOwner``; a job of an action it has no
/// program for is left for a worker that has one), and looks again at once while claims come back full, otherwise after ``WorkerConfiguration/pollInterval``.
/// Each job then runs as a ``JobRun`` on its own thread, with its own store connection. Since claims are
/// atomic in the store, any number of workers, in any number of processes, can share one store.
///
/// ``stop()`` (SIGTERM, SIGINT) ends claiming; running programs get ``WorkerConfiguration/grace`` to finish, then
/// are stopped, and their leases released so that the next worker runs those jobs again at once.
public final class JobRunner: @unchecked Sendable {
    // Safe to share: the mutable state (`runs`, `stopRequests`, `stopReason`, `tally`) is only touched with
    // `state` held; the rest is set in `init`.

    /// Opens a store connection for the calling thread.
    public typealias Connect = @Sendable () throws -> any WorkerStore

    /// How this worker runs.
    public let configuration: WorkerConfiguration
    let connect: Connect
    let log: WorkerLog
    private let baseEnvironment: [String]
    private let onJobEnded: @Sendable () -> Void
    /// ``WorkerConfiguration/owner`` read as a ``LeaseOwner``; `nil` for a name of another form.
    private let ownLeaseOwner: LeaseOwner?

    private let state = NSCondition()
    private var runs: [Int64: JobRun] = [:]
    private var stopRequests = 0
    private var stopReason: String?
    private var tally = WorkerSummary()
    /// When this runner was made, in milliseconds since the epoch: the registry's start time.
    private let startedAt = JobsAPI.now()

    /// - Parameters:
    ///   - connect: opens a connection of the calling thread's own; called once by ``run()`` and once per job.
    ///   - environment: the environment programs inherit from (`NAME=value`), the worker's own by default; only
    ///     the variables ``WorkerConfiguration/passesToActions(_:naming:)`` allows (with
    ///     ``WorkerConfiguration/actionEnvironment``) go through, and the job's variables
    ///     (`JOB_ID`, …) replace any of the same name.
    ///   - onJobEnded: called on a run's thread after each run ends (the webhook senders look for its event).
    public init(
        configuration: WorkerConfiguration, connect: @escaping Connect, log: WorkerLog,
        environment: [String] = JobRunner.processEnvironment(), onJobEnded: @escaping @Sendable () -> Void = {}
    ) {
        self.onJobEnded = onJobEnded
        self.configuration = configuration
        self.connect = connect
        self.log = log
        ownLeaseOwner = LeaseOwner(parsing: configuration.owner)
        baseEnvironment = WorkerConfiguration.actionBaseEnvironment(
            environment, naming: configuration.actionEnvironment)
    }

    /// This process's environment, as `NAME=value` entries.
    public static func processEnvironment() -> [String] {
        var entries: [String] = []
        var cursor = environ
        while let entry = cursor.pointee {
            entries.append(String(cString: entry))
            cursor += 1
        }
        return entries
    }

    /// Asks the worker to stop: it claims nothing more, lets running programs finish for the grace period, then
    /// stops them and releases their leases, and ``run()`` returns. A second request skips the grace period.
    /// Any thread; `reason` (`SIGTERM`) is logged.
    public func stop(reason: String) {
        state.withLock {
            stopRequests += 1
            if stopReason == nil { stopReason = reason }
            // Logged before the claiming thread wakes, so that the log tells the events in order.
            log.write(stopRequests == 1
                ? "\(reason): claiming no more jobs; running ones get \(configuration.grace.settingText) to finish"
                : "\(reason) again: stopping running programs now")
            state.broadcast()
        }
    }

    /// Runs until ``stop()`` or, with ``WorkerConfiguration/runOnce``, until no due job is left and every claimed
    /// one ended. Throws when the store cannot be opened at the start, or (run once) when claiming failed.
    @discardableResult
    public func run() throws -> WorkerSummary {
        let store = try connect()
        let programs: String
        switch configuration.actionSource {
        case .programs(let local):
            programs = local.values.map(\.description).sorted().joined(separator: " ")
        case .runner(let socket, _):
            programs = configuration.actions.map(\.rawValue).joined(separator: " ")
                + ", run by the action runner at \(socket)"
        }
        log.write(
            "worker \(configuration.owner) started: concurrency \(configuration.concurrency), poll "
                + "\(configuration.pollInterval.settingText), lease \(configuration.lease.settingText), action timeout "
                + "\(configuration.actionTimeout?.settingText ?? "none"), grace \(configuration.grace.settingText)"
                + (configuration.runOnce ? ", once" : "") + "; actions: " + programs
                + " (jobs of other actions are left for a worker that runs them)")

        register(on: store)
        var claimFailure: (any Error)?
        var moreMayBeDue = true
        var nextPoll = ContinuousClock.now
        var nextRefresh = ContinuousClock.now + configuration.pollInterval
        while true {
            let (stopping, running) = state.withLock { (stopRequests > 0, runs.count) }
            if stopping { break }
            let free = configuration.concurrency - running
            let now = ContinuousClock.now
            if now >= nextRefresh {
                refresh(on: store)
                nextRefresh = now + configuration.pollInterval
            }
            if free > 0 && (moreMayBeDue || now >= nextPoll) {
                do {
                    let claimed = try claim(limit: free, on: store)
                    moreMayBeDue = claimed == free
                } catch {
                    log.write("claiming due jobs failed (trying again in \(configuration.pollInterval.settingText)): \(error)")
                    moreMayBeDue = false
                    if configuration.runOnce { claimFailure = error }
                }
                if !moreMayBeDue { nextPoll = ContinuousClock.now + configuration.pollInterval }
            }
            if configuration.runOnce && !moreMayBeDue {
                // Nothing more is due: wait for the claimed jobs, then return.
                state.withLock {
                    while stopRequests == 0 && !runs.isEmpty { state.wait(until: nil) }
                }
                break
            }
            state.withLock {
                while stopRequests == 0 {
                    if moreMayBeDue && runs.count < configuration.concurrency { return }
                    if !moreMayBeDue && ContinuousClock.now >= nextPoll { return }
                    if ContinuousClock.now >= nextRefresh { return }
                    state.wait(until: moreMayBeDue ? nextRefresh : min(nextPoll, nextRefresh))
                }
            }
        }
        stopRunningJobs()
        unregister(on: store)

        let summary = state.withLock { tally }
        let reason = state.withLock { stopReason }
        log.write(
            "worker \(configuration.owner) stopped\(reason.map { " on \($0)" } ?? ""): \(summary.claimed) claimed, "
                + "\(summary.completed) completed, \(summary.failed) failed, \(summary.cancelled) cancelled, "
                + "\(summary.released) released, \(summary.deferred) deferred, \(summary.other) lost or unrecorded")
        if let claimFailure { throw claimFailure }
        return summary
    }

    /// This worker's row in the store's registry, as of `now`.
    func record(at now: Int64) -> WorkerRecord {
        WorkerRecord(
            id: configuration.owner, host: WorkerConfiguration.hostName(), pid: Int64(getpid()),
            version: Release.version, actions: configuration.actions, concurrency: configuration.concurrency,
            startedAt: startedAt, lastSeenAt: now,
            staleAfter: WorkerRecord.liveness(
                pollInterval: configuration.pollInterval.inMilliseconds, lease: configuration.lease.inMilliseconds))
    }

    /// Writes this worker's row. A failure is logged, not fatal: jobs still run, and the next refresh retries.
    private func register(on store: any WorkerStore) {
        do {
            try store.registerWorker(record(at: JobsAPI.now()))
        } catch {
            log.write("registering worker \(configuration.owner) failed (trying again in \(configuration.pollInterval.settingText)): \(error)")
        }
    }

    /// Refreshes this worker's last-seen time, registering again when its row is gone.
    private func refresh(on store: any WorkerStore) {
        do {
            if try !store.refreshWorker(id: configuration.owner, at: JobsAPI.now()) {
                try store.registerWorker(record(at: JobsAPI.now()))
            }
        } catch {
            log.write("refreshing worker \(configuration.owner) failed: \(error)")
        }
    }

    /// Deletes this worker's row as it stops.
    private func unregister(on store: any WorkerStore) {
        do {
            try store.unregisterWorker(id: configuration.owner)
        } catch {
            log.write("unregistering worker \(configuration.owner) failed (its row ages out): \(error)")
        }
    }

    /// Claims up to `limit` due jobs and starts a run for each; returns how many it claimed.
    private func claim(limit: Int, on store: any WorkerStore) throws -> Int {
        let now = JobsAPI.now()
        try releaseLeasesOfGoneWorkers(on: store, now: now)
        // Within the bounds of WorkerConfiguration, this sum stays far from overflow.
        let claimed = try store.claimDueJobs(
            owner: configuration.owner, now: now, leaseUntil: now + configuration.lease.inMilliseconds, limit: limit,
            actions: configuration.actions)
        for job in claimed.sorted(by: { ($0.job.startAt, $0.job.id) < ($1.job.startAt, $1.job.id) }) {
            let run = JobRun(claimed: job, configuration: configuration, baseEnvironment: baseEnvironment, log: log)
            run.logClaim(claimedAt: now)
            state.withLock {
                runs[job.job.id] = run
                tally.claimed += 1
            }
            do {
                try DetachedThread.start { [self] in execute(run) }
            } catch {
                log.write("\(run.subject): cannot start a thread (\(error)); releasing its lease")
                _ = try? store.releaseLease(jobID: job.job.id, owner: configuration.owner)
                ended(run, .released)
            }
        }
        return claimed.count
    }

    /// Releases the unexpired leases of every worker of this host that is gone (``LeaseOwner/isGone(onHost:table:)``:
    /// killed, crashed, its pid reused), so that the claim that follows takes its jobs over at once instead of
    /// after the lease. One read of the lease owners (as many rows as jobs running), a check of `/proc` for each
    /// owner of this host, and a write only for a gone one. A worker whose own name lacks its process's identity
    /// (no `/proc`) leaves every lease to expire.
    private func releaseLeasesOfGoneWorkers(on store: any WorkerStore, now: Int64) throws {
        guard let own = ownLeaseOwner, own.process != nil else { return }
        for name in try store.leaseOwners(now: now) where name != configuration.owner {
            guard let owner = LeaseOwner(parsing: name), owner.isGone(onHost: own.host) else { continue }
            for id in try store.releaseLeases(owner: name, now: now) {
                log.write("job \(id): its worker \(name) is gone (same host); lease released, the job runs again now")
            }
        }
    }

    /// A run's thread: opens its own connection (``connectForRun(_:)``), runs the job, reports its end.
    private func execute(_ run: JobRun) {
        let outcome = connectForRun(run).map { run.run(on: $0) } ?? .unrecorded
        ended(run, outcome)
    }

    /// Whether ``stop(reason:)`` was called.
    var isStopping: Bool { state.withLock { stopRequests > 0 } }

    private func ended(_ run: JobRun, _ outcome: JobRunOutcome) {
        state.withLock {
            runs[run.claimed.job.id] = nil
            tally.count(outcome)
            state.broadcast()
        }
        onJobEnded()
    }

    /// Lets running programs finish for the grace period (unless asked twice), then has every run stop its
    /// program and release its lease, and waits for them.
    private func stopRunningJobs() {
        let graceEnds = ContinuousClock.now + configuration.grace
        let remaining = state.withLock { () -> [JobRun] in
            while !runs.isEmpty && stopRequests < 2 && ContinuousClock.now < graceEnds {
                state.wait(until: graceEnds)
            }
            return Array(runs.values)
        }
        guard !remaining.isEmpty else { return }
        log.write("stopping \(remaining.count) running job\(remaining.count == 1 ? "" : "s")")
        for run in remaining { run.requestStop() }
        // Each run ends within the grace period (SIGTERM, then SIGKILL) plus its last write. Past a generous
        // bound (a program stuck in the kernel), the worker leaves: those leases expire on their own.
        let deadline = ContinuousClock.now + configuration.grace + configuration.lease + .seconds(5)
        let stuck = state.withLock { () -> Int in
            while !runs.isEmpty && ContinuousClock.now < deadline { state.wait(until: deadline) }
            return runs.count
        }
        if stuck > 0 {
            log.write("\(stuck) job\(stuck == 1 ? "" : "s") did not stop in time; their leases expire on their own")
        }
    }
}
