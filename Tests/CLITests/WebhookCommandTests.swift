import Foundation
import JobsTesting
import Testing

/// `jobsctl webhook …` through the built binary (SQLite, or PostgreSQL with `JOBS_TEST_STORE=postgres`).
@Suite("jobsctl webhook: set, show, rotate-secret, remove, deliveries, redeliver")
struct WebhookCommandTests {
    @Test func setPrintsTheSecretOnceAndShowNeverDoes() throws {
        let (cli, _, projectKey) = try CLI.seeded()
        let set = try #require(try cli.json(["webhook", "set", "--project", projectKey, "https://example.com/hook"]).first)
        #expect(set["created"] == .bool(true))
        #expect(set["url"]?.string == "https://example.com/hook")
        let secret = try #require(set["secret"]?.string)
        #expect(secret.hasPrefix("whsec_"))
        #expect(Data(base64Encoded: String(secret.dropFirst(6)))?.count == 32)

        let show = try cli.run(["webhook", "show", "--project", projectKey])
        #expect(show.succeeded)
        #expect(!show.output.contains(String(secret.dropFirst(6))))
        #expect(!show.output.contains("secret\":\""))
        let shown = try JSONValue(parsing: show.output)
        #expect(shown["url"]?.string == "https://example.com/hook")
        #expect(shown["allowHttp"] == .bool(false))

        // A new URL keeps the secret and prints none.
        let changed = try #require(try cli.json(["webhook", "set", "--project", projectKey, "https://example.com/other"]).first)
        #expect(changed["created"] == .bool(false))
        #expect(changed["secret"] == nil || changed["secret"] == .null)
        #expect(try cli.json(["webhook", "show", "--project", projectKey]).first?["url"]?.string == "https://example.com/other")

        let rotated = try #require(try cli.json(["webhook", "rotate-secret", "--project", projectKey]).first)
        let newSecret = try #require(rotated["secret"]?.string)
        #expect(newSecret.hasPrefix("whsec_") && newSecret != secret)
        let expiry = try #require(rotated["previousSecretExpiresAt"]?.int)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        #expect(abs(expiry - (now + 86_400_000)) < 60_000)

        let removed = try #require(try cli.json(["webhook", "remove", "--project", projectKey]).first)
        #expect(removed["removed"] == .bool(true))
        let gone = try cli.run(["webhook", "show", "--project", projectKey])
        #expect(!gone.succeeded && gone.errorOutput.contains("has no webhook"))
    }

    @Test(arguments: [
        (["ftp://example.com/x"], "must start with https://"),
        (["http://127.0.0.1:8080/x"], "needs --allow-http"),
        (["https:///x"], "no host"),
        (["https://exa mple.com/"], "whitespace"),
    ])
    func unsafeOrMalformedURLsAreRefused(arguments: [String], reason: String) throws {
        let (cli, _, projectKey) = try CLI.seeded()
        let result = try cli.run(["webhook", "set", "--project", projectKey] + arguments)
        #expect(!result.succeeded)
        #expect(result.errorOutput.contains(reason), "\(result.errorOutput)")
        let show = try cli.run(["webhook", "show", "--project", projectKey])
        #expect(!show.succeeded)
    }

    @Test func httpNeedsTheOperatorsWord() throws {
        let (cli, _, projectKey) = try CLI.seeded()
        let set = try #require(
            try cli.json(["webhook", "set", "--project", projectKey, "--allow-http", "http://127.0.0.1:9/hook"]).first)
        #expect(set["allowHttp"] == .bool(true))
    }

    @Test func aCancelledJobIsListedAsPendingAndCanBeRedelivered() throws {
        let (cli, _, projectKey) = try CLI.seeded()
        _ = try cli.json(["webhook", "set", "--project", projectKey, "https://example.com/hook"])
        let job = try #require(try cli.json(["job", "create", "--project", projectKey, "--user", "u-secret-1"]).first)
        let jobID = try #require(job["jobId"]?.int)
        _ = try cli.json(["job", "cancel", "--project", projectKey, String(jobID)])

        let listed = try cli.run(["webhook", "deliveries", "--project", projectKey])
        #expect(listed.succeeded)
        #expect(!listed.output.contains("u-secret-1"), "a listing never shows the user id")
        #expect(listed.errorOutput.contains("1 pending, 0 failed"))
        let event = try JSONValue(parsing: listed.output)
        #expect(event["type"]?.string == "job.cancelled")
        #expect(event["jobId"]?.int == jobID)
        #expect(event["state"]?.string == "pending")
        #expect(event["attempts"]?.int == 0)
        let eventID = try #require(event["eventId"]?.string)
        #expect(try cli.json(["webhook", "deliveries", "--project", projectKey, "--failed"]).isEmpty)

        let again = try #require(try cli.json(["webhook", "redeliver", eventID]).first)
        #expect(again["eventId"]?.string == eventID && again["state"]?.string == "pending")
        let missing = try cli.run(["webhook", "redeliver", "msg_nothing"])
        #expect(!missing.succeeded && missing.errorOutput.contains("no webhook event"))

        // Removing the webhook gives up its pending events.
        _ = try cli.json(["webhook", "remove", "--project", projectKey])
        let failed = try cli.json(["webhook", "deliveries", "--project", projectKey, "--failed"])
        #expect(failed.map { $0["eventId"]?.string } == [eventID])
        #expect(failed.first?["lastError"]?.string == "webhook removed")
    }
}
