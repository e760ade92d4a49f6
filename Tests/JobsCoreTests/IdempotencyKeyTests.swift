import Foundation
import Testing

@testable import JobsCore
import JobsTesting

/// `Idempotency-Key` on the two `DELETE`s (issue 18).
@Suite("Idempotency-Key")
struct IdempotencyKeyTests {
    static let users = "/public/\(Fixture.projectKey)/users"
    static let jobs = "/public/\(Fixture.projectKey)/jobs"

    func send(_ fixture: Fixture, _ method: String, _ uri: String, keys: [String], authorization: String = Fixture.keyA)
        -> APIResponse
    {
        fixture.api.respond(
            to: APIRequest(
                method: method, requestURI: uri, authorization: "Bearer \(authorization)", idempotencyKeys: keys),
            store: fixture.store
        ).response
    }

    @Test(arguments: [
        ("k-1", "k-1"), ("\"k-1\"", "k-1"), ("a b", "a b"), (String(repeating: "x", count: 255), String(repeating: "x", count: 255)),
        ("\"\(String(repeating: "x", count: 255))\"", String(repeating: "x", count: 255)),
    ])
    func validKeys(header: String, key: String) throws {
        #expect(try IdempotencyKey(headers: [header])?.value == key)
    }

    @Test(arguments: [
        [""], ["\"\""], [String(repeating: "x", count: 256)], ["a\u{1}b"], ["a\tb"], ["é"], ["a\u{7F}"], ["\"a\"b\""],
        ["a", "b"], ["a", "a"],
    ])
    func invalidKeysAre400(headers: [String]) throws {
        let fixture = Fixture()
        let before = fixture.store.storedJobs.count
        let response = send(fixture, "DELETE", "\(Self.users)/zoe", keys: headers)
        #expect(response.status == 400)
        #expect(response.errorMessage?.contains("Idempotency-Key") == true)
        #expect(fixture.store.storedJobs.count == before)
    }

    @Test func repeatReplaysAndChangesNothing() throws {
        let fixture = Fixture()
        let first = send(fixture, "DELETE", "\(Self.users)/zoe", keys: ["k"])
        #expect(first.status == 200)
        #expect(first.header("Idempotent-Replayed") == nil)
        let count = fixture.store.storedJobs.count
        let again = send(fixture, "DELETE", "\(Self.users)/zo%65", keys: ["\"k\""])
        #expect(again.status == 200)
        #expect(again.body == first.body)
        #expect(again.header("Idempotent-Replayed") == "true")
        #expect(again.header("Content-Type") == "application/json")
        #expect(fixture.store.storedJobs.count == count)
        // Without the key, the contract's 409.
        #expect(send(fixture, "DELETE", "\(Self.users)/zoe", keys: []).status == 409)
    }

    @Test func operationErrorsAreStoredAndReplayed() {
        let fixture = Fixture()
        #expect(send(fixture, "DELETE", "\(Self.users)/amy", keys: []).status == 200)
        let conflict = send(fixture, "DELETE", "\(Self.users)/amy", keys: ["c"])
        #expect(conflict.status == 409)
        let finished = fixture.jobIDs[.completed]!
        let refused = send(fixture, "DELETE", "\(Self.jobs)/\(finished)", keys: ["n"])
        #expect(refused.status == 400)
        // Even once the conflict is gone, the key answers what it answered.
        fixture.store.storedJobs = fixture.store.storedJobs.map { var job = $0; job.status = .completed; return job }
        let replayed = send(fixture, "DELETE", "\(Self.users)/amy", keys: ["c"])
        #expect(replayed.status == 409)
        #expect(replayed.body == conflict.body)
        #expect(replayed.header("Idempotent-Replayed") == "true")
        #expect(send(fixture, "DELETE", "\(Self.jobs)/\(finished)", keys: ["n"]).body == refused.body)
    }

    @Test func sameKeyWithAnotherRequestIs422() throws {
        let fixture = Fixture()
        #expect(send(fixture, "DELETE", "\(Self.users)/bea", keys: ["k"]).status == 200)
        let count = fixture.store.storedJobs.count
        for uri in ["\(Self.users)/other", "\(Self.jobs)/\(fixture.jobIDs[.scheduled]!)",
            "/public/\(Fixture.otherProjectKey)/users/bea"]
        {
            let response = send(fixture, "DELETE", uri, keys: ["k"])
            #expect(response.status == 422, "\(uri)")
            #expect(response.errorMessage != nil)
        }
        #expect(fixture.store.storedJobs.count == count)
        #expect(fixture.store.storedJobs.first { $0.id == fixture.jobIDs[.scheduled]! }?.status == .scheduled)
    }

    @Test func errorsBeforeTheOperationAreNotStored() {
        let fixture = Fixture()
        #expect(send(fixture, "DELETE", "/public/\(Fixture.foreignProjectKey)/users/cat", keys: ["k"]).status == 404)
        #expect(send(fixture, "DELETE", "\(Self.users)/%00", keys: ["k"]).status == 400)
        #expect(send(fixture, "DELETE", "\(Self.jobs)/999", keys: ["k"]).status == 404)
        #expect(send(fixture, "POST", "\(Self.users)/cat", keys: ["k"]).status == 405)
        #expect(fixture.store.idempotencyKeys.isEmpty)
        fixture.store.failure = StoreError(.unavailable, "down")
        #expect(send(fixture, "DELETE", "\(Self.users)/cat", keys: ["k"]).status == 503)
        fixture.store.failure = nil
        #expect(send(fixture, "DELETE", "\(Self.users)/cat", keys: ["k"]).status == 200)
    }

    @Test func anotherOrganizationsSameKeyReplaysNothing() throws {
        let fixture = Fixture()
        let ours = send(fixture, "DELETE", "\(Self.users)/dan", keys: ["shared"])
        #expect(ours.status == 200)
        let theirs = send(fixture, "DELETE", "/public/\(Fixture.foreignProjectKey)/users/dan", keys: ["shared"],
            authorization: Fixture.keyB)
        #expect(theirs.status == 200)
        #expect(theirs.header("Idempotent-Replayed") == nil)
        #expect(theirs.body != ours.body)
    }

    /// A key whose first request is still being processed (the store says `.inProgress`) is answered 409 with
    /// a JSON error, never replayed.
    @Test func aKeyStillInProgressIsAnswered409() {
        #expect(throws: APIError(
            status: 409, message: "A request with this Idempotency-Key is still being processed; retry later")) {
            _ = try JobsAPI.answer(IdempotentOutcome<CreateOutcome>.inProgress) { _ in
                APIResponse(status: 200, headers: APIResponse.jsonHeaders, body: [])
            }
        }
    }

    @Test func keysOnReadsAreIgnored() {
        let fixture = Fixture()
        #expect(send(fixture, "GET", Self.jobs, keys: ["a", "b"]).status == 200)
    }
}
