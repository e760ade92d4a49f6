import ArgumentParser
import Foundation
import JobsCore
import StoreConnectors

/// `jobsctl status`: whether deletions are running, for an operator, cron or a monitoring agent.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show whether jobs are running: the queue, the live workers, and due jobs no worker can run.",
        discussion: """
            Prints the store and its schema version, jobs by status, the jobs due now and how long the oldest has \
            been due, running jobs and expired leases (running jobs whose worker died or let go), each live \
            worker (host, pid, version, last seen, jobs running, actions), webhook events pending and failed, and \
            the due jobs whose action no live worker runs. A worker is live while it was seen within three poll intervals or its lease, whichever \
            is longer. Readable text by default; --json prints one JSON object for scripts.

            Exit status: 0 when no job has been due for longer than --max-due-age; 1 when one has (deletions are \
            not running: page someone); 2 when the store cannot be read.

            Example: a cron line, every 5 minutes, that mails when deletions are not running:
              jobsctl status --max-due-age 15m > /dev/null || echo "deletions are not running" | mail -s jobs-api ops
            """)

    @OptionGroup var storeOptions: StoreOptions

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Option(
        help: ArgumentHelp(
            "Exit 1 when a job has been due for longer than this: 90s, 15m, 24h, 7d (at most 366d).",
            valueName: "duration"))
    var maxDueAge: String = "15m"

    func validate() throws {
        _ = try DurationArgument.parse(maxDueAge, option: "--max-due-age")
    }

    func run() throws {
        let limit = try DurationArgument.parse(maxDueAge, option: "--max-due-age")
        let report: StatusReport
        do {
            let location = try StoreLocation.resolve(option: storeOptions.store)
            let store = try storeOptions.administration()
            let now = JobsAPI.now()
            report = StatusReport(
                store: location.displayName, engine: location.engineName, schemaVersion: try store.schemaVersion(),
                summary: try store.queueSummary(at: now), dueActions: try store.dueActions(at: now),
                maxDueAge: limit)
        } catch {
            FileHandle.standardError.write(Data("jobsctl status: \(error)\n".utf8))
            throw ExitCode(2)
        }
        if json {
            try Output.line(report.json)
        } else {
            FileHandle.standardOutput.write(Data(report.text.utf8))
        }
        if !report.isHealthy { throw ExitCode(1) }
    }
}

/// What `jobsctl status` found, as text and as JSON.
struct StatusReport {
    let store: String
    let engine: String
    let schemaVersion: Int
    let summary: QueueSummary
    let dueActions: [DueAction]
    /// `--max-due-age`, in milliseconds.
    let maxDueAge: Int64

    /// No job has been due for longer than ``maxDueAge``.
    var isHealthy: Bool { summary.oldestDueAge <= maxDueAge }

    /// The due jobs whose action no live worker has a program for.
    var unrunnable: [DueAction] {
        let runnable = Set(summary.liveWorkers.flatMap(\.actions))
        return dueActions.filter { !runnable.contains($0.action) }
    }

    /// A live worker as `--json` shows it.
    struct Worker: Encodable {
        var id: String
        var host: String
        var pid: Int64
        var version: String
        var startedAt: Int64
        var lastSeenAt: Int64
        var jobsRunning: Int64
        var concurrency: Int
        var actions: [String]
    }

    /// Due jobs of one action, as `--json` shows them.
    struct Due: Encodable {
        var action: String
        var count: Int64
        var oldestStartAt: Int64
    }

    /// The `--json` object.
    struct JSON: Encodable {
        var healthy: Bool
        var at: Int64
        var store: String
        var engine: String
        var schemaVersion: Int
        var jobs: [String: Int64]
        var dueNow: Int64
        var oldestDueStartAt: Int64?
        var oldestDueAgeSeconds: Double
        var maxDueAgeSeconds: Double
        var running: Int64
        var expiredLeases: Int64
        var workers: [Worker]
        var workersNotSeen: Int
        var unrunnableDue: [Due]
        var webhookDeliveries: Deliveries?
    }

    /// Webhook events by delivery state, as `--json` shows them.
    struct Deliveries: Encodable {
        var pending: Int64
        var failed: Int64
    }

