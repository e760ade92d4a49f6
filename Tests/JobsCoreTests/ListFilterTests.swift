import Foundation
import Testing

@testable import JobsCore
import JobsTesting

/// `status` and `referenceId` on the list (issue 18): the matching jobs, paginated as the plain list, or a 400
/// naming the parameter; never a filter silently ignored.
@Suite("List filters")
struct ListFilterTests {
    static let list = "/public/\(Fixture.projectKey)/jobs"

    @Test(arguments: [
        ("status=scheduled", [JobStatus.scheduled]),
        ("status=running,scheduled", [.scheduled, .running]),
        ("status=completed%2Cfailed", [.completed, .failed]),
        ("status=cancelled,cancelled", [.cancelled]),
        ("status=scheduled,running,completed,failed,cancelled", JobStatus.allCases),
        ("status=failed&status=nonsense", [.failed]),
    ])
    func byStatus(query: String, statuses: [JobStatus]) {
        let fixture = Fixture()
        let response = fixture.send("GET", "\(Self.list)?\(query)")
        #expect(response.status == 200)
        #expect(response.jobIDs == statuses.compactMap { fixture.jobIDs[$0] }.sorted())
    }

    @Test func byReferenceIDDecodedAsAQueryValue() {
        let fixture = Fixture()
        let alice = fixture.store.insert(.deleteUserData(userID: "alice smith@example.com", createdAt: 1, startAt: 2), projectID: 1)
        fixture.store.insert(.deleteUserData(userID: "alice smith@example.com", createdAt: 1, startAt: 2), projectID: 2)
        for query in ["referenceId=alice%20smith%40example.com", "referenceId=alice+smith@example.com"] {
            let response = fixture.send("GET", "\(Self.list)?\(query)")
            #expect(response.status == 200)
            #expect(response.jobIDs == [alice.id], "\(query)")
        }
        #expect(fixture.send("GET", "\(Self.list)?referenceId=alice").jobIDs == [])
    }

    @Test func bothFiltersAndPagination() {
        let fixture = Fixture()
        var expected: [Int64] = []
        for index in 0..<7 {
            var job = NewJob.deleteUserData(userID: "bob", createdAt: 1, startAt: 2)
            job.status = index % 2 == 0 ? .completed : .failed
            let stored = fixture.store.insert(job, projectID: 1)
            if job.status == .completed { expected.append(stored.id) }
        }
        let response = fixture.send("GET", "\(Self.list)?referenceId=bob&status=completed&limit=2&page=2")
        #expect(response.status == 200)
        #expect(expected.count == 4)
        #expect(response.jobIDs == Array(expected[2..<4]))
        #expect(fixture.send("GET", "\(Self.list)?referenceId=bob&status=completed&limit=2&page=3").jobIDs == [])
        #expect(fixture.send("GET", "\(Self.list)?referenceId=bob&status=completed&page=9223372036854775807").jobIDs == [])
    }

    @Test(arguments: [
        ("status=", "status"), ("status", "status"), ("status=unknown", "status"), ("status=scheduled,", "status"),
        ("status=,running", "status"), ("status=Scheduled", "status"), ("status=scheduled%2", "status"),
        ("status=%ff", "status"), ("status=scheduled%00", "status"), ("status=scheduled+", "status"),
        ("referenceId=", "referenceId"), ("referenceId", "referenceId"), ("referenceId=%00", "referenceId"),
        ("referenceId=%ff", "referenceId"), ("referenceId=%zz", "referenceId"), ("referenceId=a%00b", "referenceId"),
        ("referenceId=\(String(repeating: "a", count: 257))", "referenceId"),
        ("status=running&referenceId=", "referenceId"),
    ])
    func invalidFilterIs400NamingIt(query: String, parameter: String) throws {
        let fixture = Fixture()
        let response = fixture.send("GET", "\(Self.list)?\(query)")
        #expect(response.status == 400)
        #expect(response.header("Content-Type") == "application/json")
        let message = try #require(response.errorMessage)
        #expect(message.contains(parameter), "\(message)")
    }

    @Test func referenceIDOfMaximumLengthIsAccepted() {
        let fixture = Fixture()
        #expect(fixture.send("GET", "\(Self.list)?referenceId=\(String(repeating: "%C3%A9", count: 256))").status == 200)
    }

    @Test func projectAndAuthenticationComeFirst() {
        let fixture = Fixture()
        #expect(fixture.send("GET", "/public/\(Fixture.foreignProjectKey)/jobs?status=bad").status == 404)
        #expect(fixture.send("GET", "\(Self.list)?status=bad", authorization: nil).status == 401)
    }

    @Test func otherOrganizationsJobsAreNeverListed() {
        let fixture = Fixture()
        let response = fixture.send(
            "GET", "/public/\(Fixture.foreignProjectKey)/jobs?referenceId=y", authorization: "Bearer \(Fixture.keyA)")
        #expect(response.status == 404)
        #expect(fixture.send("GET", "\(Self.list)?referenceId=y").jobIDs == [])
    }
}
