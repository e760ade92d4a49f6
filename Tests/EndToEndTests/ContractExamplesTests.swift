import Foundation
import JobsTesting
import Testing

/// The contract's examples, through nginx and spawn-fcgi, answered as documented.
@Suite(.serialized, .sharedStack)
struct ContractExamplesTests {
    let fixture: StackFixture

    init() throws {
        fixture = try StackFixture.require()
    }

    /// Imports `count` completed jobs into a new project; returns the project and the jobs as jobsctl printed them.
    func projectWithJobs(_ name: String, count: Int) throws -> (Stack.Project, [JSONValue]) {
        let project = try fixture.newProject(name)
        let lines = (1...count).map { #"{"referenceId":"user\#($0)@example.com","status":"completed"}"# }
        return (project, try fixture.stack.importJobs(project: project.key, lines: lines))
    }

    @Test func listWithTheExampleParametersShowsEveryJobInIDOrder() throws {
        let (project, imported) = try projectWithJobs("list", count: 3)
        let response = try fixture.client.get("/public/\(project.key)/jobs?limit=50&page=1", key: fixture.key)
        let jobs = try #require(try expectData(response).array)
        #expect(jobs == imported)
        for job in jobs { expectJobShape(job) }
        let ids = jobs.compactMap { $0["jobId"]?.int }
        #expect(ids == ids.sorted())
        #expect(jobs.allSatisfy { $0["projectId"]?.int == project.id })
    }

    @Test func listPagesThroughJobsAndAnswersAnEmptyPagePastTheEnd() throws {
        let (project, imported) = try projectWithJobs("pages", count: 5)
        func page(_ query: String) throws -> [JSONValue] {
            let response = try fixture.client.get("/public/\(project.key)/jobs?\(query)", key: fixture.key)
            return try #require(try expectData(response).array)
        }
        #expect(try page("limit=2&page=1") == Array(imported[0..<2]))
        #expect(try page("limit=2&page=2") == Array(imported[2..<4]))
        #expect(try page("limit=2&page=3") == Array(imported[4...]))
        #expect(try page("limit=2&page=4") == [])
        #expect(try page("page=2") == [])  // default limit 50
        // Outside 1–200 or not an integer: the defaults (50, page 1). The first of repeated parameters counts.
        #expect(try page("limit=0&page=0") == imported)
        #expect(try page("limit=201&page=-1") == imported)
        #expect(try page("limit=abc&page=1.5") == imported)
        #expect(try page("limit=1&limit=3") == Array(imported[0..<1]))
        let bare = try fixture.client.get("/public/\(project.key)/jobs", key: fixture.key)
        #expect(try expectData(bare).array == imported)
    }

    @Test func aFullPageOfTheLongestUserIDsArrivesWhole() throws {
        let project = try fixture.newProject("full page")
        let lines = (0..<200).map { index in
            #"{"referenceId":"\#(index)-\#(String(repeating: "é", count: 250))","status":"completed"}"#
        }
        let imported = try fixture.stack.importJobs(project: project.key, lines: lines)
        let response = try fixture.client.get("/public/\(project.key)/jobs?limit=200", key: fixture.key)
        #expect(try expectData(response).array == imported)
        #expect(response.body.count > 200_000)
    }

    @Test func getShowsTheJobAsJobsctlDoes() throws {
        let created = try fixture.stack.createJob(project: fixture.tenant.project.key, user: "get@example.com")
        let id = try #require(created["jobId"]?.int)
        let response = try fixture.client.get("\(fixture.base)/jobs/\(id)", key: fixture.key)
        let job = try expectData(response)
        expectJobShape(job)
        #expect(job == created)
    }

    @Test func getAnswers404ForAMissingJobOrOneOfAnotherProject() throws {
        try expectError(try fixture.client.get("\(fixture.base)/jobs/999999999", key: fixture.key), 404)
        let other = try fixture.newProject("elsewhere")
        let job = try fixture.stack.createJob(project: other.key, user: "elsewhere@example.com")
        let id = try #require(job["jobId"]?.int)
        try expectError(try fixture.client.get("\(fixture.base)/jobs/\(id)", key: fixture.key), 404)
    }

    @Test func cancelTurnsAScheduledJobCancelledOnce() throws {
        let created = try fixture.stack.createJob(project: fixture.tenant.project.key, user: "cancel@example.com")
        let id = try #require(created["jobId"]?.int)
        let before = Int64(Date.now.timeIntervalSince1970 * 1000)

        let job = try expectData(try fixture.client.delete("\(fixture.base)/jobs/\(id)", key: fixture.key))
        expectJobShape(job)
        #expect(job["status"]?.string == "cancelled")
        let updatedAt = try #require(job["updatedAt"]?.int)
        #expect(updatedAt >= before - 1000 && updatedAt <= Int64(Date.now.timeIntervalSince1970 * 1000) + 1000)
        for key in ["jobId", "description", "projectId", "action", "referenceId", "createdAt", "startAt", "errors"] {
            #expect(job[key] == created[key], "\(key)")
        }

        #expect(try expectData(try fixture.client.get("\(fixture.base)/jobs/\(id)", key: fixture.key)) == job)
        try expectError(try fixture.client.delete("\(fixture.base)/jobs/\(id)", key: fixture.key), 400)
        try expectError(try fixture.client.delete("\(fixture.base)/jobs/999999999", key: fixture.key), 404)
    }

    @Test(arguments: ["completed", "failed", "cancelled"])
    func cancelRefusesAJobInAFinalState(status: String) throws {
        let line = #"{"referenceId":"final-\#(status)@example.com","status":"\#(status)"}"#
        let job = try #require(try fixture.stack.importJobs(project: fixture.tenant.project.key, lines: [line]).first)
        let id = try #require(job["jobId"]?.int)
        try expectError(try fixture.client.delete("\(fixture.base)/jobs/\(id)", key: fixture.key), 400)
        #expect(try fixture.stack.showJob(id)["status"]?.string == status)
    }

    @Test func cancelStopsARunningJob() throws {
        let line = #"{"referenceId":"running@example.com","status":"running"}"#
        let job = try #require(try fixture.stack.importJobs(project: fixture.tenant.project.key, lines: [line]).first)
        let id = try #require(job["jobId"]?.int)
        let cancelled = try expectData(try fixture.client.delete("\(fixture.base)/jobs/\(id)", key: fixture.key))
        #expect(cancelled["status"]?.string == "cancelled")
    }

    @Test func deleteUserSchedulesOneJobForTheNextMidnight() throws {
        let response = try fixture.client.delete("\(fixture.base)/users/shekar@example.com", key: fixture.key)
        let job = try expectData(response)
        expectJobShape(job)
        #expect(job["description"]?.string == "Delete user sessions of userId = shekar@example.com")
        #expect(job["status"]?.string == "scheduled")
        #expect(job["projectId"]?.int == fixture.tenant.project.id)
        #expect(job["action"]?.string == "delete_user_data")
        #expect(job["referenceId"]?.string == "shekar@example.com")
        #expect(job["updatedAt"]?.isNull == true)
        #expect(job["errors"]?.isNull == true)
        let createdAt = try #require(job["createdAt"]?.int)
        #expect(job["startAt"]?.int == (createdAt / millisecondsPerDay + 1) * millisecondsPerDay)

        // The response's jobId is what clients poll.
        let id = try #require(job["jobId"]?.int)
        #expect(try expectData(try fixture.client.get("\(fixture.base)/jobs/\(id)", key: fixture.key)) == job)
        // A second request while the job is scheduled: 409.
        try expectError(try fixture.client.delete("\(fixture.base)/users/shekar@example.com", key: fixture.key), 409)
    }

    @Test func deleteUserDecodesTheUserIDAndAcceptsItAgainOnceTheJobIsCancelled() throws {
        let path = "\(fixture.base)/users/j%C3%BCrgen%2Bteam%40example.com"
        let job = try expectData(try fixture.client.delete(path, key: fixture.key))
        #expect(job["referenceId"]?.string == "jürgen+team@example.com")
        let id = try #require(job["jobId"]?.int)
        _ = try expectData(try fixture.client.delete("\(fixture.base)/jobs/\(id)", key: fixture.key))
        let again = try expectData(try fixture.client.delete(path, key: fixture.key))
        #expect(try #require(again["jobId"]?.int) > id)
    }

    @Test func userIDsOf256CharactersPassAndLongerOnesAreRefused() throws {
        let longest = String(repeating: "é", count: 256)
        let encoded = String(repeating: "%C3%A9", count: 256)
        let job = try expectData(try fixture.client.delete("\(fixture.base)/users/\(encoded)", key: fixture.key))
        #expect(job["referenceId"]?.string == longest)
        try expectError(try fixture.client.delete("\(fixture.base)/users/\(encoded)a", key: fixture.key), 400)
    }
}
