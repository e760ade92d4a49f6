import JobsTesting
import Testing

/// Routes, methods, and the JSON of every error, whether the app or nginx answers it.
@Suite(.serialized, .sharedStack)
struct EndToEndRoutingTests {
    let fixture: StackFixture

    init() throws {
        fixture = try StackFixture.require()
    }

    struct MethodCase: Sendable, CustomTestStringConvertible {
        var method: String
        var route: String
        var allowed: String
        var testDescription: String { "\(method) \(route)" }
    }

    @Test(arguments: [
        MethodCase(method: "DELETE", route: "/jobs", allowed: "GET, HEAD"),
        MethodCase(method: "POST", route: "/jobs", allowed: "GET, HEAD"),
        MethodCase(method: "PUT", route: "/jobs/1", allowed: "GET, HEAD, DELETE"),
        MethodCase(method: "PATCH", route: "/jobs/1", allowed: "GET, HEAD, DELETE"),
        MethodCase(method: "GET", route: "/users/someone", allowed: "DELETE"),
        MethodCase(method: "POST", route: "/users/someone", allowed: "DELETE"),
    ])
    func anotherMethodOnAKnownRouteIs405WithAllow(_ test: MethodCase) throws {
        let response = try fixture.client.request(test.method, fixture.base + test.route, key: fixture.key)
        try expectError(response, 405)
        let allowed = try #require(response.header("Allow"))
        #expect(Set(allowed.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            == Set(test.allowed.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }))
    }

    @Test(arguments: ["/nothing", "/jobs/1/extra", "/users", "/users/a/b", "/JOBS"])
    func anUnknownRouteUnderAProjectIs404(route: String) throws {
        try expectError(try fixture.client.get(fixture.base + route, key: fixture.key), 404)
    }

    @Test(arguments: ["/", "/public", "/index.html", "/_errors/502", "/public_html/x"])
    func pathsOutsideTheAPIAreAJSON404FromNginx(path: String) throws {
        try expectError(try fixture.client.get(path, key: fixture.key), 404)
        expectAppAlive(fixture.stack)
    }

    @Test func headAnswersLikeGetWithoutABody() throws {
        let response = try fixture.client.request("HEAD", "\(fixture.base)/jobs", key: fixture.key)
        #expect(response.status == 200)
        #expect(response.mediaType == "application/json")
        #expect(response.body.isEmpty)
    }

    @Test func aRequestBodyOverTheLimitIsAJSON413FromNginx() throws {
        let body = String(repeating: "x", count: 4096)
        let request = "DELETE \(fixture.base)/users/body HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
            + "\(fixture.key)\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        try expectError(try fixture.client.send(request), 413)
    }

    @Test func aTraceRequestIsAJSON405FromNginx() throws {
        try expectError(try fixture.client.request("TRACE", "\(fixture.base)/jobs", key: fixture.key), 405)
    }

    @Test func aProxyHeaderIsHarmless() throws {
        // httpoxy: the site sets HTTP_PROXY to "" in place of the client's Proxy header.
        let response = try fixture.client.request(
            "GET", "\(fixture.base)/jobs", key: fixture.key, headers: [("Proxy", "http://127.0.0.1:1")])
        _ = try expectData(response)
    }

    @Test func theAppLogsOneLinePerRequest() throws {
        // Job ids that do not exist: the log shows job ids that are numbers.
        let marker = String(UInt64.random(in: 1_000_000_000_000...4_999_999_999_999))
        _ = try fixture.client.get("\(fixture.base)/jobs/\(marker)", key: fixture.key)
        // The line may be written just after the answer went out: wait for it, and for a later request's line, by
        // which time the first request's logging is over, before counting its lines.
        let later = String(UInt64.random(in: 5_000_000_000_000...9_999_999_999_999))
        _ = try fixture.client.get("\(fixture.base)/jobs/\(later)", key: fixture.key)
        let logged = { (marker: String) in fixture.stack.appLog.split(separator: "\n").filter { $0.contains(marker) } }
        #expect(eventually { !logged(marker).isEmpty && !logged(later).isEmpty }, "\(fixture.stack.appLog)")
        #expect(logged(marker).count == 1, "\(fixture.stack.appLog)")
        #expect(!fixture.stack.appLog.contains(fixture.key), "the log must not show API keys")
    }
}
