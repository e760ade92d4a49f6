import JobsTesting
import Testing

/// Many clients at once on one job or one user, through nginx and two FastCGI processes.
@Suite(.serialized, .sharedStack)
struct EndToEndConcurrencyTests {
    let fixture: StackFixture
    static let clients = 32

    init() throws {
        fixture = try StackFixture.require()
    }

    /// Each response's status, in no particular order; a request that failed at the socket fails the test.
    func statuses(_ results: [Result<HTTPResponse, any Error>]) throws -> [Int] {
        try results.map { result in
            let response = try result.get()
            if response.status != 200 { try expectErrorBody(response) }
            return response.status
        }
    }

    @Test func concurrentCancelsOfOneJobSucceedExactlyOnce() throws {
        // A start far in the future: the job stays scheduled whatever the time of day.
        let job = try fixture.stack.createJob(
            project: fixture.tenant.project.key, user: "race-cancel@example.com", startAt: 4_102_444_800_000)
        let id = try #require(job["jobId"]?.int)
        let path = "\(fixture.base)/jobs/\(id)"
        let key = fixture.key

        let results = fixture.client.inParallel(Self.clients) { client, _ in try client.delete(path, key: key) }
        let statuses = try statuses(results)
        #expect(statuses.filter { $0 == 200 }.count == 1, "\(statuses)")
        #expect(statuses.filter { $0 == 400 }.count == Self.clients - 1, "\(statuses)")
        #expect(try fixture.stack.showJob(id)["status"]?.string == "cancelled")
        expectAppAlive(fixture.stack)
    }

    @Test func concurrentDeletionsOfOneUserCreateExactlyOneJob() throws {
        let project = try fixture.newProject("race-users")
        let path = "/public/\(project.key)/users/race-user@example.com"
        let key = fixture.key

        let results = fixture.client.inParallel(Self.clients) { client, _ in try client.delete(path, key: key) }
        let statuses = try statuses(results)
        #expect(statuses.filter { $0 == 200 }.count == 1, "\(statuses)")
        #expect(statuses.filter { $0 == 409 }.count == Self.clients - 1, "\(statuses)")
        let jobs = try fixture.stack.jobsctl(["job", "list", "--project", project.key])
        #expect(jobs.count == 1)
        #expect(jobs.first?["referenceId"]?.string == "race-user@example.com")
        expectAppAlive(fixture.stack)
    }

    @Test func concurrentReadsAndWritesAllSucceed() throws {
        let project = try fixture.newProject("race-mixed")
        let base = "/public/\(project.key)"
        let key = fixture.key
        // Half the clients request deletions for distinct users, half list the project.
        let results = fixture.client.inParallel(Self.clients) { client, index in
            index.isMultiple(of: 2)
                ? try client.delete("\(base)/users/user-\(index)", key: key)
                : try client.get("\(base)/jobs?limit=200", key: key)
        }
        #expect(try statuses(results).allSatisfy { $0 == 200 })
        let jobs = try fixture.stack.jobsctl(["job", "list", "--project", project.key])
        #expect(jobs.count == Self.clients / 2)
        expectAppAlive(fixture.stack)
    }
}
