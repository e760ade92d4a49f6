import JobsTesting
import Testing

/// Failed authentication is limited per client address (the contract: never below 30 a minute; a failing request
/// from a limited address gets 429 with `Retry-After`; a valid key is never refused), through nginx.
@Suite("Failed authentication is rate-limited, end to end")
struct EndToEndRateLimitTests {
    @Test func thirtyFailuresThen429WithRetryAfter() throws {
        // One process: the count is per process.
        let stack = try Stack(Stack.Options(processes: 1, authFailureLimit: 30))
        defer { stack.stop() }
        let tenant = try stack.createTenant()
        let path = "/public/\(tenant.project.key)/jobs"

        // Stack's readiness probe (Stack.waitUntilServing) was one unauthenticated request: a failure already.
        let probeFailures = 1
        for attempt in 1...(30 - probeFailures) {
            let response = try stack.client.get(path, key: "jobs_not-a-key-\(attempt)")
            #expect(response.status == 401, "attempt \(attempt)")
        }
        let limited = try stack.client.get(path, key: "jobs_not-a-key-31")
        #expect(limited.status == 429)
        #expect(limited.header("Content-Type") == "application/json")
        let retryAfter = try #require(limited.header("Retry-After").flatMap { Int($0) })
        #expect((1...60).contains(retryAfter))
        #expect(try JSONValue(parsing: limited.body)["error"]?.string != nil)
        // Another client behind the same address (a NAT) with a valid key is served as usual; the failing one
        // keeps getting 429; the app stays up.
        #expect(try stack.client.get(path, key: tenant.key.secret).status == 200)
        #expect(try stack.client.get(path, key: "jobs_not-a-key-32").status == 429)
        #expect(stack.appPIDs.allSatisfy { stack.isAlive($0) })
    }
}