    var json: JSON {
        let live = summary.liveWorkers
        return JSON(
            healthy: isHealthy, at: summary.at, store: store, engine: engine, schemaVersion: schemaVersion,
            jobs: Dictionary(uniqueKeysWithValues: summary.jobsByStatus.map { ($0.key.rawValue, $0.value) }),
            dueNow: summary.dueNow, oldestDueStartAt: summary.oldestDueStartAt,
            oldestDueAgeSeconds: Double(summary.oldestDueAge) / 1000, maxDueAgeSeconds: Double(maxDueAge) / 1000,
            running: summary.jobsByStatus[.running] ?? 0, expiredLeases: summary.expiredLeases,
            workers: live.map { worker in
                Worker(
                    id: worker.id, host: worker.host, pid: worker.pid, version: worker.version,
                    startedAt: worker.startedAt, lastSeenAt: worker.lastSeenAt,
                    jobsRunning: summary.runningByOwner[worker.id] ?? 0, concurrency: worker.concurrency,
                    actions: worker.actions.map(\.rawValue))
            },
            workersNotSeen: summary.workers.count - live.count,
            unrunnableDue: unrunnable.map { Due(action: $0.action.rawValue, count: $0.count, oldestStartAt: $0.oldestStartAt) },
            webhookDeliveries: summary.webhookDeliveries.map { Deliveries(pending: $0.pending, failed: $0.failed) })
    }

    /// The readable report, one fact per line.
    var text: String {
        var lines: [String] = []
        lines.append("store:          \(store) (\(engine), schema \(schemaVersion))")
        let counts = JobStatus.allCases.map { "\($0.rawValue) \(summary.jobsByStatus[$0] ?? 0)" }
        lines.append("jobs:           " + counts.joined(separator: ", "))
        if summary.dueNow == 0 {
            lines.append("due now:        0")
        } else {
            lines.append("due now:        \(summary.dueNow), the oldest due for \(Self.age(summary.oldestDueAge))")
        }
        lines.append(
            "running:        \(summary.jobsByStatus[.running] ?? 0), expired leases \(summary.expiredLeases)")
        let live = summary.liveWorkers
        let notSeen = summary.workers.count - live.count
        lines.append(
            "workers:        \(live.count) live" + (notSeen > 0 ? ", \(notSeen) not seen recently" : ""))
        for worker in live {
            lines.append(
                "  \(worker.host) pid \(worker.pid) version \(worker.version): last seen "
                    + "\(Self.age(summary.at - worker.lastSeenAt)) ago, running "
                    + "\(summary.runningByOwner[worker.id] ?? 0)/\(worker.concurrency), actions "
                    + worker.actions.map(\.rawValue).joined(separator: " "))
        }
        if let deliveries = summary.webhookDeliveries {
            lines.append("webhooks:       \(deliveries.pending) pending, \(deliveries.failed) failed")
        }
        for due in unrunnable {
            lines.append(
                "no live worker runs \(due.action.rawValue): \(due.count) due, the oldest due for "
                    + Self.age(summary.at - due.oldestStartAt))
        }
        if isHealthy {
            lines.append("OK: no job has been due for longer than \(Self.age(maxDueAge))")
        } else {
            lines.append(
                "ALERT: a job has been due for \(Self.age(summary.oldestDueAge)), longer than \(Self.age(maxDueAge)): "
                    + "deletions are not running")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A duration in milliseconds as `2h5m`, `3m12s`, `45s` or `0.4s`.
    static func age(_ milliseconds: Int64) -> String {
        let milliseconds = max(0, milliseconds)
        if milliseconds < 10_000 {
            let tenths = milliseconds / 100
            return tenths % 10 == 0 ? "\(tenths / 10)s" : "\(tenths / 10).\(tenths % 10)s"
        }
        let seconds = milliseconds / 1000
        let (days, hours, minutes) = (seconds / 86_400, seconds / 3600 % 24, seconds / 60 % 60)
        if days > 0 { return hours > 0 ? "\(days)d\(hours)h" : "\(days)d" }
        if hours > 0 { return minutes > 0 ? "\(hours)h\(minutes)m" : "\(hours)h" }
        if minutes > 0 { return seconds % 60 > 0 ? "\(minutes)m\(seconds % 60)s" : "\(minutes)m" }
        return "\(seconds)s"
    }
}
