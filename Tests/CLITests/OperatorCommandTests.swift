import Foundation
import JobsCore
import JobsTesting
import StoreConnectors
import Testing

/// What an operator meets first (issue 13), run through the built `jobsctl` on a store of its own (SQLite, or
/// PostgreSQL with `JOBS_TEST_STORE=postgres`).
@Suite("jobsctl: imports all or nothing, within bounds")
struct ImportCommandTests {
    static func line(_ user: String, _ status: String = "scheduled", extra: String = "") -> String {
        #"{"referenceId":"\#(user)","status":"\#(status)"\#(extra)}"#
    }

    @Test func aLineThatConflictsWithAnActiveJobStoresNothingAndIsNamed() throws {
        let (cli, _, projectKey) = try CLI.seeded()
        let active = try #require(try cli.json(["job", "create", "--project", projectKey, "--user", "c"]).first)
        let lines = [Self.line("a", "completed"), Self.line("b"), Self.line("c"), Self.line("d")]
        let result = try cli.run(["job", "import", "--project", projectKey], input: lines.joined(separator: "\n"))
        #expect(!result.succeeded)
        #expect(result.output.isEmpty)
        #expect(result.errorOutput.contains("line 3: user \"c\" already has an active delete_user_data job"), "\(result.errorOutput)")
        #expect(result.errorOutput.contains("jobId \(active["jobId"]!.int!)"))
        #expect(result.errorOutput.contains("nothing was imported"))
        #expect(try cli.json(["job", "list", "--project", projectKey]) == [active])

        // Run again without the conflict: each job is stored exactly once.
        let again = try cli.run(
            ["job", "import", "--project", projectKey], input: [lines[0], lines[1], lines[3]].joined(separator: "\n"))
        #expect(again.succeeded, "\(again.errorOutput)")
        #expect(again.errorOutput.contains("3 jobs imported"))
        let users = try cli.json(["job", "list", "--project", projectKey]).compactMap { $0["referenceId"]?.string }
        #expect(users == ["c", "a", "b", "d"])
    }

    @Test func twoActiveJobsForOneUserInOneFileAreRefusedNamingBothLines() throws {
        let (cli, _, projectKey) = try CLI.seeded()
        let lines = [Self.line("a"), Self.line("twin"), "", Self.line("twin", "failed"), Self.line("twin", "running")]
        let result = try cli.run(["job", "import", "--project", projectKey], input: lines.joined(separator: "\n"))
        #expect(!result.succeeded)
        #expect(result.errorOutput.contains("line 5: user \"twin\" has an active delete_user_data job on line 2"), "\(result.errorOutput)")
        #expect(try cli.json(["job", "list", "--project", projectKey]).isEmpty)
    }

    static let big = String(repeating: "é", count: 2048)  // 4096 bytes of UTF-8

