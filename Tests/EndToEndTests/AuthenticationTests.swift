import JobsTesting
import Testing

/// Authentication and the organization boundary, through nginx.
@Suite(.serialized, .sharedStack)
struct EndToEndAuthenticationTests {
    let fixture: StackFixture

    init() throws {
        fixture = try StackFixture.require()
    }

    var listPath: String { "\(fixture.base)/jobs" }

    /// A 401 with `WWW-Authenticate: Bearer …` and a JSON body; returns the challenge.
    @discardableResult
    func expectUnauthorized(
        _ response: HTTPResponse, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> String {
        try expectError(response, 401, sourceLocation: sourceLocation)
        let challenge = try #require(response.header("WWW-Authenticate"), sourceLocation: sourceLocation)
        #expect(challenge.hasPrefix("Bearer"), sourceLocation: sourceLocation)
        return challenge
    }

    @Test func aRequestWithoutAuthorizationIsRefused() throws {
        let challenge = try expectUnauthorized(try fixture.client.get(listPath))
        #expect(!challenge.contains("invalid_token"))
    }

    @Test(arguments: ["Bearer", "Bearer ", "Bearer    "])
    func anEmptyBearerTokenIsRefused(header: String) throws {
        try expectUnauthorized(try fixture.client.request("GET", listPath, headers: [("Authorization", header)]))
    }

    @Test(arguments: ["bearer", "BEARER", "BeArEr"])
    func theSchemeNameIsCaseInsensitive(scheme: String) throws {
        let response = try fixture.client.request(
            "GET", listPath, headers: [("Authorization", "\(scheme) \(fixture.key)")])
        _ = try expectData(response)
    }

    @Test func basicAuthenticationIsRefusedWithABearerChallenge() throws {
        let response = try fixture.client.request(
            "GET", listPath, headers: [("Authorization", "Basic dXNlcjpwYXNzd29yZA==")])
        try expectUnauthorized(response)
    }

    @Test(arguments: ["jobs_unknownKey000000000000000000000000000000", "x", String(repeating: "k", count: 4000)])
    func anUnknownKeyIsAnInvalidToken(key: String) throws {
        let challenge = try expectUnauthorized(try fixture.client.get(listPath, key: key))
        #expect(challenge.contains(#"error="invalid_token""#))
    }

    @Test func aRevokedKeyIsRefusedOnTheVeryNextRequest() throws {
        let key = try fixture.stack.createKey(organization: fixture.tenant.organization.id)
        _ = try expectData(try fixture.client.get(listPath, key: key.secret))
        try fixture.stack.revokeKey(key.id)
        let challenge = try expectUnauthorized(try fixture.client.get(listPath, key: key.secret))
        #expect(challenge.contains(#"error="invalid_token""#))
        // The organization's other key still works.
        _ = try expectData(try fixture.client.get(listPath, key: fixture.key))
    }

    @Test func anotherOrganizationsProjectIsNotFound() throws {
        let otherProject = "/public/\(fixture.otherTenant.project.key)"
        for path in ["\(otherProject)/jobs", "\(otherProject)/jobs/1"] {
            let message = try expectError(try fixture.client.get(path, key: fixture.key), 404)
            #expect(message == "Project not found")
        }
        let message = try expectError(try fixture.client.delete("\(otherProject)/users/spy", key: fixture.key), 404)
        #expect(message == "Project not found")
        // The owner sees it.
        _ = try expectData(try fixture.client.get("\(otherProject)/jobs", key: fixture.otherTenant.key.secret))
    }

    @Test(arguments: ["AAAAAAAAAAAAAAAAAAAA", "short", "3sWXSsqHgSKnE87YkNJK-", "3sWXSsqHgSKnE87YkNJk"])
    func aProjectKeyThatDoesNotExistIsNotFoundToo(projectKey: String) throws {
        let message = try expectError(try fixture.client.get("/public/\(projectKey)/jobs", key: fixture.key), 404)
        #expect(message == "Project not found")
    }

    @Test func authenticationIsCheckedBeforeTheRoute() throws {
        try expectUnauthorized(try fixture.client.get("\(fixture.base)/no-such-route"))
        try expectUnauthorized(try fixture.client.request("POST", listPath))
        try expectUnauthorized(try fixture.client.get("/public/\(fixture.otherTenant.project.key)/jobs"))
    }
}
