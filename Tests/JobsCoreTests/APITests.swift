import Foundation
import Testing

@testable import JobsCore
import JobsTesting

/// Two organizations, three projects, jobs in every state, and a fixed clock.
struct Fixture {
    static let now: Int64 = 1_700_000_000_000
    static let keyA = "jobs_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    static let revokedKeyA = "jobs_rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"
    static let keyB = "jobs_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    static let projectKey = "3sWXSsqHgSKnE87YkNJK"
    static let otherProjectKey = "AAAAAAAAAAAAAAAAAAA1"
    static let foreignProjectKey = "BBBBBBBBBBBBBBBBBBB1"

    let store = InMemoryJobStore()
    let api = JobsAPI(scheduleDelay: .nextMidnight, clock: { Fixture.now })
    /// Job ids by status, all in project 1.
    var jobIDs: [JobStatus: Int64] = [:]
    var otherProjectJobID: Int64 = 0
    var foreignJobID: Int64 = 0

    init() {
        store.keys = [
            .init(hash: APIKeyHash(of: Self.keyA), principal: Principal(keyID: 1, organizationID: 1), revoked: false),
            .init(hash: APIKeyHash(of: Self.revokedKeyA), principal: Principal(keyID: 2, organizationID: 1), revoked: true),
            .init(hash: APIKeyHash(of: Self.keyB), principal: Principal(keyID: 3, organizationID: 2), revoked: false),
        ]
        store.projects = [
            Project(id: 1, organizationID: 1, key: ProjectKey(Self.projectKey)!, name: "one", createdAt: 0),
            Project(id: 2, organizationID: 1, key: ProjectKey(Self.otherProjectKey)!, name: "two", createdAt: 0),
            Project(id: 3, organizationID: 2, key: ProjectKey(Self.foreignProjectKey)!, name: "three", createdAt: 0),
        ]
        for status in JobStatus.allCases {
            var job = NewJob.deleteUserData(userID: "user-\(status)", createdAt: 1000, startAt: 2000)
            job.status = status
            jobIDs[status] = store.insert(job, projectID: 1).id
        }
        otherProjectJobID = store.insert(.deleteUserData(userID: "x", createdAt: 1, startAt: 2), projectID: 2).id
        foreignJobID = store.insert(.deleteUserData(userID: "y", createdAt: 1, startAt: 2), projectID: 3).id
    }

    func send(_ method: String, _ uri: String, authorization: String? = "Bearer \(Fixture.keyA)") -> APIResponse {
        api.respond(to: APIRequest(method: method, requestURI: uri, authorization: authorization), store: store)
            .response
    }
}

extension APIResponse {
    var json: Any? { try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]) }
    var errorMessage: String? { (json as? [String: Any])?["error"] as? String }
    var data: Any? { (json as? [String: Any])?["data"] }
    var jobIDs: [Int64] { ((data as? [[String: Any]]) ?? []).compactMap { ($0["jobId"] as? NSNumber)?.int64Value } }
}

@Suite("Authentication comes first")
struct APIAuthenticationTests {
    @Test(arguments: [
        (nil as String?, false), ("", false), ("Bearer", false), ("Bearer ", false), ("Basic dXNlcjpwYXNz", false),
        ("Bearer \(Fixture.revokedKeyA)", true), ("Bearer jobs_unknownunknownunknownunknownunknownunk", true),
        ("Bearer not a token", true), ("Bearer \(Fixture.keyA)x", true), ("Bearer \(Fixture.keyA) x ", true),
    ])
    func refused(authorization: String?, tokenGiven: Bool) throws {
        let fixture = Fixture()
        let response = fixture.send("GET", "/public/\(Fixture.projectKey)/jobs", authorization: authorization)
        #expect(response.status == 401)
        #expect(response.header("Content-Type") == "application/json")
        #expect(response.errorMessage != nil)
        let challenge = try #require(response.header("WWW-Authenticate"))
        #expect(challenge.hasPrefix("Bearer "))
        #expect(challenge.contains("error=\"invalid_token\"") == tokenGiven)
    }

    @Test(arguments: ["Bearer", "bearer", "BEARER", "bEaReR"])
    func schemeIsCaseInsensitive(scheme: String) {
        let fixture = Fixture()
        #expect(fixture.send("GET", "/public/\(Fixture.projectKey)/jobs", authorization: "\(scheme) \(Fixture.keyA)").status == 200)
    }

