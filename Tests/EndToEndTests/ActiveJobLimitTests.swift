import Foundation
import JobsTesting
import Testing

/// An organization's active-job limit through nginx and the app (issue 17 item 6): a JSON 429 at the limit, not
/// stored under an `Idempotency-Key`, and a deletion accepted again once a job ended. SQLite, or PostgreSQL with
/// `JOBS_TEST_STORE`.
@Suite
struct ActiveJobLimitEndToEndTests {
    @Test func theAPIAnswers429AtTheLimitAndAKeyedRetryRunsOnceThereIsRoom() throws {
        let fixture = try WorkerFixture()
        let org = fixture.stackFixture.tenant.key.organizationID
        _ = try fixture.stack.jobsctl(["org", "set-limit", String(org), "--active-jobs", "1"])
        let first = try #require(try fixture.requestDeletion("one@example.com")["jobId"]?.int)

        let path = "\(fixture.base)/users/two%40example.com"
        let refused = try fixture.client.request("DELETE", path, key: fixture.key, headers: [("Idempotency-Key", "lim-1")])
        let message = try expectError(refused, 429)
        #expect(message.contains("1 scheduled or running jobs, its limit"), "\(message)")
        #expect(refused.header("Idempotent-Replayed") == nil)
        // A plain request meets the same answer; reads are not limited.
        _ = try expectError(try fixture.client.delete(path, key: fixture.key), 429)
        #expect(try fixture.client.get("\(fixture.base)/jobs", key: fixture.key).status == 200)

        _ = try fixture.cancel(first)
        let retried = try fixture.client.request("DELETE", path, key: fixture.key, headers: [("Idempotency-Key", "lim-1")])
        let job = try expectData(retried)
        #expect(job["referenceId"]?.string == "two@example.com")
        #expect(retried.header("Idempotent-Replayed") == nil, "the 429 was not stored: the retry ran")
        let replayed = try fixture.client.request("DELETE", path, key: fixture.key, headers: [("Idempotency-Key", "lim-1")])
        #expect(replayed.header("Idempotent-Replayed") == "true")
        #expect(try expectData(replayed) == job)
    }
}
