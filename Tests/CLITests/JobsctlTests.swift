import Foundation
import JobsTesting
import Testing

/// Runs the built `jobsctl` on a temporary store, as an operator would, and checks what it prints: a SQLite file,
/// or a new PostgreSQL database when `JOBS_TEST_STORE=postgres`.
struct CLI {
    let directory: TemporaryDirectory
    let store: String
    /// The PostgreSQL database behind `store`, if that is the engine.
    let database: PostgresDatabase?
    /// Whether `store` is a SQLite file (whose mode and existence the tests check too).
    var isFile: Bool { database == nil }

    init() throws {
        directory = try TemporaryDirectory(prefix: "jobsctl-tests")
        (store, database) = try Stack.makeStore(.configured, in: directory)
    }

    /// Runs `jobsctl ARGUMENTS --store STORE`.
    func run(_ arguments: [String], input: String = "", environment: [String: String]? = nil) throws -> CommandResult {
        try Command.run(try BuiltBinaries.jobsctl(), arguments + ["--store", store], input: Data(input.utf8),
                        environment: environment)
    }

    /// Runs a command that must succeed and print one JSON document per line.
    func json(_ arguments: [String], input: String = "") throws -> [JSONValue] {
        let result = try run(arguments, input: input)
        guard result.succeeded else {
            throw JobsTestingError("jobsctl \(arguments) failed (\(result.status)): \(result.errorOutput)")
        }
        return try result.output.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
    }

    /// An initialised store with an organization, a key and a project with the spec's key.
    static func seeded() throws -> (cli: CLI, orgID: Int64, projectKey: String) {
        let cli = try CLI()
        _ = try cli.json(["init"])
        let org = try #require(try cli.json(["org", "create", "Acme"]).first?["orgId"]?.int)
        _ = try cli.json(["project", "create", "--org", String(org), "--project-key", "3sWXSsqHgSKnE87YkNJK", "Web"])
        return (cli, org, "3sWXSsqHgSKnE87YkNJK")
    }
}

