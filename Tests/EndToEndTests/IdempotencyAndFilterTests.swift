import Foundation
import JobsTesting
import Testing

/// Issue 18 through nginx and spawn-fcgi: the list's filters and `Idempotency-Key`, as a client sends them.
@Suite(.serialized, .sharedStack)
struct IdempotencyAndFilterTests {
    let fixture: StackFixture

    init() throws {
        fixture = try StackFixture.require()
    }

    @Test func filtersFindAUsersDeletionWithoutPaging() throws {
        let project = try fixture.newProject("filters")
        let lines = (1...5).map { #"{"referenceId":"user\#($0)@example.com","status":"completed"}"# }
            + [#"{"referenceId":"alice+tag@example.com","status":"failed"}"#]
        let imported = try fixture.stack.importJobs(project: project.key, lines: lines)
        let created = try expectData(
            try fixture.client.delete("/public/\(project.key)/users/alice%2Btag%40example.com", key: fixture.key))
        func list(_ query: String) throws -> [JSONValue] {
            try #require(try expectData(try fixture.client.get("/public/\(project.key)/jobs?\(query)", key: fixture.key)).array)
        }
        #expect(try list("referenceId=alice%2Btag%40example.com") == [imported[5], created])
        #expect(try list("status=scheduled,running&referenceId=alice%2Btag%40example.com") == [created])
        #expect(try list("status=completed&limit=2&page=2") == Array(imported[2..<4]))
        for query in ["status=", "status=done", "referenceId=", "referenceId=%00"] {
            let response = try fixture.client.get("/public/\(project.key)/jobs?\(query)", key: fixture.key)
            try expectError(response, 400)
        }
    }

    @Test func aKeyedDeletionIsReplayedAndAKeyIsBoundToItsRequest() throws {
        let project = try fixture.newProject("keyed")
        let path = "/public/\(project.key)/users/zed%40example.com"
        let first = try fixture.client.request("DELETE", path, key: fixture.key, headers: [("Idempotency-Key", "\"r-1\"")])
        let job = try expectData(first)
        let again = try fixture.client.request("DELETE", path, key: fixture.key, headers: [("Idempotency-Key", "r-1")])
        #expect(again.status == 200)
        #expect(again.body == first.body)
        #expect(again.header("Idempotent-Replayed") == "true")
        let cancel = try fixture.client.request(
            "DELETE", "/public/\(project.key)/jobs/\(job["jobId"]?.int ?? 0)", key: fixture.key,
            headers: [("Idempotency-Key", "r-1")])
        try expectError(cancel, 422)
        let jobs = try fixture.stack.jobsctl(["job", "list", "--project", project.key])
        #expect(jobs.count == 1)
        #expect(jobs.first?["status"]?.string == "scheduled")
    }

    /// nginx 1.22 passes a header sent twice as two params of the same name: the app sees both and refuses.
    @Test func twoKeysAndInvalidKeysAre400ThroughNginx() throws {
        let project = try fixture.newProject("badkeys")
        let path = "/public/\(project.key)/users/yan"
        for headers in [[("Idempotency-Key", "a"), ("Idempotency-Key", "b")], [("Idempotency-Key", "a"), ("Idempotency-Key", "a")],
            [("Idempotency-Key", String(repeating: "x", count: 256))], [("Idempotency-Key", "\"\"")]]
        {
            let response = try fixture.client.request("DELETE", path, key: fixture.key, headers: headers)
            try expectError(response, 400)
        }
        #expect(try fixture.stack.jobsctl(["job", "list", "--project", project.key]).isEmpty)
    }
}
