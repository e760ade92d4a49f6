import Foundation
import JobsCore
import JobsTesting
import Testing

/// The release version: `--version` of both programs and the app's start-up line say `Release.version`, and the
/// start-up line names the store's schema version.
@Suite
struct VersionTests {
    @Test(arguments: ["jobs-fcgi", "jobsctl"])
    func versionOptionPrintsTheRelease(program: String) throws {
        let result = try Command.run(try BuiltBinaries.path(of: program), ["--version"])
        #expect(result.succeeded, "\(result.errorOutput)")
        #expect(result.output == Release.version + "\n")
    }

    @Test func theStartLineSaysTheVersionAndTheSchema() throws {
        let fixture = try StackFixture()
        let initialized = try Command.run(
            try BuiltBinaries.jobsctl(), ["init", "--store", fixture.stack.storePath])
        let schema = try #require(try JSONValue(parsing: initialized.output)["schemaVersion"]?.int)
        let startLine = try #require(fixture.stack.appLog.split(separator: "\n").first { $0.contains("listening on") })
        #expect(startLine.contains(", schema \(schema)"), "\(startLine)")
        #expect(startLine.hasSuffix("; version \(Release.version)"), "\(startLine)")
    }
}