@Suite("jobsctl init")
struct InitTests {
    @Test func createsThenIsIdempotent() throws {
        let cli = try CLI()
        let first = try cli.json(["init"])
        #expect(first.first?["schemaVersion"]?.int ?? 0 >= 1)
        #expect(first.first?["migratedFrom"]?.int == 0)
        let second = try cli.json(["init"])
        #expect(second.first?["migratedFrom"]?.int == first.first?["schemaVersion"]?.int)
        // Readable by its owner only.
        if cli.isFile {
            let mode = try FileManager.default.attributesOfItem(atPath: cli.store)[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
    }

    @Test func otherCommandsRefuseAMissingStoreAndSayWhatToRun() throws {
        let cli = try CLI()
        let result = try cli.run(["org", "create", "Acme"])
        #expect(!result.succeeded)
        #expect(result.output.isEmpty)
        #expect(result.errorOutput.contains("jobsctl init"))
        if cli.isFile {
            #expect(!FileManager.default.fileExists(atPath: cli.store))
        }
    }

    @Test func storeFromTheEnvironment() throws {
        let cli = try CLI()
        var environment = ProcessInfo.processInfo.environment
        environment["JOBS_STORE"] = cli.store
        let result = try Command.run(try BuiltBinaries.jobsctl(), ["init"], environment: environment)
        #expect(result.succeeded)
        #expect(try cli.json(["init"]).first?["migratedFrom"]?.int ?? 0 >= 1, "init through JOBS_STORE did it")
    }

    @Test func noStoreAtAllIsAnError() throws {
        var environment = ProcessInfo.processInfo.environment
        environment["JOBS_STORE"] = nil
        let result = try Command.run(try BuiltBinaries.jobsctl(), ["init"], environment: environment)
        #expect(!result.succeeded)
        #expect(result.errorOutput.contains("JOBS_STORE"))
    }
}

@Suite("jobsctl org, key, project")
struct CLIAdministrationTests {
    @Test func organizationsKeysAndProjects() throws {
        let cli = try CLI()
        _ = try cli.json(["init"])
        let org = try #require(try cli.json(["org", "create", "Acme Inc"]).first)
        #expect(org.keys == ["createdAt", "name", "orgId"])
        #expect(org["name"]?.string == "Acme Inc")
        let orgID = try #require(org["orgId"]?.int)

        let key = try #require(try cli.json(["key", "create", "--org", String(orgID)]).first)
        #expect(key.keys == ["key", "keyId", "orgId"])
        let secret = try #require(key["key"]?.string)
        #expect(secret.hasPrefix("jobs_"))
        #expect(secret.count == 45)

        // Listing never shows the secret, only a hint.
        let listed = try cli.run(["key", "list", "--org", String(orgID)])
        #expect(listed.succeeded)
        #expect(!listed.output.contains(secret))
        let record = try JSONValue(parsing: listed.output.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(record["keyId"]?.int == key["keyId"]?.int)
        #expect(record["revokedAt"]?.isNull == true)
        #expect(record["hint"]?.string.map { secret.hasPrefix($0.replacingOccurrences(of: "…", with: "")) } == true)

        // Nor does the store hold it (a PostgreSQL store: everything it holds, dumped).
        let stored = try cli.database.map { Data(try $0.dump().utf8) } ?? Data(contentsOf: URL(fileURLWithPath: cli.store))
        #expect(stored.range(of: Data(secret.utf8)) == nil)

        let revoked = try #require(try cli.json(["key", "revoke", String(key["keyId"]!.int!)]).first)
        #expect(revoked["revokedAt"]?.int != nil)

        let project = try #require(try cli.json(["project", "create", "--org", String(orgID), "Web"]).first)
        #expect(project.keys == ["name", "orgId", "projectId", "projectKey"])
        let projectKey = try #require(project["projectKey"]?.string)
        #expect(projectKey.count == 20)
        #expect(projectKey.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
    }

    @Test func refusals() throws {
        let (cli, orgID, projectKey) = try CLI.seeded()
        for arguments in [
            ["project", "create", "--org", String(orgID), "--project-key", projectKey, "Duplicate"],
            ["project", "create", "--org", String(orgID), "--project-key", "short", "Bad"],
            ["project", "create", "--org", "999", "Orphan"],
            ["key", "create", "--org", "999"],
            ["key", "revoke", "999"],
            ["org", "create", ""],
            ["job", "show", "999"],
            ["job", "create", "--project", "ZZZZZZZZZZZZZZZZZZZZ", "--user", "u"],
            ["job", "create", "--project", projectKey, "--user", ""],
            ["job", "create", "--project", projectKey, "--user", String(repeating: "x", count: 257)],
        ] {
            let result = try cli.run(arguments)
            #expect(!result.succeeded, "\(arguments) should fail")
            #expect(result.output.isEmpty, "\(arguments) printed \(result.output)")
            #expect(!result.errorOutput.isEmpty)
        }
    }
}

@Suite("jobsctl job")
struct JobCommandTests {
    @Test func createShowsTheJobAsTheAPIDoes() throws {
        let (cli, _, projectKey) = try CLI.seeded()
        let before = Int64(Date().timeIntervalSince1970 * 1000)
        let job = try #require(try cli.json(["job", "create", "--project", projectKey, "--user", "shekar@example.com"]).first)
        #expect(job.keys == ["jobId", "description", "status", "projectId", "action", "referenceId", "createdAt",
                             "updatedAt", "startAt", "errors"])
        #expect(job["status"]?.string == "scheduled")
        #expect(job["description"]?.string == "Delete user sessions of userId = shekar@example.com")
        #expect(job["updatedAt"]?.isNull == true)
        let createdAt = try #require(job["createdAt"]?.int)
        #expect(createdAt >= before)
        #expect(job["startAt"]?.int == (createdAt / 86_400_000 + 1) * 86_400_000)

        let explicit = try #require(
            try cli.json(["job", "create", "--project", projectKey, "--user", "u2", "--start-at", "42"]).first)
        #expect(explicit["startAt"]?.int == 42)

        // One active job per user.
        let again = try cli.run(["job", "create", "--project", projectKey, "--user", "shekar@example.com"])
        #expect(!again.succeeded)
        #expect(again.errorOutput.contains("already"))

        let shown = try #require(try cli.json(["job", "show", String(job["jobId"]!.int!)]).first)
        #expect(shown == job)
    }