    @Test(arguments: ["/public/nope", "/elsewhere", "/public/\(Fixture.foreignProjectKey)/jobs/abc"])
    func beforeRouteAndProject(path: String) {
        #expect(Fixture().send("GET", path, authorization: nil).status == 401)
    }

    @Test func responseSaysWhoAsked() {
        let fixture = Fixture()
        let outcome = fixture.api.respond(
            to: APIRequest(method: "GET", requestURI: "/public/\(Fixture.projectKey)/jobs", authorization: "Bearer \(Fixture.keyA)"),
            store: fixture.store)
        #expect(outcome.principal == Principal(keyID: 1, organizationID: 1))
    }
}

@Suite("Routes and methods")
struct APIRoutingTests {
    @Test(arguments: [
        "/public/", "/public/\(Fixture.projectKey)", "/public/\(Fixture.projectKey)/", "/public/\(Fixture.projectKey)/job",
        "/public/\(Fixture.projectKey)/jobs/1/extra", "/public/\(Fixture.projectKey)/users", "/other", "/",
        "//public/\(Fixture.projectKey)/jobs", "/public/\(Fixture.projectKey)/jobs/../jobs",
    ])
    func unknownRouteIs404(path: String) {
        let response = Fixture().send("GET", path)
        #expect(response.status == 404)
        #expect(response.errorMessage == "Not found")
    }

    @Test(arguments: [
        ("POST", "/public/\(Fixture.projectKey)/jobs", "GET, HEAD"),
        ("DELETE", "/public/\(Fixture.projectKey)/jobs", "GET, HEAD"),
        ("PUT", "/public/\(Fixture.projectKey)/jobs/1", "GET, HEAD, DELETE"),
        ("PATCH", "/public/\(Fixture.projectKey)/jobs/1", "GET, HEAD, DELETE"),
        ("GET", "/public/\(Fixture.projectKey)/users/someone", "DELETE"),
        ("POST", "/public/\(Fixture.projectKey)/users/someone", "DELETE"),
        // The method is checked before the project: even an unknown project answers 405.
        ("POST", "/public/\(Fixture.foreignProjectKey)/jobs", "GET, HEAD"),
    ])
    func wrongMethodIs405WithAllow(method: String, path: String, allow: String) {
        let response = Fixture().send(method, path)
        #expect(response.status == 405)
        #expect(response.header("Allow") == allow)
        #expect(response.errorMessage != nil)
    }

    @Test func headIsAnsweredLikeGet() {
        let fixture = Fixture()
        #expect(fixture.send("HEAD", "/public/\(Fixture.projectKey)/jobs").status == 200)
    }
}

@Suite("Projects belong to organizations")
struct ProjectTests {
    @Test(arguments: [
        Fixture.foreignProjectKey, "ZZZZZZZZZZZZZZZZZZZZ", "short", "3sWXSsqHgSKnE87YkNJ%2F", "3sWXSsqHgSKnE87YkNJK1",
        "%ff", "%00",
    ])
    func unknownOrForeignProjectIs404(key: String) {
        let fixture = Fixture()
        for (method, path) in [("GET", "/public/\(key)/jobs"), ("GET", "/public/\(key)/jobs/1"),
                               ("DELETE", "/public/\(key)/jobs/1"), ("DELETE", "/public/\(key)/users/u")] {
            let response = fixture.send(method, path)
            #expect(response.status == 404)
            #expect(response.errorMessage == "Project not found")
        }
    }

    @Test func projectCheckComesBeforeParameters() {
        #expect(Fixture().send("GET", "/public/\(Fixture.foreignProjectKey)/jobs/abc").status == 404)
    }

    @Test func percentEncodedProjectKeyIsDecoded() {
        #expect(Fixture().send("GET", "/public/%33sWXSsqHgSKnE87YkNJK/jobs").status == 200)
    }

    @Test func otherOrganizationSeesNothingAndChangesNothing() {
        let fixture = Fixture()
        let scheduled = fixture.jobIDs[.scheduled]!
        let asB = "Bearer \(Fixture.keyB)"
        #expect(fixture.send("GET", "/public/\(Fixture.projectKey)/jobs", authorization: asB).status == 404)
        #expect(fixture.send("GET", "/public/\(Fixture.projectKey)/jobs/\(scheduled)", authorization: asB).status == 404)
        #expect(fixture.send("DELETE", "/public/\(Fixture.projectKey)/jobs/\(scheduled)", authorization: asB).status == 404)
        #expect(fixture.send("DELETE", "/public/\(Fixture.projectKey)/users/new", authorization: asB).status == 404)
        // A foreign job id through one's own project is simply not found.
        #expect(fixture.send("GET", "/public/\(Fixture.projectKey)/jobs/\(fixture.foreignJobID)").errorMessage == "Job not found")
        #expect(fixture.store.storedJobs.first { $0.id == scheduled }?.status == .scheduled)
        #expect(fixture.store.storedJobs.count == 7)
    }
}

