import Foundation
import JobsCore
import JobsTesting
import Testing

/// `jobsctl status` (issue 16 item 3): readable by default, `--json` for scripts, exit 1 when a job has been due
/// for longer than `--max-due-age`. The live workers it lists are the end-to-end suite's (MonitoringTests).
@Suite("jobsctl status")
struct StatusCommandTests {
    @Test func aQueueWithNothingDueIsHealthy() throws {
        let (cli, _, projectKey) = try CLI.seeded()
        _ = try cli.json(["job", "create", "--project", projectKey, "--user", "later", "--start-at", "2999-01-01T00:00:00Z"])

        let text = try cli.run(["status"])
        #expect(text.status == 0, "\(text.errorOutput)")
        #expect(text.output.contains("jobs:           scheduled 1, running 0, completed 0, failed 0, cancelled 0"), "\(text.output)")
        #expect(text.output.contains("due now:        0"))
        #expect(text.output.contains("workers:        0 live"))
        #expect(text.output.contains("webhooks:       0 pending, 0 failed"))
        #expect(text.output.contains("OK: no job has been due for longer than 15m"))

        let result = try cli.run(["status", "--json"])
        #expect(result.status == 0, "\(result.errorOutput)")
        let json = try JSONValue(parsing: result.output)
        #expect(json["healthy"] == JSONValue.bool(true))
        #expect(json["schemaVersion"]?.int == (cli.isFile ? 9 : 6))
        #expect(json["engine"]?.string == (cli.isFile ? "sqlite" : "postgresql"))
        #expect(json["jobs"]?["scheduled"]?.int == 1)
        #expect(json["jobs"]?["completed"]?.int == 0)
        #expect(json["dueNow"]?.int == 0)
        #expect(json["oldestDueStartAt"]?.isNull ?? true)
        #expect(json["maxDueAgeSeconds"]?.int == 900)
        #expect(json["workers"]?.array?.isEmpty == true)
        #expect(json["webhookDeliveries"]?["pending"]?.int == 0)
        #expect(json["webhookDeliveries"]?["failed"]?.int == 0)
    }

    @Test func aJobDueForLongerThanTheMaximumExitsOneAndNamesTheActionNoWorkerRuns() throws {
        let (cli, _, projectKey) = try CLI.seeded()
        let twoHoursAgo = JobsAPI.now() - 2 * 3_600_000
        _ = try cli.json(["job", "create", "--project", projectKey, "--user", "old", "--start-at", String(twoHoursAgo)])
        _ = try cli.json(["job", "create", "--project", projectKey, "--user", "new", "--start-at", String(twoHoursAgo + 60_000)])

        let text = try cli.run(["status"])
        #expect(text.status == 1, "\(text.output)\(text.errorOutput)")
        #expect(text.output.contains("due now:        2, the oldest due for 2h"), "\(text.output)")
        #expect(text.output.contains("no live worker runs delete_user_data: 2 due, the oldest due for 2h"))
        #expect(text.output.contains("ALERT: a job has been due for 2h"))
        #expect(text.output.contains("longer than 15m: deletions are not running"))

        let json = try cli.run(["status", "--json"])
        #expect(json.status == 1)
        let report = try JSONValue(parsing: json.output)
        #expect(report["healthy"] == JSONValue.bool(false))
        #expect(report["dueNow"]?.int == 2)
        #expect(report["oldestDueStartAt"]?.int == twoHoursAgo)
        #expect(Double(report["oldestDueAgeSeconds"]?.description ?? "") ?? 0 >= 7200)
        #expect(report["unrunnableDue"]?.array?.first?["action"]?.string == "delete_user_data")
        #expect(report["unrunnableDue"]?.array?.first?["count"]?.int == 2)

        // A looser limit: the same queue is healthy.
        #expect(try cli.run(["status", "--max-due-age", "3h"]).status == 0)
        // Not a duration: refused like any bad option.
        let bad = try cli.run(["status", "--max-due-age", "soon"])
        #expect(bad.status == 64, "\(bad.status) \(bad.errorOutput)")
        #expect(bad.errorOutput.contains("--max-due-age soon"))
    }

    @Test func aStoreThatCannotBeReadExitsTwo() throws {
        let cli = try CLI()
        let result = try cli.run(["status"])
        #expect(result.status == 2, "\(result.output)\(result.errorOutput)")
        #expect(result.errorOutput.contains("jobsctl status:"))
    }
}
