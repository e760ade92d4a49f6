import Foundation
import JobsTesting
import Testing

/// The hardening table of bad input, beyond what ``HostileInputTests`` already sends: encoded path traversal,
/// encoded separators, NUL, CR/LF, invalid UTF-8, 10 KB ids, integers at and past the Int64 bounds, signs, spaces,
/// leading zeros and non-ASCII digits, repeated query parameters, request bodies, and 1000 requests on one kept-alive
/// connection. Each gets its documented answer (a 4xx JSON error, or the contract's 200), never a 5xx, and every
/// FastCGI process is alive afterwards.
@Suite(.serialized, .sharedStack)
struct BadInputTableTests {
    let fixture: StackFixture

    init() throws {
        fixture = try StackFixture.require()
    }

    /// A request and its documented answer. In `path`, `$P` stands for the fixture's project key; the path is
    /// sent as written (percent-encodings included) after `/public/`.
    struct Case: Sendable, CustomTestStringConvertible {
        var method: String
        var path: String
        var status: Int
        /// The exact error message, where the contract fixes it.
        var message: String? = nil
        var testDescription: String { "\(method) /public/\(path.prefix(60)) → \(status)" }
    }

    static let tenKB = 10 * 1024

    @Test(arguments: [
        // Encoded path traversal: never leaves the route, never reaches another project.
        Case(method: "GET", path: "$P/jobs/..%2f..%2fetc%2fpasswd", status: 400),
        Case(method: "GET", path: "$P/jobs/..%2F1", status: 400),
        Case(method: "GET", path: "$P/jobs/%2e%2e", status: 400),
        Case(method: "GET", path: "$P/jobs/%252e%252e", status: 400),
        Case(method: "DELETE", path: "$P/jobs/%2e%2e%2f1", status: 400),
        Case(method: "GET", path: "$P/..%2fjobs", status: 404),
        Case(method: "GET", path: "..%2f$P/jobs", status: 404),
        Case(method: "GET", path: "%2e%2e/$P/jobs", status: 404),
        Case(method: "GET", path: "$P/%2e%2e/jobs", status: 404),
        Case(method: "GET", path: "$P/jobs/%2e%2e/1", status: 404),
        Case(method: "GET", path: "%252e%252e/$P/jobs", status: 404),
        // %2F in a project key or a job id: one segment, not a separator.
        Case(method: "GET", path: "$P%2Fjobs", status: 404),
        Case(method: "GET", path: "$P%2F/jobs", status: 404, message: "Project not found"),
        Case(method: "GET", path: "abc%2Fdef/jobs", status: 404, message: "Project not found"),
        Case(method: "DELETE", path: "$P%2fusers/someone", status: 404),
        Case(method: "GET", path: "$P/jobs/1%2F", status: 400),
        // NUL (refused by nginx), CR/LF.
        Case(method: "GET", path: "$P%00/jobs", status: 400),
        Case(method: "GET", path: "$P/jobs?limit=1%00", status: 200),
        Case(method: "GET", path: "$P/jobs/%0d%0a", status: 400),
        Case(method: "GET", path: "$P/jobs/1%0d%0a", status: 400),
        Case(method: "DELETE", path: "$P/jobs/1%0a", status: 400),
        Case(method: "GET", path: "$P%0d%0a/jobs", status: 404, message: "Project not found"),
        // Invalid UTF-8: lone byte, overlong "/", an encoded surrogate.
        Case(method: "GET", path: "$P/jobs/%ff", status: 400),
        Case(method: "GET", path: "$P/jobs/%c0%af", status: 400),
        Case(method: "GET", path: "$P/jobs/%ed%a0%80", status: 400),
        Case(method: "GET", path: "%ff/jobs", status: 404, message: "Project not found"),
        Case(method: "GET", path: "%c0%af/jobs", status: 404, message: "Project not found"),
        Case(method: "GET", path: "%ed%a0%80/jobs", status: 404, message: "Project not found"),
        Case(method: "DELETE", path: "$P/users/%c0%af", status: 400),
        Case(method: "DELETE", path: "$P/users/%ed%a0%80", status: 400),
        Case(method: "DELETE", path: "$P/users/ok%ed%a0%80ok", status: 400),
        Case(method: "DELETE", path: "$P/users/%00", status: 400),
        // Ids of 10 KB: a request line that long is nginx's 414, in the JSON shape.
        Case(method: "GET", path: "$P/jobs/" + String(repeating: "7", count: tenKB), status: 414),
        Case(method: "DELETE", path: "$P/jobs/" + String(repeating: "7", count: tenKB), status: 414),
        Case(method: "DELETE", path: "$P/users/" + String(repeating: "u", count: tenKB), status: 414),
        Case(method: "GET", path: String(repeating: "p", count: tenKB) + "/jobs", status: 414),
        // Integers at and past the Int64 bounds, signs, spaces, non-ASCII digits.
        Case(method: "GET", path: "$P/jobs/-9223372036854775808", status: 400),
        Case(method: "DELETE", path: "$P/jobs/-9223372036854775808", status: 400),
        Case(method: "DELETE", path: "$P/jobs/9223372036854775808", status: 400),
        Case(method: "DELETE", path: "$P/jobs/9223372036854775807", status: 404, message: "Job not found"),
        Case(method: "GET", path: "$P/jobs/18446744073709551616", status: 400),
        Case(method: "GET", path: "$P/jobs/%2B1", status: 400),
        Case(method: "DELETE", path: "$P/jobs/%201", status: 400),
        Case(method: "GET", path: "$P/jobs/1%20", status: 400),
        Case(method: "GET", path: "$P/jobs/%091", status: 400),
        Case(method: "DELETE", path: "$P/jobs/%D9%A1", status: 400),
        Case(method: "GET", path: "$P/jobs/%EF%BC%91", status: 400),  // FULLWIDTH DIGIT ONE
        Case(method: "GET", path: "$P/jobs/-0", status: 400),
    ])
    func badPathGetsItsDocumentedAnswer(_ test: Case) throws {
        let path = "/public/" + test.path.replacingOccurrences(of: "$P", with: fixture.tenant.project.key)
        let response = try fixture.client.request(test.method, path, key: fixture.key)
        #expect(response.status < 500, "\(response)")
        if test.status == 200 {
            _ = try expectData(response)
        } else {
            let message = try expectError(response, test.status)
            if let expected = test.message { #expect(message == expected) }
        }
        expectAppAlive(fixture.stack)
    }

    /// A user id is any percent-decoded UTF-8 text without NUL: these are stored exactly as decoded, never taken as
    /// a path, and a CR/LF in it never becomes a response header.
    @Test(arguments: [
        ("..%2f..%2fetc%2fpasswd", "../../etc/passwd"),
        ("%2e%2e", ".."),
        ("%252e%252e%252f", "%2e%2e%2f"),
        ("a%2Fb", "a/b"),
        ("a%0d%0aX-Injected:%201", "a\r\nX-Injected: 1"),
        ("%e2%80%ae%f0%9f%98%80", "\u{202E}😀"),
    ])
    func oddUserIDIsStoredAsDecoded(encoded: String, decoded: String) throws {
        let project = try fixture.newProject("user ids \(encoded.prefix(10))")
        let response = try fixture.client.delete("/public/\(project.key)/users/\(encoded)", key: fixture.key)
        #expect(response.header("X-Injected") == nil, "\(response)")
        let job = try expectData(response)
        expectJobShape(job)
        #expect(job["referenceId"]?.string == decoded)
        #expect(job["description"]?.string == "Delete user sessions of userId = \(decoded)")
        let id = try #require(job["jobId"]?.int)
        let shown = try expectData(try fixture.client.get("/public/\(project.key)/jobs/\(id)", key: fixture.key))
        #expect(shown["referenceId"]?.string == decoded)
        // The same id again, while the first job is scheduled: 409, and still only one job.
        try expectError(try fixture.client.delete("/public/\(project.key)/users/\(encoded)", key: fixture.key), 409)
        let listed = try expectData(try fixture.client.get("/public/\(project.key)/jobs", key: fixture.key))
        #expect(listed.array?.count == 1)
        expectAppAlive(fixture.stack)
    }

    @Test func leadingZerosAreStillTheSameInteger() throws {
        let project = try fixture.newProject("leading zeros")
        let id = try #require(try fixture.stack.createJob(project: project.key, user: "zeros")["jobId"]?.int)
        for text in ["0\(id)", String(repeating: "0", count: 30) + "\(id)"] {
            let job = try expectData(try fixture.client.get("/public/\(project.key)/jobs/\(text)", key: fixture.key))
            #expect(job["jobId"]?.int == id, "\(text)")
        }
        expectAppAlive(fixture.stack)
    }

    /// `limit` and `page` never fail: an integer in range counts, anything else takes its default (50, 1); the
    /// first occurrence of a repeated parameter counts. The project holds three jobs; `expected` are the indexes
    /// (0, 1, 2) of the jobs listed.
    @Test(arguments: [
        ("limit=9223372036854775807", [0, 1, 2]),
        ("limit=9223372036854775808", [0, 1, 2]),
        ("limit=-9223372036854775808", [0, 1, 2]),
        ("limit=%2B1", [0, 1, 2]),
        ("limit=+1", [0, 1, 2]),
        ("limit=%201", [0, 1, 2]),
        ("limit=1%20", [0, 1, 2]),
        ("limit=%D9%A1", [0, 1, 2]),
        ("limit=%0d%0a1", [0, 1, 2]),
        ("limit=%ff", [0, 1, 2]),
        ("limit=01", [0]),
        ("limit=1&page=9223372036854775807", []),
        ("limit=1&page=9223372036854775808", [0]),
        ("limit=1&page=-9223372036854775808", [0]),
        ("limit=1&page=%2B2", [0]),
        ("limit=1&page=%202", [0]),
        ("limit=1&page=%D9%A2", [0]),
        ("limit=1&page=02", [1]),
        ("limit=1&page=0", [0]),
        ("limit=1&limit=2", [0]),
        ("limit=abc&limit=1", [0, 1, 2]),
        ("limit=1&page=3&limit=50", [2]),
        ("limit=1&page=2&page=1", [1]),
        ("page=1&limit=2&page=2&limit=1", [0, 1]),
    ])
    func oddListParametersGetTheDocumentedPage(query: String, expected: [Int]) throws {
        let (projectKey, ids) = try listProject()
        let response = try fixture.client.get("/public/\(projectKey)/jobs?\(query)", key: fixture.key)
        let listed = try #require(try expectData(response).array, "\(response)")
        #expect(listed.map { $0["jobId"]?.int } == expected.map { ids[$0] }, "\(query)")
        expectAppAlive(fixture.stack)
    }

    /// The list project: three jobs, made once per stack.
    func listProject() throws -> (String, [Int64]) {
        try ListProjects.shared.project(for: fixture) {
            let project = try fixture.newProject("list")
            let ids = try (1...3).map {
                try #require(try fixture.stack.createJob(project: project.key, user: "user-\($0)")["jobId"]?.int)
            }
            return (project.key, ids)
        }
    }

    // MARK: Request bodies

    @Test func aBodyOnAGetIsIgnored() throws {
        let (projectKey, ids) = try listProject()
        let body = Array(#"{"limit":1,"page":2}"#.utf8)
        let connection = try HTTPConnection(fixture.client)
        let listed = try expectData(
            try connection.request("GET", "/public/\(projectKey)/jobs", key: fixture.key, body: body))
        #expect(listed.array?.map { $0["jobId"]?.int } == ids.map { $0 })
        let job = try expectData(
            try connection.request("GET", "/public/\(projectKey)/jobs/\(ids[0])", key: fixture.key, body: body))
        #expect(job["jobId"]?.int == ids[0])
        expectAppAlive(fixture.stack)
    }

    @Test func aBodyOnADeleteIsIgnored() throws {
        let project = try fixture.newProject("delete bodies")
        let id = try #require(try fixture.stack.createJob(project: project.key, user: "body")["jobId"]?.int)
        let connection = try HTTPConnection(fixture.client)
        let body = Array(#"{"status":"completed","referenceId":"someone-else"}"#.utf8)
        let cancelled = try expectData(
            try connection.request("DELETE", "/public/\(project.key)/jobs/\(id)", key: fixture.key, body: body))
        #expect(cancelled["status"]?.string == "cancelled")
        let created = try expectData(
            try connection.request("DELETE", "/public/\(project.key)/users/body-user", key: fixture.key, body: body))
        #expect(created["referenceId"]?.string == "body-user")
        #expect(created["status"]?.string == "scheduled")
        expectAppAlive(fixture.stack)
    }

    @Test func aChunkedBodyOnADeleteIsIgnored() throws {
        let project = try fixture.newProject("chunked bodies")
        let request = "DELETE /public/\(project.key)/users/chunked HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + "Authorization: Bearer \(fixture.key)\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            + "5\r\nhello\r\n0\r\n\r\n"
        let job = try expectData(try fixture.client.send(request))
        #expect(job["referenceId"]?.string == "chunked")
        expectAppAlive(fixture.stack)
    }

    @Test(arguments: ["GET", "DELETE"])
    func aBodyPastOneKilobyteIsRefusedByNginx(method: String) throws {
        let connection = try HTTPConnection(fixture.client)
        let body = [UInt8](repeating: UInt8(ascii: "a"), count: 4096)
        let response = try connection.request(method, "\(fixture.base)/users/too-big", key: fixture.key, body: body)
        try expectError(response, 413)
        expectAppAlive(fixture.stack)
    }

    // MARK: Keep-alive

    @Test func aThousandRequestsOnOneKeptAliveConnection() throws {
        let (projectKey, ids) = try listProject()
        let connection = try HTTPConnection(fixture.client)
        let base = "/public/\(projectKey)"
        var statuses: [Int: Int] = [:]
        for index in 0..<1000 {
            let (path, expected): (String, Int)
            switch index % 5 {
            case 0: (path, expected) = ("\(base)/jobs?limit=2", 200)
            case 1: (path, expected) = ("\(base)/jobs/\(ids[index % 3])", 200)
            case 2: (path, expected) = ("\(base)/jobs/abc", 400)
            case 3: (path, expected) = ("\(base)/jobs/9223372036854775807", 404)
            default: (path, expected) = ("\(base)/no-such-route", 404)
            }
            let response = try connection.request("GET", path, key: fixture.key)
            statuses[response.status, default: 0] += 1
            if response.status != expected || response.mediaType != "application/json" {
                Issue.record("request \(index + 1): expected \(expected), got \(response)")
                break
            }
        }
        #expect(connection.requestCount == 1000)
        #expect(statuses == [200: 400, 400: 200, 404: 400])
        expectAppAlive(fixture.stack)
    }
}

/// The list project of each running stack, made on first use.
final class ListProjects: @unchecked Sendable {
    // Safe to share: `projects` is only touched with `lock` held.
    static let shared = ListProjects()
    private let lock = NSLock()
    private var projects: [String: (String, [Int64])] = [:]

    func project(for fixture: StackFixture, make: () throws -> (String, [Int64])) throws -> (String, [Int64]) {
        try lock.withLock {
            if let made = projects[fixture.stack.directory.path] { return made }
            let made = try make()
            projects[fixture.stack.directory.path] = made
            return made
        }
    }
}
