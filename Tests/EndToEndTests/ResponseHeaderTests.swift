import JobsTesting
import Testing

/// Every answer of the app may carry personal data (a user id in `referenceId`) or be an error about it: through
/// nginx, each one says `Cache-Control: no-store` and `X-Content-Type-Options: nosniff`, whatever its status.
@Suite(.serialized, .sharedStack)
struct ResponseHeaderTests {
    let fixture: StackFixture

    init() throws {
        fixture = try StackFixture.require()
    }

    @Test func everyAnswerOfTheAppIsNotStoredAndNotSniffed() throws {
        let project = try fixture.newProject("response headers")
        let base = "/public/\(project.key)"
        let created = try fixture.client.delete("\(base)/users/header-check@example.com", key: fixture.key)
        let jobID = try #require(try expectData(created)["jobId"]?.int)
        let answers: [(String, HTTPResponse, Int)] = [
            ("user deletion", created, 200),
            ("list", try fixture.client.get("\(base)/jobs", key: fixture.key), 200),
            ("HEAD of the list", try fixture.client.request("HEAD", "\(base)/jobs", key: fixture.key), 200),
            ("one job", try fixture.client.get("\(base)/jobs/\(jobID)", key: fixture.key), 200),
            ("second deletion", try fixture.client.delete("\(base)/users/header-check@example.com", key: fixture.key), 409),
            ("bad job id", try fixture.client.get("\(base)/jobs/x", key: fixture.key), 400),
            ("no key", try fixture.client.get("\(base)/jobs"), 401),
            ("missing job", try fixture.client.get("\(base)/jobs/999999999", key: fixture.key), 404),
            ("method", try fixture.client.request("POST", "\(base)/jobs", key: fixture.key), 405),
        ]
        for (name, response, status) in answers {
            #expect(response.status == status, "\(name): \(response)")
            #expect(response.header("Cache-Control") == "no-store", "\(name): \(response)")
            #expect(response.header("X-Content-Type-Options") == "nosniff", "\(name): \(response)")
        }
    }
}
