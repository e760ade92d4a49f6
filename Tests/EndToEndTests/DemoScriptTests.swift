import Foundation
import JobsTesting
import Testing

/// `deploy/demo.sh --check` as CI runs it: seeds a demo store, starts spawn-fcgi and nginx, runs the curl commands
/// it prints, expects 200 from each, and stops everything.
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
            "/bin/bash", [SourceTree.path("deploy/demo.sh"), "--check"], environment: environment, timeout: 120)
        #expect(result.status == 0, "stdout:\n\(result.output)\nstderr:\n\(result.errorOutput)")
        #expect(result.errorOutput.contains("demo check passed"), "\(result.errorOutput)")
        let printed = result.output.split(separator: "\n").filter { $0.hasPrefix("curl ") }
        #expect(printed.count == 4, "\(result.output)")
        #expect(printed.allSatisfy { $0.contains("3sWXSsqHgSKnE87YkNJK") && $0.contains("Bearer jobs_") })
    }
}
