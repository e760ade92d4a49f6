import Foundation
import JobsTesting
import Testing

/// A worker claims only the jobs it has a program for: with a real store, jobs of other actions stay `scheduled`
/// (due, and listed so) until a worker that runs them starts.
@Suite
struct WorkerActionTests {
    @Test func jobsOfAnActionNoWorkerRunsStayScheduledUntilOneDoes() throws {
        let fixture = try WorkerFixture()
        let deletion = try #require(try fixture.requestDeletion("ada@example.com")["jobId"]?.int)
        let imported = try fixture.stack.importJobs(
            project: fixture.projectKey,
            lines: [#"{"referenceId":"ada@example.com","status":"scheduled","action":"export_user_data","startAt":1000}"#])
        let export = try #require(imported.first?["jobId"]?.int)

        // A worker for exports only: the deletion is not its to run.
        let exporter = try fixture.folder.writeExecutable("export", "#!/bin/sh\necho \"$JOB_ID\" >> '\(fixture.folder.path)/exported'\n")
        let first = try fixture.stack.runWorkerOnce(["--action", "export_user_data=\(exporter)"])
        #expect(first.succeeded, "\(first.errorOutput)")
        #expect(try fixture.stack.showJob(export)["status"]?.string == "completed")
        #expect(try fixture.job(deletion)["status"]?.string == "scheduled")
        #expect(try fixture.job(deletion)["updatedAt"]?.isNull == true)
        #expect(fixture.lines(of: "exported") == [String(export)])
        let scheduled = try fixture.stack.jobsctl(["job", "list", "--project", fixture.projectKey, "--status", "scheduled"])
        #expect(scheduled.map { $0["jobId"]?.int } == [deletion])

        // A worker for deletions runs it.
        let second = try fixture.stack.runWorkerOnce(fixture.action("echo \"$JOB_ID\" >> \"$DIR/deleted\""))
        #expect(second.succeeded, "\(second.errorOutput)")
        #expect(try fixture.job(deletion)["status"]?.string == "completed")
        #expect(fixture.lines(of: "deleted") == [String(deletion)])
    }

    /// The largest job import accepts (every bounded field at its bound, escaped to six bytes per character
    /// in JSON) reaches its program whole: far more than a pipe holds.
    @Test func theLargestImportableJobReachesItsProgramWhole() throws {
        let fixture = try WorkerFixture()
        let control = "\\u0001"
        let description = String(repeating: control, count: 4096)
        let errors = String(repeating: control, count: 16_384)
        let user = String(repeating: control, count: 256)
        let line = #"{"referenceId":"\#(user)","status":"scheduled","startAt":1000,"description":"\#(description)","errors":"\#(errors)"}"#
        let imported = try #require(try fixture.stack.importJobs(project: fixture.projectKey, lines: [line]).first)
        let id = try #require(imported["jobId"]?.int)

        let result = try fixture.stack.runWorkerOnce(fixture.action(#"cat > "$DIR/input.json""#))
        #expect(result.succeeded, "\(result.errorOutput)")
        #expect(try fixture.stack.showJob(id)["status"]?.string == "completed", "\(result.errorOutput)")
        let input = try #require(fixture.folder.contents(of: "input.json"))
        #expect(input.utf8.count > 65_536 + 1)
        let job = try JSONValue(parsing: input)
        #expect(job["description"] == imported["description"])
        #expect(job["errors"] == imported["errors"])
        #expect(job["referenceId"] == imported["referenceId"])
    }
}