    @Test func importListAndCancel() throws {
        let (cli, _, projectKey) = try CLI.seeded()
        let lines = [
            #"{"referenceId":"a","status":"completed","createdAt":1000,"updatedAt":2000}"#,
            #"{"referenceId":"b","status":"failed","errors":"disk on fire"}"#,
            "",
            #"{"jobId":77,"projectId":9,"referenceId":"c","status":"scheduled","startAt":5}"#,
            #"{"referenceId":"d","status":"running"}"#,
        ]
        let imported = try cli.json(["job", "import", "--project", projectKey], input: lines.joined(separator: "\n"))
        #expect(imported.map { $0["referenceId"]?.string } == ["a", "b", "c", "d"])
        #expect(imported[0]["updatedAt"]?.int == 2000)
        #expect(imported[1]["errors"]?.string == "disk on fire")
        #expect(imported[2]["jobId"]?.int != 77)
        #expect(imported[2]["startAt"]?.int == 5)
        let ids = imported.compactMap { $0["jobId"]?.int }
        #expect(ids == ids.sorted())

        let all = try cli.json(["job", "list", "--project", projectKey])
        #expect(all.map { $0["jobId"]?.int } == ids)
        let failed = try cli.json(["job", "list", "--project", projectKey, "--status", "failed"])
        #expect(failed.map { $0["referenceId"]?.string } == ["b"])

        let cancelled = try #require(try cli.json(["job", "cancel", "--project", projectKey, String(ids[3])]).first)
        #expect(cancelled["status"]?.string == "cancelled")
        let refused = try cli.run(["job", "cancel", "--project", projectKey, String(ids[0])])
        #expect(!refused.succeeded)
        #expect(refused.errorOutput.contains("completed"))
    }

    @Test func importChecksEveryLineBeforeStoringAny() throws {
        let (cli, _, projectKey) = try CLI.seeded()
        let input = #"{"referenceId":"a","status":"completed"}"# + "\n" + #"{"referenceId":"b","status":"bogus"}"#
        let result = try cli.run(["job", "import", "--project", projectKey], input: input)
        #expect(!result.succeeded)
        #expect(result.errorOutput.contains("line 2"))
        #expect(try cli.json(["job", "list", "--project", projectKey]).isEmpty)
    }

    @Test func importFromAFile() throws {
        let (cli, _, projectKey) = try CLI.seeded()
        let file = cli.directory.appending("jobs.jsonl")
        try Data(#"{"referenceId":"from-file","status":"cancelled"}"#.utf8).write(to: URL(fileURLWithPath: file))
        let imported = try cli.json(["job", "import", "--project", projectKey, file])
        #expect(imported.first?["status"]?.string == "cancelled")
    }

    @Test func purgeDeletesFinishedJobsBeforeTheTimeInBatches() throws {
        let (cli, _, projectKey) = try CLI.seeded()
        var lines: [String] = []
        for index in 0..<7 {
            lines.append(#"{"referenceId":"old-\#(index)","status":"completed","createdAt":1000,"updatedAt":2000}"#)
            lines.append(#"{"referenceId":"new-\#(index)","status":"failed","createdAt":1000,"updatedAt":9000}"#)
        }
        lines.append(#"{"referenceId":"active","status":"scheduled","createdAt":1000}"#)
        let imported = try cli.json(["job", "import", "--project", projectKey], input: lines.joined(separator: "\n"))
        #expect(imported.count == 15)

        let purged = try cli.json(["job", "purge", "--finished-before", "5000", "--batch-size", "3"])
        #expect(purged == [try JSONValue(parsing: #"{"deleted":7}"#)])
        let left = try cli.json(["job", "list", "--project", projectKey])
        #expect(left == imported.filter { $0["referenceId"]?.string?.hasPrefix("old-") == false })
        #expect(try cli.json(["job", "purge", "--finished-before", "5000"]) == [try JSONValue(parsing: #"{"deleted":0}"#)])

        for size in ["0", "100001", "x"] {
            let refused = try cli.run(["job", "purge", "--finished-before", "5000", "--batch-size", size])
            #expect(!refused.succeeded)
            #expect(refused.errorOutput.contains("batch-size"))
        }
        #expect(!(try cli.run(["job", "purge"])).succeeded)
    }

    /// Several processes cancelling one job at once: the store's conditional update lets exactly one through.
    @Test func concurrentCancelsFromSeveralProcesses() throws {
        let (cli, _, projectKey) = try CLI.seeded()
        let job = try #require(try cli.json(["job", "create", "--project", projectKey, "--user", "racer"]).first)
        let id = String(try #require(job["jobId"]?.int))
        let statuses = concurrently(threads: 12) { startLine in
            startLine.arriveAndWait()
            return (try? cli.run(["job", "cancel", "--project", projectKey, id]))?.status ?? -1
        }
        #expect(statuses.count == 12)
        #expect(statuses.filter { $0 == 0 }.count == 1)
        #expect(statuses.filter { $0 != 0 && $0 != -1 }.count == 11)
    }
}
