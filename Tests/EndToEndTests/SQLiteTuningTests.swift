import Foundation
import JobsTesting
import Testing

/// `jobs-fcgi`'s SQLite tunables: bad values are refused before anything starts.
@Suite
struct SQLiteTuningTests {
    @Test(arguments: [
        (["--sqlite-synchronous", "off"], "--sqlite-synchronous must be full or normal"),
        (["--sqlite-synchronous", ""], "--sqlite-synchronous must be full or normal"),
        (["--sqlite-busy-timeout=-1"], "--sqlite-busy-timeout must be 0 to 60000"),
        (["--sqlite-busy-timeout", "60001"], "--sqlite-busy-timeout must be 0 to 60000"),
    ])
    func badValuesAreRefused(arguments: [String], message: String) throws {
        let directory = try TemporaryDirectory(prefix: "jobs-e2e-tuning")
        let result = try Command.run(
            BuiltBinaries.jobsFCGI(),
            ["--store", directory.appending("jobs.sqlite3"), "--listen", "unix:" + directory.appending("s.sock")]
                + arguments,
            timeout: patientTimeout)
        #expect(result.status != 0)
        #expect(result.errorOutput.contains(message), "\(result.errorOutput)")
        #expect(!FileManager.default.fileExists(atPath: directory.appending("s.sock")))
    }
}