@Suite("GET /public/:projectKey/jobs")
struct ListJobsTests {
    /// Project 1 with 120 jobs (ids 1–5, then 8–122: other projects' jobs sit in between).
    static func bigFixture() -> Fixture {
        let fixture = Fixture()
        for index in 0..<115 { fixture.store.insert(.deleteUserData(userID: "u\(index)", createdAt: 1, startAt: 2), projectID: 1) }
        return fixture
    }

    @Test func allJobsOfTheProjectInAscendingOrder() {
        let fixture = Fixture()
        let response = fixture.send("GET", "/public/\(Fixture.projectKey)/jobs")
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/json")
        #expect(response.jobIDs == JobStatus.allCases.map { fixture.jobIDs[$0]! })
    }

    @Test(arguments: [
        ("", 50, 1), ("limit=10", 10, 1), ("limit=200", 120, 1), ("limit=201", 50, 1), ("limit=0", 50, 1),
        ("limit=-5", 50, 1), ("limit=abc", 50, 1), ("limit=1.5", 50, 1), ("limit=99999999999999999999", 50, 1),
        ("limit=%2B5", 50, 1), ("limit=10&limit=20", 10, 1), ("limit=1", 1, 1), ("page=2", 50, 51),
        ("page=0", 50, 1), ("page=-1", 50, 1), ("page=x", 50, 1), ("limit=50&page=3", 20, 101),
        ("limit=7&page=2", 7, 8), ("page=01&limit=05", 5, 1),
    ])
    func pagination(query: String, count: Int, firstPosition: Int) {
        let fixture = Self.bigFixture()
        let all = fixture.store.storedJobs.filter { $0.projectID == 1 }.map(\.id)
        #expect(all.count == 120)
        let ids = fixture.send("GET", "/public/\(Fixture.projectKey)/jobs?\(query)").jobIDs
        #expect(ids == Array(all[(firstPosition - 1)...].prefix(count)))
    }

    @Test(arguments: ["page=4", "page=1000000", "page=9223372036854775807", "limit=200&page=9223372036854775807",
                      "limit=200&page=46116860184273880"])
    func pagePastTheEndIsEmpty(query: String) throws {
        let response = Self.bigFixture().send("GET", "/public/\(Fixture.projectKey)/jobs?\(query)")
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"data":[]}"#)
    }

    @Test func onlyThisProjectsJobs() {
        let fixture = Fixture()
        let ids = fixture.send("GET", "/public/\(Fixture.otherProjectKey)/jobs").jobIDs
        #expect(ids == [fixture.otherProjectJobID])
    }
}

@Suite("GET /public/:projectKey/jobs/:jobId")
struct GetJobTests {
    @Test func returnsTheJob() throws {
        let fixture = Fixture()
        let id = fixture.jobIDs[.failed]!
        let response = fixture.send("GET", "/public/\(Fixture.projectKey)/jobs/\(id)")
        #expect(response.status == 200)
        let job = try #require(response.data as? [String: Any])
        #expect((job["jobId"] as? NSNumber)?.int64Value == id)
        #expect(job["status"] as? String == "failed")
        #expect(job.keys.count == 10)
    }

    @Test(arguments: ["abc", "1.5", "1e3", "0x10", "", "-1", "+1", "%201", "1%20", "%31%2E5", "9223372036854775808",
                      String(repeating: "1", count: 5000), "%ff", "%00", "١"])
    func notAnIntegerIs400(raw: String) {
        let fixture = Fixture()
        for method in ["GET", "DELETE"] {
            let response = fixture.send(method, "/public/\(Fixture.projectKey)/jobs/\(raw)")
            #expect(response.status == 400)
            #expect(response.errorMessage != nil)
        }
    }

    @Test(arguments: ["0", "999", "9223372036854775807"])
    func missingJobIs404(raw: String) {
        #expect(Fixture().send("GET", "/public/\(Fixture.projectKey)/jobs/\(raw)").errorMessage == "Job not found")
    }

    @Test func jobOfAnotherProjectIs404() {
        let fixture = Fixture()
        #expect(fixture.send("GET", "/public/\(Fixture.projectKey)/jobs/\(fixture.otherProjectJobID)").status == 404)
    }

