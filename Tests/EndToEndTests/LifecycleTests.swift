import Foundation
import JobsTesting
import Testing

/// Stopping and restarting the application. Each test has a stack of its own.
@Suite
struct LifecycleTests {
    @Test func aRestartKeepsEveryChange() throws {
        let fixture = try StackFixture()
        let client = fixture.client
        let base = fixture.base
        let key = fixture.key

        // Changes through the API and through jobsctl.
        let requested = try expectData(try client.delete("\(base)/users/kept@example.com", key: key))
        let scheduled = try fixture.stack.createJob(project: fixture.tenant.project.key, user: "to-cancel@example.com")
        let scheduledID = try #require(scheduled["jobId"]?.int)
        let cancelled = try expectData(try client.delete("\(base)/jobs/\(scheduledID)", key: key))
        let revoked = try fixture.stack.createKey(organization: fixture.tenant.organization.id)
        try fixture.stack.revokeKey(revoked.id)
        let listBefore = try expectData(try client.get("\(base)/jobs?limit=200", key: key))
        let pidsBefore = fixture.stack.appPIDs

        try fixture.stack.restartApp()

        #expect(Set(fixture.stack.appPIDs).isDisjoint(with: pidsBefore))
        #expect(try expectData(try client.get("\(base)/jobs?limit=200", key: key)) == listBefore)
        let requestedID = try #require(requested["jobId"]?.int)
        #expect(try expectData(try client.get("\(base)/jobs/\(requestedID)", key: key)) == requested)
        #expect(try expectData(try client.get("\(base)/jobs/\(scheduledID)", key: key)) == cancelled)
        try expectError(try client.delete("\(base)/users/kept@example.com", key: key), 409)
        try expectError(try client.get("\(base)/jobs", key: revoked.secret), 401)
        expectAppAlive(fixture.stack)
    }

    @Test(arguments: [nil, 1, 8] as [Int?])
    func idleProcessesExitPromptlyOnSIGTERM(threads: Int?) throws {
        let fixture = try StackFixture(.init(processes: 2, threads: threads))
        // Every process has served requests and is idle again, its threads waiting in accept (each thread asleep
        // in the kernel).
        for _ in 0..<8 { _ = try expectData(try fixture.client.get("\(fixture.base)/jobs", key: fixture.key)) }
        let pids = fixture.stack.appPIDs
        #expect(
            eventually { pids.allSatisfy { pid in ProcessStatus.threadStates(of: pid).allSatisfy { $0 == "S" } } },
            "not idle: \(pids.map { ProcessStatus.threadStates(of: $0) })")

        let exitTimes = try fixture.stack.stopApp(timeout: patientTimeout)
        let report = exitTimes.values.sorted().map { String(format: "%.3f s", $0) }.joined(separator: ", ")
        print("jobs-fcgi --threads \(threads.map(String.init) ?? "default"): exit after SIGTERM in \(report)")
        #expect(exitTimes.count == 2)
        // An idle thread that missed the signal would wait in accept forever (stopApp gives up after a minute).
        // Each process exits in milliseconds on an idle machine; the bound (the first one was 1 s) leaves
        // room for a loaded one and still catches a shutdown that sits out a timeout of its own, such as the 5 s
        // request-head limit.
        for (pid, seconds) in exitTimes {
            #expect(seconds < 5, "jobs-fcgi \(pid) took \(seconds) s to exit after SIGTERM")
        }
        #expect(fixture.stack.appLog.contains("stopped on SIGTERM"), "\(fixture.stack.appLog)")
    }

    @Test func nginxAnswersJSON502WhileTheAppIsDownAndServesAgainAfterAStart() throws {
        let fixture = try StackFixture()
        try fixture.stack.stopApp()
        let down = try fixture.client.get("\(fixture.base)/jobs", key: fixture.key)
        try expectError(down, 502)

        try fixture.stack.startApp()
        try fixture.stack.waitUntilServing()
        _ = try expectData(try fixture.client.get("\(fixture.base)/jobs", key: fixture.key))
    }

    @Test func theAppRefusesToStartWithoutAMigratedStore() throws {
        let directory = try TemporaryDirectory(prefix: "jobs-e2e-nostore")
        let result = try Command.run(
            BuiltBinaries.jobsFCGI(),
            ["--store", directory.appending("missing.sqlite3"), "--listen", "unix:" + directory.appending("s.sock")],
            timeout: patientTimeout)
        #expect(result.status != 0)
        #expect(result.errorOutput.contains("jobsctl init"), "\(result.errorOutput)")
        #expect(!FileManager.default.fileExists(atPath: directory.appending("missing.sqlite3")))
    }
}
