import Foundation
import JobsTesting
import Testing

/// `deploy/demo.sh --check` as CI runs it: seeds a demo store and demo user data, starts spawn-fcgi, nginx and a
/// worker, runs the curl commands it prints, expects 200 from each, requests a user's deletion and polls the job
/// until it completed and the user's data is gone, and stops everything.
@Suite
struct DemoScriptTests {
    @Test func demoCheckSucceeds() throws {
        let directory = try TemporaryDirectory(prefix: "jobs-e2e-demo")
        var environment = ProcessInfo.processInfo.environment
        environment["DEMO_PORT"] = String(try Stack.freePort())
        environment["DEMO_DIR"] = directory.appending("demo")
        // The binaries of this test run: the script must not build (the build folder is locked by `swift test`).
        environment["JOBS_BIN_DIR"] = try BuiltBinaries.directory()

        let result = try Command.run(
            "/bin/bash", [SourceTree.path("deploy/demo.sh"), "--check"], environment: environment, timeout: 5 * patientTimeout)
        #expect(result.status == 0, "stdout:\n\(result.output)\nstderr:\n\(result.errorOutput)")
        #expect(result.errorOutput.contains("demo check passed"), "\(result.errorOutput)")
        let printed = result.output.split(separator: "\n").filter { $0.hasPrefix("curl ") }
        // Four requests, then a user's deletion and the poll of its job.
        #expect(printed.count == 6, "\(result.output)")
        #expect(printed.allSatisfy { $0.contains("3sWXSsqHgSKnE87YkNJK") && $0.contains("Bearer jobs_") })
        #expect(printed.dropLast().last?.contains("-X DELETE") == true && printed.last?.contains("/jobs/") == true)
        #expect(result.output.contains("-> scheduled → running → completed"), "\(result.output)")
    }
}