    @Test func leadingZerosAndEncodedDigitsName() {
        let fixture = Fixture()
        #expect(fixture.send("GET", "/public/\(Fixture.projectKey)/jobs/0001").status == 200)
        #expect(fixture.send("GET", "/public/\(Fixture.projectKey)/jobs/%31").status == 200)
    }
}

@Suite("DELETE /public/:projectKey/jobs/:jobId")
struct APICancelJobTests {
    @Test(arguments: [JobStatus.scheduled, .running])
    func cancelsActiveJobs(status: JobStatus) throws {
        let fixture = Fixture()
        let id = fixture.jobIDs[status]!
        let response = fixture.send("DELETE", "/public/\(Fixture.projectKey)/jobs/\(id)")
        #expect(response.status == 200)
        let job = try #require(response.data as? [String: Any])
        #expect(job["status"] as? String == "cancelled")
        #expect((job["updatedAt"] as? NSNumber)?.int64Value == Fixture.now)
        // A second cancel finds it final.
        #expect(fixture.send("DELETE", "/public/\(Fixture.projectKey)/jobs/\(id)").status == 400)
    }

    @Test(arguments: [JobStatus.completed, .failed, .cancelled])
    func finalJobsCannotBeCancelled(status: JobStatus) {
        let fixture = Fixture()
        let response = fixture.send("DELETE", "/public/\(Fixture.projectKey)/jobs/\(fixture.jobIDs[status]!)")
        #expect(response.status == 400)
        #expect(response.errorMessage?.contains(status.rawValue) == true)
        #expect(fixture.store.storedJobs.first { $0.id == fixture.jobIDs[status]! }?.status == status)
    }

    @Test func missingOrForeignJobIs404() {
        let fixture = Fixture()
        #expect(fixture.send("DELETE", "/public/\(Fixture.projectKey)/jobs/424242").status == 404)
        #expect(fixture.send("DELETE", "/public/\(Fixture.projectKey)/jobs/\(fixture.otherProjectJobID)").status == 404)
        #expect(fixture.store.storedJobs.first { $0.id == fixture.otherProjectJobID }?.status == .scheduled)
    }
}

@Suite("DELETE /public/:projectKey/users/:userId")
struct UserDeletionTests {
    @Test func createsAScheduledJob() throws {
        let fixture = Fixture()
        let response = fixture.send("DELETE", "/public/\(Fixture.projectKey)/users/shekar%40example.com")
        #expect(response.status == 200)
        let job = try #require(response.data as? [String: Any])
        #expect(job["status"] as? String == "scheduled")
        #expect(job["referenceId"] as? String == "shekar@example.com")
        #expect(job["description"] as? String == "Delete user sessions of userId = shekar@example.com")
        #expect(job["action"] as? String == "delete_user_data")
        #expect(job["updatedAt"] is NSNull)
        #expect(job["errors"] is NSNull)
        #expect((job["projectId"] as? NSNumber)?.int64Value == 1)
        #expect((job["createdAt"] as? NSNumber)?.int64Value == Fixture.now)
        #expect((job["startAt"] as? NSNumber)?.int64Value == ScheduleDelay.nextMidnight.startAt(createdAt: Fixture.now))
    }

    @Test func secondRequestConflictsUntilCancelled() throws {
        let fixture = Fixture()
        let first = fixture.send("DELETE", "/public/\(Fixture.projectKey)/users/u1")
        #expect(first.status == 200)
        let second = fixture.send("DELETE", "/public/\(Fixture.projectKey)/users/u1")
        #expect(second.status == 409)
        #expect(second.errorMessage != nil)
        // The same user in another project is independent.
        #expect(fixture.send("DELETE", "/public/\(Fixture.otherProjectKey)/users/u1").status == 200)
        let id = try #require(((first.data as? [String: Any])?["jobId"] as? NSNumber)?.int64Value)
        #expect(fixture.send("DELETE", "/public/\(Fixture.projectKey)/jobs/\(id)").status == 200)
        #expect(fixture.send("DELETE", "/public/\(Fixture.projectKey)/users/u1").status == 200)
    }

    @Test func finishedJobsDoNotConflict() {
        let fixture = Fixture()
        #expect(fixture.send("DELETE", "/public/\(Fixture.projectKey)/users/user-completed").status == 200)
        #expect(fixture.send("DELETE", "/public/\(Fixture.projectKey)/users/user-running").status == 409)
    }

