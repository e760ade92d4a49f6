import JobsTesting
import Testing

/// `jobsctl org set-limit` (issue 17 item 6): the limit is shown, enforced on `jobsctl job create`, removed with
/// `--none`; bad arguments are refused before the store is touched.
@Suite("jobsctl org set-limit")
struct OrgLimitCommandTests {
    @Test func setShowEnforceAndRemove() throws {
        let (cli, org, projectKey) = try CLI.seeded()
        let set = try #require(try cli.json(["org", "set-limit", String(org), "--active-jobs", "1"]).first)
        #expect(set["activeJobLimit"]?.int == 1)
        #expect(try cli.json(["org", "show", String(org)]).first?["activeJobLimit"]?.int == 1)

        _ = try cli.json(["job", "create", "--project", projectKey, "--user", "first"])
        let refused = try cli.run(["job", "create", "--project", projectKey, "--user", "second"])
        #expect(refused.status != 0)
        #expect(refused.errorOutput.contains("1 scheduled or running jobs, its limit"), "\(refused.errorOutput)")

        let removed = try #require(try cli.json(["org", "set-limit", String(org), "--none"]).first)
        #expect(removed["activeJobLimit"] == nil, "absent when there is none: \(removed)")
        _ = try cli.json(["job", "create", "--project", projectKey, "--user", "second"])
    }

    @Test(arguments: [
        ["--active-jobs", "-1"], ["--active-jobs", "1000001"], ["--active-jobs", "5", "--none"], [],
        ["--active-jobs", "many"],
    ])
    func badArgumentsAreRefused(arguments: [String]) throws {
        let (cli, org, _) = try CLI.seeded()
        let result = try cli.run(["org", "set-limit", String(org)] + arguments)
        #expect(result.status != 0, "\(arguments)")
        #expect(try cli.json(["org", "show", String(org)]).first?["activeJobLimit"] == nil)
    }

    @Test func anUnknownOrganizationIsAnError() throws {
        let (cli, _, _) = try CLI.seeded()
        let result = try cli.run(["org", "set-limit", "999", "--active-jobs", "3"])
        #expect(result.status != 0)
        #expect(result.errorOutput.contains("no organization has id 999"), "\(result.errorOutput)")
    }
}
