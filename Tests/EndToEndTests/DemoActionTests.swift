import Foundation
import JobsTesting
import Testing

/// `deploy/actions/delete-user-data`, the example action, run as the worker runs it: the job's variables and
/// `USER_DATA_DIR` in its environment.
@Suite
struct DemoActionTests {
    let folder: TemporaryDirectory
    var dataDirectory: String { folder.appending("data") }

    init() throws {
        folder = try TemporaryDirectory(prefix: "jobs-e2e-demo-action")
    }

    /// The folder of `user`'s data: named by the SHA-256 of the id, as deploy/demo.sh makes it.
    func userFolder(_ user: String) throws -> String {
        let hashed = try Command.run("/bin/sh", ["-c", "printf '%s' \"$1\" | sha256sum", "sh", user])
        let hash = try #require(hashed.output.split(separator: " ").first)
        return dataDirectory + "/users/" + hash
    }

    /// Gives `user` `batches` batches of data (and a file that is not a batch).
    func seed(_ user: String, batches: Int) throws {
        let directory = try userFolder(user)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for batch in 1...batches {
            try Data(#"{"sessionId":\#(batch)}"#.utf8).write(to: URL(fileURLWithPath: directory + "/batch-000\(batch).jsonl"))
        }
        try Data("{}".utf8).write(to: URL(fileURLWithPath: directory + "/profile.json"))
    }

    func runAction(for user: String, environment extra: [String: String] = [:]) throws -> CommandResult {
        var environment = ["PATH": "/usr/bin:/bin", "USER_DATA_DIR": dataDirectory, "JOB_ID": "7", "PROJECT_ID": "1",
                           "PROJECT_KEY": "3sWXSsqHgSKnE87YkNJK", "ACTION": "delete_user_data", "REFERENCE_ID": user]
        environment.merge(extra) { $1 }
        return try Command.run(
            SourceTree.path("deploy/actions/delete-user-data"), [], input: Data("{}\n".utf8), environment: environment,
            timeout: patientTimeout)
    }

    @Test func deletesEveryBatchOfTheUserAndNothingElseAndIsSafeToRunTwice() throws {
        try seed("ada@example.com", batches: 5)
        try seed("grace@example.com", batches: 3)

        let first = try runAction(for: "ada@example.com")
        #expect(first.succeeded, "\(first.errorOutput)")
        #expect(!FileManager.default.fileExists(atPath: try userFolder("ada@example.com")))
        #expect(first.output.contains("5 batch(es) deleted"), "\(first.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: try userFolder("grace@example.com")).count == 4)

        let second = try runAction(for: "ada@example.com")
        #expect(second.succeeded, "\(second.errorOutput)")
        #expect(second.output.contains("no data"), "\(second.output)")
    }

    @Test(arguments: ["../../outside", "zoë/../../etc passwd", "a\nb", "$(touch pwned)", "*"])
    func anUntrustedUserIDNeverBecomesAPath(user: String) throws {
        try seed(user, batches: 2)
        // What a path built from the id would reach: a folder beside the data, with batches of its own.
        let outside = folder.appending("outside")
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try folder.write("outside/batch-0001.jsonl", "{}")
        try seed("bystander@example.com", batches: 2)

        let result = try runAction(for: user)
        #expect(result.succeeded, "\(result.errorOutput)")
        #expect(!FileManager.default.fileExists(atPath: try userFolder(user)))
        #expect(folder.exists("outside/batch-0001.jsonl"))
        #expect(FileManager.default.fileExists(atPath: try userFolder("bystander@example.com") + "/batch-0001.jsonl"))
        #expect(!FileManager.default.fileExists(atPath: "pwned") && !folder.exists("pwned"))
        #expect(!result.output.contains(user), "the log names the hash, not the id")
    }

    @Test func refusesToRunWithoutItsDataFolder() throws {
        let result = try runAction(for: "ada@example.com", environment: ["USER_DATA_DIR": ""])
        #expect(result.status != 0)
        #expect(result.errorOutput.contains("USER_DATA_DIR"), "\(result.errorOutput)")
    }
}