    @Test(arguments: ["", "%ff", "%c0%af", "%ed%a0%80", "%00", "a%00b", "%", "%zz",
                      String(repeating: "a", count: 257), String(repeating: "%C3%A9", count: 257)])
    func invalidUserIDIs400(raw: String) {
        let fixture = Fixture()
        let response = fixture.send("DELETE", "/public/\(Fixture.projectKey)/users/\(raw)")
        #expect(response.status == 400)
        #expect(response.errorMessage?.hasPrefix("Invalid userId") == true)
        #expect(fixture.store.storedJobs.count == 7)
    }

    @Test(arguments: [(String(repeating: "a", count: 256), 256), (String(repeating: "%C3%A9", count: 256), 256),
                      ("a%2Fb", 3), ("..", 2), ("%F0%9F%98%80", 1)])
    func lengthIsCountedInScalars(raw: String, length: Int) throws {
        let response = Fixture().send("DELETE", "/public/\(Fixture.projectKey)/users/\(raw)")
        #expect(response.status == 200)
        let reference = try #require((response.data as? [String: Any])?["referenceId"] as? String)
        #expect(reference.unicodeScalars.count == length)
    }

    @Test func fixedScheduleDelay() throws {
        let fixture = Fixture()
        let api = JobsAPI(scheduleDelay: .fixed(milliseconds: 0), clock: { Fixture.now })
        let response = api.respond(
            to: APIRequest(method: "DELETE", requestURI: "/public/\(Fixture.projectKey)/users/now",
                           authorization: "Bearer \(Fixture.keyA)"), store: fixture.store).response
        #expect(((response.data as? [String: Any])?["startAt"] as? NSNumber)?.int64Value == Fixture.now)
    }
}

@Suite("Store failures")
struct StoreFailureTests {
    @Test func unavailableStoreIs503AndSaysNothingInternal() {
        let fixture = Fixture()
        fixture.store.failure = StoreError(.unavailable, "SQLITE_BUSY (5): database is locked")
        let outcome = fixture.api.respond(
            to: APIRequest(method: "GET", requestURI: "/public/\(Fixture.projectKey)/jobs", authorization: "Bearer \(Fixture.keyA)"),
            store: fixture.store)
        #expect(outcome.response.status == 503)
        #expect(outcome.response.header("Retry-After") != nil)
        #expect(outcome.response.errorMessage?.contains("SQLITE") == false)
        #expect(outcome.diagnostic?.contains("SQLITE_BUSY") == true)
    }

    @Test func brokenStoreIs500WithoutDetail() {
        let fixture = Fixture()
        fixture.store.failure = StoreError(.internal, "no such table: jobs")
        let response = fixture.send("GET", "/public/\(Fixture.projectKey)/jobs")
        #expect(response.status == 500)
        #expect(response.errorMessage == "Internal server error")
    }
}

@Suite("Failed authentication is rate-limited per client address")
struct APIRateLimitTests {
    final class Clock: @unchecked Sendable {
        // Safe to share: tests touch it from one thread.
        var now: Int64 = Fixture.now
    }

    func send(_ api: JobsAPI, _ store: InMemoryJobStore, key: String?, from address: String) -> APIResponse {
        api.respond(
            to: APIRequest(method: "GET", requestURI: "/public/\(Fixture.projectKey)/jobs",
                           authorization: key.map { "Bearer \($0)" }, clientAddress: address),
            store: store
        ).response
    }

    @Test func limitedAfterTheLimitUntilTheWindowEnds() throws {
        let fixture = Fixture()
        let clock = Clock()
        let api = JobsAPI(clock: { clock.now }, failedAuthenticationLimiter: FailedAuthenticationLimiter(limit: 30))
        for _ in 0..<30 {
            #expect(send(api, fixture.store, key: "jobs_wrong", from: "192.0.2.1").status == 401)
        }
        let limited = send(api, fixture.store, key: "jobs_wrong", from: "192.0.2.1")
        #expect(limited.status == 429)
        #expect(limited.header("Retry-After") == "60")
        #expect(limited.errorMessage != nil)
        #expect(send(api, fixture.store, key: nil, from: "192.0.2.1").status == 429)
        // Other addresses are not affected.
        #expect(send(api, fixture.store, key: "jobs_wrong", from: "192.0.2.2").status == 401)
        clock.now += 45_000
        #expect(send(api, fixture.store, key: "jobs_wrong", from: "192.0.2.1").header("Retry-After") == "15")
        clock.now += 15_000
        #expect(send(api, fixture.store, key: "jobs_wrong", from: "192.0.2.1").status == 401)
    }

