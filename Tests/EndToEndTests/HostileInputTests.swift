import JobsTesting
import Testing

/// Input no client should send: each gets a 4xx (JSON, whether the app or nginx answers) or, where the contract
/// says so, its documented answer, and every FastCGI process is still alive afterwards.
@Suite(.serialized, .sharedStack)
struct HostileInputTests {
    let fixture: StackFixture

    init() throws {
        fixture = try StackFixture.require()
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var method: String
        /// Appended to `/public/<project key>`; sent as it is.
        var route: String
        var status: Int
        var testDescription: String { "\(method) \(route.prefix(60)) → \(status)" }
    }

    @Test(arguments: [
        // jobId is ASCII digits that fit Int64, or 400.
        Case(method: "GET", route: "/jobs/-1", status: 400),
        Case(method: "GET", route: "/jobs/+1", status: 400),
        Case(method: "GET", route: "/jobs/1e3", status: 400),
        Case(method: "GET", route: "/jobs/0x10", status: 400),
        Case(method: "GET", route: "/jobs/1.5", status: 400),
        Case(method: "GET", route: "/jobs/abc", status: 400),
        Case(method: "GET", route: "/jobs/", status: 400),
        Case(method: "GET", route: "/jobs/%201", status: 400),
        Case(method: "GET", route: "/jobs/%D9%A1", status: 400),  // ARABIC-INDIC DIGIT ONE
        Case(method: "GET", route: "/jobs/9223372036854775808", status: 400),
        Case(method: "GET", route: "/jobs/" + String(repeating: "9", count: 5000), status: 400),
        Case(method: "DELETE", route: "/jobs/-1", status: 400),
        Case(method: "DELETE", route: "/jobs/+1", status: 400),
        Case(method: "DELETE", route: "/jobs/1e3", status: 400),
        Case(method: "DELETE", route: "/jobs/0x10", status: 400),
        Case(method: "DELETE", route: "/jobs/" + String(repeating: "1", count: 5000), status: 400),
        Case(method: "GET", route: "/jobs/9223372036854775807", status: 404),
        Case(method: "GET", route: "/jobs/0", status: 404),
        // userId: percent-decoded UTF-8 without NUL, 1–256 characters.
        Case(method: "DELETE", route: "/users/%ff", status: 400),
        Case(method: "DELETE", route: "/users/a%ffb", status: 400),
        Case(method: "DELETE", route: "/users/%C3", status: 400),
        Case(method: "DELETE", route: "/users/%zz", status: 400),
        Case(method: "DELETE", route: "/users/%", status: 400),
        Case(method: "DELETE", route: "/users/", status: 400),
        Case(method: "DELETE", route: "/users/" + String(repeating: "u", count: 257), status: 400),
        // nginx refuses a NUL in the path before the app sees it (its own 400, made JSON by the site).
        Case(method: "DELETE", route: "/users/a%00b", status: 400),
        Case(method: "GET", route: "/jobs/1%00", status: 400),
        // A path climbing out of /public/ is refused by nginx.
        Case(method: "GET", route: "/../../../etc/passwd", status: 400),
    ])
    func hostileRequestIsRefused(_ test: Case) throws {
        let response = try fixture.client.request(test.method, fixture.base + test.route, key: fixture.key)
        try expectError(response, test.status)
        expectAppAlive(fixture.stack)
    }

    @Test(arguments: [
        "page=9223372036854775807",
        "page=9223372036854775807&limit=200",
        "page=99999999999999999999999",
        "limit=99999999999999999999",
        "limit=-9223372036854775808&page=-9223372036854775808",
        "limit=%00&page=%ff",
        "limit=1e3&page=0x10",
        "page=" + String(repeating: "9", count: 5000),
    ])
    func hostileListParametersGetTheDocumentedAnswer(query: String) throws {
        // An integer page past the end is an empty page; anything not an integer takes its default. Never an error.
        let response = try fixture.client.get("\(fixture.base)/jobs?\(query)", key: fixture.key)
        let data = try expectData(response)
        #expect(data.array != nil)
        if query.hasPrefix("page=9223372036854775807") {
            #expect(data.array == [])
        }
        expectAppAlive(fixture.stack)
    }

    @Test func aRawCarriageReturnInThePathIsRefusedByNginx() throws {
        let request = "GET \(fixture.base)/jobs\r/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        try expectError(try fixture.client.send(request), 400)
        expectAppAlive(fixture.stack)
    }

    @Test func aHeaderOf64KBIsRefusedByNginx() throws {
        let big = String(repeating: "a", count: 64 * 1024)
        let request = "GET \(fixture.base)/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
            + "\(fixture.key)\r\nX-Big: \(big)\r\nConnection: close\r\n\r\n"
        let response = try fixture.client.send(request)
        #expect((400..<500).contains(response.status), "\(response)")
        try expectErrorBody(response)
        expectAppAlive(fixture.stack)
    }

    @Test func anAuthorizationHeaderOf64KBIsRefused() throws {
        let response = try fixture.client.get("\(fixture.base)/jobs", key: String(repeating: "k", count: 64 * 1024))
        #expect((400..<500).contains(response.status), "\(response)")
        try expectErrorBody(response)
        expectAppAlive(fixture.stack)
    }

    @Test(arguments: [true, false])
    func twoAuthorizationHeadersAreRefusedByNginx(validFirst: Bool) throws {
        // nginx refuses a duplicate Authorization header (its own 400, made JSON by the site): neither header is
        // ever taken for the other.
        let valid = ("Authorization", "Bearer \(fixture.key)")
        let invalid = ("Authorization", "Bearer jobs_unknownKey0000000000000000000000000000000")
        let response = try fixture.client.request(
            "DELETE", "\(fixture.base)/users/two-headers", headers: validFirst ? [valid, invalid] : [invalid, valid])
        try expectError(response, 400)
        let sameTwice = try fixture.client.request("GET", "\(fixture.base)/jobs", headers: [valid, valid])
        try expectError(sameTwice, 400)
        expectAppAlive(fixture.stack)
    }

    @Test func aRequestAfterAllOfThisIsServedNormally() throws {
        _ = try expectData(try fixture.client.get("\(fixture.base)/jobs", key: fixture.key))
        expectAppAlive(fixture.stack)
    }
}
