import Foundation
import JobsTesting
import Testing

/// The service erases people's data: its own log never carries a user id. The request line shows the route with
/// `:userId` in place of the id (and the job the request created or met, to trace it), and text a client put in
/// a path that is not a route, a project key or a job id is not shown either: it might be a user id in the wrong
/// place.
@Suite(.serialized, .sharedStack)
struct PersonalDataInLogsTests {
    let fixture: StackFixture

    init() throws {
        fixture = try StackFixture.require()
    }

    @Test func theAppLogNeverShowsAUserID() throws {
        let project = try fixture.newProject("personal data")
        let base = "/public/\(project.key)"
        let tag = UInt64.random(in: 1_000_000...9_999_999)
        let userID = "person-\(tag)@example.com"
        let encoded = userID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? userID

        let created = try fixture.client.delete("\(base)/users/\(encoded)", key: fixture.key)
        let jobID = try #require(try expectData(created)["jobId"]?.int)
        try expectError(try fixture.client.delete("\(base)/users/\(userID)", key: fixture.key), 409)
        try expectError(try fixture.client.delete("\(base)/users/\(encoded)", key: "jobs_" + String(repeating: "Q", count: 40)), 401)
        try expectError(try fixture.client.delete("\(base)/users/\(encoded)"), 401)
        // The id in the wrong places: a path that is no route, a job id, a project key.
        try expectError(try fixture.client.delete("\(base)/users/\(encoded)/more", key: fixture.key), 404)
        try expectError(try fixture.client.get("\(base)/jobs/\(encoded)", key: fixture.key), 400)
        try expectError(try fixture.client.get("/public/\(encoded)/jobs", key: fixture.key), 404)

        // Each line is written just after its answer: wait for those of the two deletions that met the job.
        let traced = eventually(timeout: 30) {
            fixture.stack.appLog.components(separatedBy: "job=\(jobID)\n").count == 3
                && fixture.stack.appLog.contains("GET /public/?/jobs 404")
        }
        #expect(traced, "\(fixture.stack.appLog)")
        let log = fixture.stack.appLog
        for form in [userID, encoded, encoded.lowercased(), "person-\(tag)"] {
            #expect(!log.contains(form), "the app's log shows \(form)")
        }
        let deletionLines = log.split(separator: "\n").filter { $0.contains("DELETE \(base)/users/:userId") }
        #expect(deletionLines.contains { $0.contains(" 200 ") && $0.hasSuffix("job=\(jobID)") }, "\(deletionLines)")
        #expect(deletionLines.contains { $0.contains(" 409 ") && $0.hasSuffix("job=\(jobID)") }, "\(deletionLines)")
        #expect(log.contains("DELETE (no route) 404"), "\(log)")
        #expect(log.contains("GET \(base)/jobs/? 400"), "\(log)")
    }

    /// nginx's access log, as the shipped site and snippet write it (the `jobs_api` format of
    /// nginx/conf.d/jobs-api.conf): the route of a user deletion, never the id, whatever form the path took.
    @Test func theAccessLogNeverShowsAUserID() throws {
        let project = try fixture.newProject("access log")
        let base = "/public/\(project.key)"
        let tag = UInt64.random(in: 1_000_000...9_999_999)
        let userID = "visitor-\(tag)@example.com"
        let encoded = userID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? userID

        _ = try expectData(try fixture.client.delete("\(base)/users/\(encoded)", key: fixture.key))
        try expectError(try fixture.client.delete("\(base)/users/\(userID)", key: fixture.key), 409)
        try expectError(try fixture.client.delete("\(base)/users/\(encoded)"), 401)
        // Another spelling of the same route: whatever the app answers, the log must not show the id.
        _ = try fixture.client.delete("\(base)/%75sers/\(encoded)", key: fixture.key)
        try expectError(try fixture.client.get("\(base)/jobs/\(encoded)", key: fixture.key), 400)
        _ = try expectData(try fixture.client.get("\(base)/jobs?limit=\(encoded)", key: fixture.key))

        let accessLogPath = URL(fileURLWithPath: fixture.stack.nginxErrorLogPath)
            .deletingLastPathComponent().appendingPathComponent("access.log").path
        func accessLog() -> String { (try? String(contentsOfFile: accessLogPath, encoding: .utf8)) ?? "" }
        // nginx writes each line once the answer is sent: wait for the six.
        let written = eventually(timeout: 30) {
            accessLog().split(separator: "\n").filter { $0.contains(project.key) || $0.contains("(not shown)") }.count >= 6
        }
        #expect(written, "\(accessLog())")
        let log = accessLog()
        for form in [userID, encoded, encoded.lowercased(), "visitor-\(tag)"] {
            #expect(!log.contains(form), "nginx's access log shows \(form)")
        }
        #expect(log.contains("\"DELETE \(base)/users/:userId HTTP/1.1\" 200 "), "\(log)")
        #expect(log.contains("\"DELETE \(base)/users/:userId HTTP/1.1\" 409 "), "\(log)")
        #expect(log.contains("\"GET \(base)/jobs HTTP/1.1\" 200 "), "\(log)")
    }
}