    /// Two clients behind one address (a NAT, an office egress): the one with a valid key is never refused,
    /// however often the other fails, before and after the address is limited.
    @Test func aValidKeyIsNeverRefused() {
        let fixture = Fixture()
        let api = JobsAPI(clock: { Fixture.now }, failedAuthenticationLimiter: FailedAuthenticationLimiter(limit: 30))
        for attempt in 0..<100 {
            let bad = send(api, fixture.store, key: "jobs_wrong", from: "192.0.2.1").status
            #expect(bad == (attempt < 30 ? 401 : 429), "attempt \(attempt)")
            #expect(send(api, fixture.store, key: Fixture.keyA, from: "192.0.2.1").status == 200, "attempt \(attempt)")
        }
    }

    /// IPv6 clients count by their /64: stepping through addresses of one /64 does not escape the limit, and
    /// another /64 is not affected.
    @Test func ipv6CountsPerSlash64() {
        let fixture = Fixture()
        let api = JobsAPI(clock: { Fixture.now }, failedAuthenticationLimiter: FailedAuthenticationLimiter(limit: 30))
        for index in 0..<30 {
            let address = "2001:db8:1:2::\(String(index + 1, radix: 16))"
            #expect(send(api, fixture.store, key: "jobs_wrong", from: address).status == 401)
        }
        #expect(send(api, fixture.store, key: "jobs_wrong", from: "2001:db8:1:2:ffff:ffff:ffff:ffff").status == 429)
        #expect(send(api, fixture.store, key: "jobs_wrong", from: "2001:db8:1:3::1").status == 401)
    }

    @Test(arguments: [
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:0DB8:0001:0002:0003:0004:0005:0006", "2001:db8:1:2::/64"),
        ("::1", "0:0:0:0::/64"),
        ("fe80::1%eth0", "fe80:0:0:0::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8::1:2:3:4:5", "2001:db8:0:1::/64"),
        ("not:an:address", "not:an:address"),
        ("1::2::3", "1::2::3"),
        ("1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8:9"),
        ("12345::1", "12345::1"),
        ("::ffff:1.2.3.256", "::ffff:1.2.3.256"),
        ("", ""),
    ])
    func networkOfAnAddress(address: String, network: String) {
        #expect(FailedAuthenticationLimiter.network(of: address) == network)
    }

    @Test func successesAreNotCounted() {
        let fixture = Fixture()
        let api = JobsAPI(clock: { Fixture.now }, failedAuthenticationLimiter: FailedAuthenticationLimiter(limit: 30))
        for _ in 0..<100 {
            #expect(send(api, fixture.store, key: Fixture.keyA, from: "192.0.2.1").status == 200)
        }
    }

    @Test func neverBelowThirtyAMinute() {
        #expect(FailedAuthenticationLimiter(limit: 1).limit == 30)
        #expect(FailedAuthenticationLimiter(limit: 100).limit == 100)
    }

    @Test func boundedMemory() {
        let limiter = FailedAuthenticationLimiter(limit: 30, maximumAddresses: 100)
        for index in 0..<1_000 { limiter.recordFailure(address: "198.51.100.\(index)", now: 0) }
        // The newest address is tracked, the oldest were dropped to make room.
        limiter.recordFailure(address: "198.51.100.999", now: 0)
        #expect(limiter.retryAfter(address: "198.51.100.999", now: 1) == nil)
        for _ in 0..<30 { limiter.recordFailure(address: "198.51.100.999", now: 0) }
        #expect(limiter.retryAfter(address: "198.51.100.999", now: 1) != nil)
    }

    /// A spray of new addresses (here ten times the table) does not free an address that is over its limit: the
    /// table drops the oldest addresses still under their limit instead of emptying itself.
    @Test func aSprayDoesNotUnblockALimitedAddress() {
        let limiter = FailedAuthenticationLimiter(limit: 30, maximumAddresses: 1_000)
        for _ in 0..<31 { limiter.recordFailure(address: "203.0.113.9", now: 0) }
        #expect(limiter.retryAfter(address: "203.0.113.9", now: 1) != nil)
        for index in 0..<10_000 {
            limiter.recordFailure(address: "2001:db8:\(String(index, radix: 16))::1", now: 2)
        }
        #expect(limiter.retryAfter(address: "203.0.113.9", now: 3) != nil)
    }
}