    @Test(arguments: [
        (line(String(repeating: "x", count: 257)), "\"referenceId\" must be 1–256 characters"),
        (line(""), "\"referenceId\" must be 1–256 characters"),
        (line(#"a\u0000b"#), "\"referenceId\" must be 1–256 characters"),
        (line("a", extra: #","description":"\#(big)x""#), "\"description\" is longer than 4096 bytes"),
        (line("a", extra: #","description":"a\u0000b""#), "\"description\" must not contain NUL"),
        (line("a", "failed", extra: #","errors":"\#(String(repeating: big, count: 4))x""#), "\"errors\" is longer than 16384 bytes"),
        (line("a", "failed", extra: #","errors":"\u0000""#), "\"errors\" must not contain NUL"),
        (line("a", extra: #","action":"delete user data""#), "\"action\" must be 1–64 letters"),
        (line("a", extra: #","action":"\#(String(repeating: "a", count: 65))""#), "\"action\" must be 1–64 letters"),
    ])
    func aLineOutsideTheBoundsIsRefusedByNumber(bad: String, reason: String) throws {
        let (cli, _, projectKey) = try CLI.seeded()
        let input = [Self.line("first"), bad].joined(separator: "\n")
        let result = try cli.run(["job", "import", "--project", projectKey], input: input)
        #expect(!result.succeeded)
        #expect(result.errorOutput.contains("line 2: \(reason)"), "\(result.errorOutput)")
        #expect(result.errorOutput.contains("nothing was imported"))
        #expect(try cli.json(["job", "list", "--project", projectKey]).isEmpty)
    }

    @Test func valuesAtTheBoundsImport() throws {
        let (cli, _, projectKey) = try CLI.seeded()
        let user = String(repeating: "😀", count: 256)  // 256 scalars, 1024 bytes
        let lines = [
            Self.line(user, "failed", extra: #","description":"\#(Self.big)","errors":"\#(String(repeating: Self.big, count: 4))""#),
            Self.line("b", extra: #","action":"export.user-data_v2""#),
        ]
        let imported = try cli.json(["job", "import", "--project", projectKey], input: lines.joined(separator: "\n"))
        #expect(imported.count == 2)
        #expect(imported[0]["referenceId"]?.string == user)
        #expect(imported[0]["description"]?.string?.utf8.count == 4096)
        #expect(imported[0]["errors"]?.string?.utf8.count == 16_384)
        #expect(imported[1]["action"]?.string == "export.user-data_v2")
    }

    @Test(arguments: ["", "\n", "  \n\t\n"])
    func anEmptyFileSaysZeroJobsImported(input: String) throws {
        let (cli, _, projectKey) = try CLI.seeded()
        let result = try cli.run(["job", "import", "--project", projectKey], input: input)
        #expect(result.succeeded, "\(result.errorOutput)")
        #expect(result.output.isEmpty)
        #expect(result.errorOutput == "0 jobs imported\n")
    }

    @Test func aLineThatIsNotUTF8IsNamed() throws {
        let (cli, _, projectKey) = try CLI.seeded()
        var input = Data((Self.line("a") + "\n").utf8)
        input.append(contentsOf: [0x7B, 0xFF, 0x7D, 0x0A])
        let result = try Command.run(
            try BuiltBinaries.jobsctl(), ["job", "import", "--project", projectKey, "--store", cli.store], input: input)
        #expect(!result.succeeded)
        #expect(result.errorOutput.contains("line 2: not UTF-8"), "\(result.errorOutput)")
    }
}

@Suite("jobsctl job purge: imported jobs, --dry-run, times")
struct PurgeCommandTests {
    /// A stored `Idempotency-Key` answer holds the user id: a purge with a cut-off more recent than the keys'
    /// 24-hour lifetime (`--older-than 1h`, say) removes the answers stored before it too, not only those a day
    /// old. Written as the API writes them, through the store; each key's repeat then runs again.
    @Test func aRecentCutOffRemovesTheIdempotencyAnswersStoredBeforeIt() throws {
        let (cli, orgID, _) = try CLI.seeded()
        let projectID = try #require(
            try cli.json(["project", "list", "--org", String(orgID)]).first?["projectId"]?.int)
        let store = try #require(StoreLocation(dsn: cli.store)).connector().connect()
        let now = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        let hour: Int64 = 3_600_000
        func keyed(_ key: String, at time: Int64) throws -> IdempotentOutcome<CreateOutcome> {
            try store.createJob(
                NewJob.deleteUserData(userID: key, createdAt: time, startAt: time + hour), projectID: projectID,
                idempotency: IdempotentRequest(
                    organizationID: orgID, key: key, method: "DELETE", path: "/u/\(key)", time: time),
                response: { _ in StoredResponse(status: 200, body: Array("user \(key)".utf8)) })
        }
        // Stored two hours ago (within the 24 hours), and a minute ago.
        _ = try keyed("two-hours", at: now - 2 * hour)
        _ = try keyed("a-minute", at: now - 60_000)

        #expect(try cli.json(["job", "purge", "--older-than", "1h"]) == [try JSONValue(parsing: #"{"deleted":0}"#)])
        // The older answer is gone: its repeat runs again (the user's job is still active: a conflict, not a
        // replay); the newer one is still replayed.
        guard case .performed(.conflict) = try keyed("two-hours", at: now) else {
            Issue.record("the answer stored two hours ago outlived a purge with --older-than 1h")
            return
        }
        guard case .replayed(let stored) = try keyed("a-minute", at: now) else {
            Issue.record("the answer stored a minute ago was purged by --older-than 1h")
            return
        }
        #expect(stored.body == Array("user a-minute".utf8))
    }

    @Test func jobsImportedFinishedWithoutUpdatedAtArePurgedByCreatedAt() throws {
        let (cli, _, projectKey) = try CLI.seeded()
        let lines = [
            #"{"referenceId":"old","status":"completed","createdAt":1000}"#,
            #"{"referenceId":"old-failed","status":"failed","createdAt":2000}"#,
            #"{"referenceId":"recent","status":"cancelled","createdAt":9000}"#,
            #"{"referenceId":"active","status":"scheduled","createdAt":1000}"#,
        ]
        let imported = try cli.json(["job", "import", "--project", projectKey], input: lines.joined(separator: "\n"))
        #expect(imported.allSatisfy { $0["updatedAt"]?.isNull == true })

        let dry = try cli.json(["job", "purge", "--finished-before", "5000", "--dry-run"])
        #expect(dry == [try JSONValue(parsing: #"{"wouldDelete":2}"#)])
        #expect(try cli.json(["job", "list", "--project", projectKey]).count == 4)

        #expect(try cli.json(["job", "purge", "--finished-before", "5000"]) == [try JSONValue(parsing: #"{"deleted":2}"#)])
        let left = try cli.json(["job", "list", "--project", projectKey]).compactMap { $0["referenceId"]?.string }
        #expect(left == ["recent", "active"])
        // An ISO 8601 date works as well as milliseconds.
        #expect(
            try cli.json(["job", "purge", "--finished-before", "1970-01-01T00:00:10Z", "--dry-run"])
                == [try JSONValue(parsing: #"{"wouldDelete":1}"#)])
    }

    @Test(arguments: ["4102444800000", "2100-01-01T00:00:00Z", "2100-01-01"])
    func aCutOffInTheFutureIsRefused(time: String) throws {
        let (cli, _, projectKey) = try CLI.seeded()
        _ = try cli.json(["job", "import", "--project", projectKey], input: #"{"referenceId":"a","status":"completed"}"#)
        let result = try cli.run(["job", "purge", "--finished-before", time])
        #expect(!result.succeeded)
        #expect(result.errorOutput.contains("in the future"), "\(result.errorOutput)")
        #expect(try cli.json(["job", "list", "--project", projectKey]).count == 1)
    }

    @Test(arguments: ["-5", "abc", "2026-13-01", "2026-02-30", "2026-01-01T00:00:00", "2026-01-01T25:00:00Z", ""])
    func aTimeThatIsNoTimeGetsARangeError(time: String) throws {
        let (cli, _, _) = try CLI.seeded()
        let result = try cli.run(["job", "purge", "--finished-before", time])
        #expect(!result.succeeded)
        #expect(result.errorOutput.contains("--finished-before \(time): must be a time from 1970-01-01T00:00:00Z"), "\(result.errorOutput)")
        #expect(!result.errorOutput.contains("Missing value"))
    }

    /// The age form the daily purge timer uses: jobs that finished longer ago than the age go, the rest stay.
    @Test func olderThanPurgesByAge() throws {
        let (cli, _, projectKey) = try CLI.seeded()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let day: Int64 = 86_400_000
        let lines = [
            #"{"referenceId":"two-days","status":"completed","createdAt":\#(now - 3 * day),"updatedAt":\#(now - 2 * day)}"#,
            #"{"referenceId":"ten-hours","status":"failed","createdAt":\#(now - day),"updatedAt":\#(now - 10 * 3_600_000)}"#,
            #"{"referenceId":"active","status":"scheduled","createdAt":\#(now - 5 * day)}"#,
        ]
        _ = try cli.json(["job", "import", "--project", projectKey], input: lines.joined(separator: "\n"))
        #expect(try cli.json(["job", "purge", "--older-than", "1d", "--dry-run"]) == [try JSONValue(parsing: #"{"wouldDelete":1}"#)])
        #expect(try cli.json(["job", "purge", "--older-than", "30d"]) == [try JSONValue(parsing: #"{"deleted":0}"#)])
        #expect(try cli.json(["job", "purge", "--older-than", "11h"]) == [try JSONValue(parsing: #"{"deleted":1}"#)])
        #expect(try cli.json(["job", "purge", "--older-than", "9h"]) == [try JSONValue(parsing: #"{"deleted":1}"#)])
        let left = try cli.json(["job", "list", "--project", projectKey]).compactMap { $0["referenceId"]?.string }
        #expect(left == ["active"])
    }

    @Test(arguments: [
        (["--older-than", "0d"], "--older-than 0d: must be a whole number from 1"),
        (["--older-than", "30"], "--older-than 30: must be a whole number from 1"),
        (["--older-than", "-5d"], "--older-than -5d: must be a whole number from 1"),
        (["--older-than", "36501d"], "at most 100 years"),
        (["--older-than", "99999999999999999999s"], "at most 100 years"),
        (["--older-than", "1d", "--finished-before", "1000"], "not both"),
        ([], "give --finished-before TIME or --older-than AGE"),
    ])
    func aBadAgeIsRefused(options: [String], message: String) throws {
        let (cli, _, _) = try CLI.seeded()
        let result = try cli.run(["job", "purge"] + options)
        #expect(!result.succeeded)
        #expect(result.errorOutput.contains(message), "\(options): \(result.errorOutput)")
    }
}

@Suite("jobsctl: listings, key rotation, clear messages, dates")
struct OperatorCommandTests {
    @Test func organizationsAndProjectsAreListedAndDuplicateNamesWarned() throws {
        let (cli, orgID, projectKey) = try CLI.seeded()
        let second = try cli.run(["org", "create", " acme "])
        #expect(second.succeeded)
        #expect(second.errorOutput.contains("warning: organization \(orgID) is named \"Acme\" too"), "\(second.errorOutput)")
        let otherOrg = try #require(try JSONValue(parsing: second.output)["orgId"]?.int)
        let organizations = try cli.json(["org", "list"])
        #expect(organizations.map { $0["orgId"]?.int } == [orgID, otherOrg])

        let duplicate = try cli.run(["project", "create", "--org", String(orgID), "WEB"])
        #expect(duplicate.succeeded)
        #expect(duplicate.errorOutput.contains("warning: project 1 (\(projectKey)) of organization \(orgID) is named \"Web\" too"), "\(duplicate.errorOutput)")
        // Another organization's project of the same name is no duplicate.
        let elsewhere = try cli.run(["project", "create", "--org", String(otherOrg), "Web"])
        #expect(elsewhere.succeeded && elsewhere.errorOutput.isEmpty, "\(elsewhere.errorOutput)")

        let all = try cli.json(["project", "list"])
        #expect(all.count == 3)
        let own = try cli.json(["project", "list", "--org", String(orgID)])
        #expect(own.map { $0["name"]?.string } == ["Web", "WEB"])
        let missing = try cli.run(["project", "list", "--org", "999"])
        #expect(!missing.succeeded && missing.errorOutput.contains("no organization with id 999"))

        let byKey = try cli.json(["project", "show", projectKey])
        let byID = try cli.json(["project", "show", "1"])
        #expect(byKey == byID && byKey.first?["projectKey"]?.string == projectKey)
        for (argument, message) in [("999", "no project with id 999"), ("ZZZZZZZZZZZZZZZZZZZZ", "no project with key"),
                                    ("0", "is neither a project id"), ("short", "is neither a project id")] {
            let result = try cli.run(["project", "show", argument])
            #expect(!result.succeeded)
            #expect(result.errorOutput.contains(message), "\(argument): \(result.errorOutput)")
        }
    }

    @Test func aKeyIsRotatedAtOnceOrAfterAGracePeriodAndARevokedOneIsNot() throws {
        let (cli, orgID, _) = try CLI.seeded()
        let first = try #require(try cli.json(["key", "create", "--org", String(orgID)]).first)
        let firstID = try #require(first["keyId"]?.int)

        let before = Int64(Date().timeIntervalSince1970 * 1000)
        let rotated = try #require(try cli.json(["key", "rotate", String(firstID), "--grace", "1h"]).first)
        #expect(rotated.keys == ["key", "keyId", "orgId", "replacedKeyId", "replacedKeyStopsAt"])
        #expect(rotated["key"]?.string?.hasPrefix("jobs_") == true && rotated["key"] != first["key"])
        #expect(rotated["replacedKeyId"]?.int == firstID)
        let stopsAt = try #require(rotated["replacedKeyStopsAt"]?.int)
        #expect(stopsAt >= before + 3_600_000 && stopsAt < before + 3_660_000)
        var keys = try cli.json(["key", "list", "--org", String(orgID)])
        #expect(keys.map { $0["keyId"]?.int } == [firstID, rotated["keyId"]?.int])
        #expect(keys[0]["expiresAt"]?.int == stopsAt && keys[0]["revokedAt"]?.isNull == true)
        #expect(keys[1]["expiresAt"]?.isNull == true)

        let secondID = try #require(rotated["keyId"]?.int)
        let atOnce = try #require(try cli.json(["key", "rotate", String(secondID)]).first)
        keys = try cli.json(["key", "list", "--org", String(orgID)])
        #expect(keys[1]["revokedAt"]?.int == atOnce["replacedKeyStopsAt"]?.int)

        let again = try cli.run(["key", "rotate", String(secondID)])
        #expect(!again.succeeded)
        #expect(again.errorOutput.contains("key \(secondID) was revoked at"), "\(again.errorOutput)")
        #expect(again.errorOutput.contains("jobsctl key create --org \(orgID)"))
        #expect(try cli.json(["key", "list", "--org", String(orgID)]).count == 3)

        for (arguments, message) in [
            (["key", "rotate", "999"], "no API key with id 999"),
            (["key", "rotate", String(firstID), "--grace", "forever"], "--grace forever: must be a duration"),
            (["key", "rotate", String(firstID), "--grace", "-5m"], "--grace -5m: must be a duration"),
            (["key", "rotate", String(firstID), "--grace", "367d"], "--grace 367d: must be a duration"),
        ] {
            let result = try cli.run(arguments)
            #expect(!result.succeeded)
            #expect(result.errorOutput.contains(message), "\(arguments): \(result.errorOutput)")
        }
    }

    @Test func revokingARevokedKeyIsAnErrorThatChangesNothing() throws {
        let (cli, orgID, _) = try CLI.seeded()
        let key = try #require(try cli.json(["key", "create", "--org", String(orgID)]).first?["keyId"]?.int)
        let revoked = try #require(try cli.json(["key", "revoke", String(key)]).first)
        let again = try cli.run(["key", "revoke", String(key)])
        #expect(!again.succeeded)
        #expect(again.output.isEmpty)
        #expect(again.errorOutput.contains("key \(key) was revoked already, at "), "\(again.errorOutput)")
        #expect(again.errorOutput.contains("nothing changed"))
        #expect(try cli.json(["key", "list", "--org", String(orgID)]) == [revoked])
    }

    @Test(arguments: [
        ("2026-01-01T00:00:00Z", 1_767_225_600_000), ("2026-01-01", 1_767_225_600_000),
        ("2026-01-01T02:00:00+02:00", 1_767_225_600_000), ("2025-12-31T19:30:00.5-04:30", 1_767_225_600_500),
        ("2024-02-29T23:59:59.999Z", 1_709_251_199_999), ("1767225600000", 1_767_225_600_000), ("0", 0),
    ] as [(String, Int64)])
    func startAtTakesISO8601OrMilliseconds(text: String, milliseconds: Int64) throws {
        let (cli, _, projectKey) = try CLI.seeded()
        let job = try #require(
            try cli.json(["job", "create", "--project", projectKey, "--user", "u", "--start-at", text]).first)
        #expect(job["startAt"]?.int == milliseconds)
    }

    @Test(arguments: [
        (["job", "create", "--project", "3sWXSsqHgSKnE87YkNJK", "--user", "u", "--start-at", "-5"], "--start-at -5: must be a time"),
        (["job", "create", "--project", "3sWXSsqHgSKnE87YkNJK", "--user", "u", "--start-at", "10000-01-01"], "--start-at 10000-01-01: must be a time"),
        (["job", "create", "--project", "3sWXSsqHgSKnE87YkNJK", "--user", "u", "--start-at", "253402300800000"], "must be a time"),
        (["key", "create", "--org", "-1"], "--org -1: must be an id, 1 or more"),
        (["key", "list", "--org", "0"], "--org 0: must be an id, 1 or more"),
        (["project", "list", "--org", "-3"], "--org -3: must be an id, 1 or more"),
        (["job", "purge", "--finished-before", "1000", "--batch-size", "-5"], "--batch-size -5: must be 1 to 100000"),
    ])
    func aNegativeOrOutOfRangeValueGetsARangeError(arguments: [String], message: String) throws {
        let (cli, _, _) = try CLI.seeded()
        let result = try cli.run(arguments)
        #expect(!result.succeeded)
        #expect(result.errorOutput.contains(message), "\(arguments): \(result.errorOutput)")
        #expect(!result.errorOutput.contains("Missing value"))
    }

    static let commands: [[String]] = [
        [], ["init"], ["org"], ["org", "create"], ["org", "list"], ["org", "show"], ["key"], ["key", "create"],
        ["key", "list"], ["key", "revoke"], ["key", "rotate"], ["project"], ["project", "create"], ["project", "list"],
        ["project", "show"], ["job"], ["job", "create"], ["job", "import"], ["job", "list"], ["job", "show"],
        ["job", "cancel"], ["job", "purge"], ["worker"], ["action-runner"], ["status"],
    ]

    @Test(arguments: commands)
    func everyCommandsHelpShowsAnExample(command: [String]) throws {
        let result = try Command.run(try BuiltBinaries.jobsctl(), command + ["--help"])
        #expect(result.succeeded)
        let example = try #require(result.output.range(of: "Example:"), "\(command): \(result.output)")
        let after = result.output[example.upperBound...]
        #expect(after.contains("jobsctl " + command.joined(separator: " ")), "\(command): \(result.output)")
    }
}

@Suite("jobsctl worker: option bounds")
struct WorkerOptionTests {
    @Test(arguments: [
        (["--lease-seconds", "1e300"], "--lease-seconds must be 0.1 to 86400 seconds"),
        (["--lease-seconds", "-5"], "--lease-seconds must be 0.1 to 86400 seconds"),
        (["--lease-seconds", "0"], "--lease-seconds must be 0.1 to 86400 seconds"),
        (["--poll-seconds", "nan"], "--poll-seconds must be a number of seconds"),
        (["--poll-seconds", "inf"], "--poll-seconds must be a number of seconds"),
        (["--poll-seconds", "0.01"], "--poll-seconds must be 0.05 to 3600 seconds"),
        (["--grace-seconds", "-1"], "--grace-seconds must be 0 to 3600 seconds"),
        (["--grace-seconds", "1e20"], "--grace-seconds must be 0 to 3600 seconds"),
        (["--concurrency", "65"], "--concurrency must be 1 to 64"),
        (["--concurrency", "-1"], "--concurrency must be 1 to 64"),
        (["--action-timeout", "9223372036854775807"], "--action-timeout must be a duration"),
        (["--action-timeout", "31622401"], "--action-timeout must be 0.001 to 31622400 seconds"),
        (["--action-timeout", "367d"], "--action-timeout must be a duration"),
    ])
    func anOptionOutsideItsBoundsIsRefusedByName(options: [String], message: String) throws {
        let result = try Command.run(
            try BuiltBinaries.jobsctl(),
            ["worker", "--once", "--store", "/nonexistent/jobs.sqlite3", "--action", "delete_user_data=/bin/true"] + options)
        #expect(result.status != 0)
        #expect(result.errorOutput.contains(message), "\(options): \(result.errorOutput)")
    }

    @Test func aVariableOutsideItsBoundsIsRefusedByName() throws {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("JOBS_WORKER_") }
        environment["JOBS_WORKER_LEASE_SECONDS"] = "99999999999"
        let result = try Command.run(
            try BuiltBinaries.jobsctl(),
            ["worker", "--once", "--store", "/nonexistent/jobs.sqlite3", "--action", "delete_user_data=/bin/true"],
            environment: environment)
        #expect(result.status != 0)
        #expect(result.errorOutput.contains("JOBS_WORKER_LEASE_SECONDS=99999999999: must be 0.1 to 86400 seconds"), "\(result.errorOutput)")
    }
}
