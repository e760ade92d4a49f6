import Foundation
import JobsTesting
import Testing

/// `jobsctl key rotate` against the running API: the new key works at once; the old one stops at once, or
/// keeps working through its grace period. Runs on each store (JOBS_TEST_STORE).
@Suite
struct KeyRotationTests {
    @Test func theOldKeyStopsAtOnceOrAfterItsGracePeriod() throws {
        let fixture = try StackFixture()
        let stack = fixture.stack
        let jobs = "\(fixture.base)/jobs"
        #expect(try fixture.client.get(jobs, key: fixture.key).status == 200)

        // With a grace period: both keys work.
        let graced = try #require(
            try stack.jobsctl(["key", "rotate", String(fixture.tenant.key.id), "--grace", "1h"]).first)
        let second = try #require(graced["key"]?.string)
        #expect(try fixture.client.get(jobs, key: fixture.key).status == 200)
        #expect(try fixture.client.get(jobs, key: second).status == 200)

        // Without one: the key it replaces is refused at once, the new one works.
        let secondID = try #require(graced["keyId"]?.int)
        let immediate = try #require(try stack.jobsctl(["key", "rotate", String(secondID)]).first)
        let third = try #require(immediate["key"]?.string)
        #expect(try fixture.client.get(jobs, key: second).status == 401)
        #expect(try fixture.client.get(jobs, key: third).status == 200)
        // The first key is still in its grace period (a later rotation of another key does not end it).
        #expect(try fixture.client.get(jobs, key: fixture.key).status == 200)
        // Revoking it ends it now.
        try stack.revokeKey(fixture.tenant.key.id)
        #expect(try fixture.client.get(jobs, key: fixture.key).status == 401)
    }
}
