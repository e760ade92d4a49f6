import Foundation
import JobsTesting
import Testing

/// Object-level authorization (BOLA) for every endpoint: two organizations, each with a project holding jobs in
/// every state. One organization's key never reaches the other's project or jobs, whichever way it asks: the
/// answer is byte for byte the one for something that does not exist, and nothing changes on the other side.
/// Then: revocation reaches every FastCGI process at once, and no log or store file ever holds a key.
@Suite(.serialized, .sharedStack)
struct AuthorizationGridTests {
    let fixture: StackFixture

    init() throws {
        fixture = try StackFixture.require()
    }

    /// An organization as the grid sees it: its key, its project and the ids of its jobs (one per state).
    struct Side {
        var name: String
        var key: String
        var projectKey: String
        var jobIDs: [Int64]
        /// A user with a `scheduled` job in this project.
        var activeUser: String
    }

    /// Both organizations of the shared stack, their jobs made once per stack.
    func sides() throws -> (Side, Side) {
        try GridSides.shared.sides(for: fixture) {
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            func seed(_ tenant: Stack.Tenant, _ name: String) throws -> Side {
                let project = tenant.project.key
                // One job in each state only the worker would reach, then a scheduled one.
                let fields = [
                    ("completed", #""updatedAt":\#(now - 1000),"startAt":\#(now - 1000)"#),
                    ("failed", #""updatedAt":\#(now - 1000),"startAt":\#(now - 1000),"errors":"unreachable""#),
                    ("cancelled", #""updatedAt":\#(now - 1000)"#),
                    ("running", #""updatedAt":\#(now - 1000),"startAt":\#(now - 1000)"#),
                ]
                let lines = fields.map { status, rest in
                    #"{"referenceId":"\#(name)-\#(status)","status":"\#(status)","createdAt":\#(now - 2000),\#(rest)}"#
                }
                var ids = try fixture.stack.importJobs(project: project, lines: lines).map {
                    try #require($0["jobId"]?.int)
                }
                let active = "\(name)-waiting@example.com"
                ids.append(try #require(try fixture.stack.createJob(project: project, user: active)["jobId"]?.int))
                return Side(name: name, key: tenant.key.secret, projectKey: project, jobIDs: ids, activeUser: active)
            }
            return (try seed(fixture.tenant, "a"), try seed(fixture.otherTenant, "b"))
        }
    }

    /// The project's jobs as its owner sees them: every page, as JSON text.
    func snapshot(_ side: Side) throws -> [String] {
        let jobs = try expectData(try fixture.client.get("/public/\(side.projectKey)/jobs?limit=200", key: side.key))
        return try #require(jobs.array).map(\.description)
    }

    /// Checks that two answers are the same: status, media type and body, byte for byte.
    func expectSameAnswer(
        _ response: HTTPResponse, as reference: HTTPResponse, _ what: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        try expectError(response, 404, sourceLocation: sourceLocation)
        #expect(response.status == reference.status, "\(what): \(response)", sourceLocation: sourceLocation)
        #expect(response.mediaType == reference.mediaType, "\(what)", sourceLocation: sourceLocation)
        #expect(
            response.body == reference.body, "\(what): \(response.text) vs \(reference.text)",
            sourceLocation: sourceLocation)
    }

    static let missingProject = "AAAAAAAAAAAAAAAAAAAA"
    static let missingJob = "9223372036854775807"

    @Test(arguments: [false, true])
    func anotherOrganizationsProjectIsIndistinguishableFromNone(reversed: Bool) throws {
        let (first, second) = try sides()
        let (attacker, victim) = reversed ? (second, first) : (first, second)
        let before = try snapshot(victim)
        let states = try before.map { try JSONValue(parsing: $0)["status"]?.string }
        #expect(Set(states) == ["scheduled", "running", "completed", "failed", "cancelled"], "\(before)")
        let client = fixture.client
        let victimBase = "/public/\(victim.projectKey)"
        let missingBase = "/public/\(Self.missingProject)"

        // list
        try expectSameAnswer(
            try client.get("\(victimBase)/jobs", key: attacker.key),
            as: try client.get("\(missingBase)/jobs", key: attacker.key), "list")
        try expectSameAnswer(
            try client.get("\(victimBase)/jobs?limit=200&page=1", key: attacker.key),
            as: try client.get("\(missingBase)/jobs?limit=200&page=1", key: attacker.key), "list with a page")
        // get and cancel, every job of the victim, in every state
        for id in victim.jobIDs {
            try expectSameAnswer(
                try client.get("\(victimBase)/jobs/\(id)", key: attacker.key),
                as: try client.get("\(missingBase)/jobs/\(id)", key: attacker.key), "get \(id)")
            try expectSameAnswer(
                try client.delete("\(victimBase)/jobs/\(id)", key: attacker.key),
                as: try client.delete("\(missingBase)/jobs/\(id)", key: attacker.key), "cancel \(id)")
        }
        // delete a user: the victim's user with an active job, and a new one
        for user in [victim.activeUser, "\(victim.name)-new@example.com"] {
            try expectSameAnswer(
                try client.delete("\(victimBase)/users/\(user)", key: attacker.key),
                as: try client.delete("\(missingBase)/users/\(user)", key: attacker.key), "delete user \(user)")
        }

        #expect(try snapshot(victim) == before, "the victim's jobs changed")
        expectAppAlive(fixture.stack)
    }

    @Test(arguments: [false, true])
    func anotherOrganizationsJobsAreNotFoundThroughOnesOwnProject(reversed: Bool) throws {
        let (first, second) = try sides()
        let (attacker, victim) = reversed ? (second, first) : (first, second)
        let before = try snapshot(victim)
        let client = fixture.client
        let ownBase = "/public/\(attacker.projectKey)"

        let notFound = try client.get("\(ownBase)/jobs/\(Self.missingJob)", key: attacker.key)
        let message = try expectError(notFound, 404)
        #expect(message == "Job not found")
        let notFoundCancel = try client.delete("\(ownBase)/jobs/\(Self.missingJob)", key: attacker.key)
        for id in victim.jobIDs {
            try expectSameAnswer(try client.get("\(ownBase)/jobs/\(id)", key: attacker.key), as: notFound, "get \(id)")
            try expectSameAnswer(
                try client.delete("\(ownBase)/jobs/\(id)", key: attacker.key), as: notFoundCancel, "cancel \(id)")
        }
        // Listing one's own project never shows the other's jobs, on any page.
        for page in 1...3 {
            let listed = try expectData(try client.get("\(ownBase)/jobs?limit=2&page=\(page)", key: attacker.key))
            for job in listed.array ?? [] {
                #expect(!victim.jobIDs.contains(job["jobId"]?.int ?? -1), "\(job)")
            }
        }
        #expect(try snapshot(victim) == before, "the victim's jobs changed")
        expectAppAlive(fixture.stack)
    }

    @Test func anotherOrganizationsActiveUserDoesNotBlockOnesOwnProject() throws {
        let (attacker, victim) = try sides()
        let before = try snapshot(victim)
        // The same user id in one's own project is one's own: a job there, not a 409 from the other's job.
        let job = try expectData(
            try fixture.client.delete("/public/\(attacker.projectKey)/users/\(victim.activeUser)", key: attacker.key))
        #expect(job["referenceId"]?.string == victim.activeUser)
        let id = try #require(job["jobId"]?.int)
        #expect(!victim.jobIDs.contains(id))
        let own = try expectData(try fixture.client.get("/public/\(attacker.projectKey)/jobs/\(id)", key: attacker.key))
        #expect(own["projectId"] == job["projectId"])
        #expect(try snapshot(victim) == before, "the victim's jobs changed")
        let cancelled = try expectData(
            try fixture.client.delete("/public/\(attacker.projectKey)/jobs/\(id)", key: attacker.key))
        #expect(cancelled["status"]?.string == "cancelled")
        #expect(try snapshot(victim) == before, "the victim's jobs changed")
    }

    // MARK: Revocation in every process

    /// One logged request: the process that answered, its status and the key id it logged (`-` for none).
    struct LoggedAnswer: Equatable, CustomStringConvertible {
        var pid: pid_t
        var status: Int
        var keyID: String
        var description: String { "\(pid): \(status) key=\(keyID)" }
    }

    /// The requests whose path holds `marker`, as the app logged them.
    func answers(marked marker: String) -> [LoggedAnswer] {
        fixture.stack.appLog.split(separator: "\n").filter { $0.contains(marker) }.compactMap { line in
            // jobs-fcgi[PID]: METHOD PATH STATUS DURATION key=ID
            guard let open = line.firstIndex(of: "["), let close = line.firstIndex(of: "]"),
                let pid = pid_t(line[line.index(after: open)..<close])
            else { return nil }
            let fields = line.split(separator: " ")
            guard fields.count >= 6, let status = Int(fields[3]), fields[5].hasPrefix("key=") else { return nil }
            return LoggedAnswer(pid: pid, status: status, keyID: String(fields[5].dropFirst(4)))
        }
    }

    /// Sends requests whose path holds `marker` (digits, the start of a job id that does not exist: the answer is
    /// 404 once authenticated, 401 otherwise; the log shows a numeric job id), in bursts so that every process gets some, until every app process has logged one, or 400
    /// requests went out. Returns every answer's status.
    func sendUntilEveryProcessAnswered(key: String, marker: String) throws -> [Int] {
        let pids = Set(fixture.stack.appPIDs)
        var statuses: [Int] = []
        for burst in 0..<50 {
            let results = fixture.client.inParallel(8) { client, index in
                try client.get("\(fixture.base)/jobs/\(marker)\(100 + burst)\(index)", key: key)
            }
            for result in results { statuses.append(try result.get().status) }
            // A short look between bursts (the lines follow the answers closely); the bursts are the bound.
            if eventually(timeout: 0.2, { Set(answers(marked: marker).map(\.pid)) == pids }) { break }
        }
        // Lines of the last bursts still on their way on a loaded machine are waited for (the caller checks them).
        _ = eventually { Set(answers(marked: marker).map(\.pid)) == pids }
        return statuses
    }

    @Test func revocationReachesEveryProcessOnTheNextRequest() throws {
        let pids = Set(fixture.stack.appPIDs)
        try #require(pids.count == 2, "the stack runs spawn-fcgi -F 2")
        let key = try fixture.stack.createKey(organization: fixture.tenant.organization.id)
        // Before: both processes authenticate the key (and may keep whatever they keep about it).
        let warm = String(UInt64.random(in: 1_000_000_000...9_999_999_999))
        let before = try sendUntilEveryProcessAnswered(key: key.secret, marker: warm)
        #expect(Set(before) == [404], "\(before)")
        let warmed = answers(marked: warm)
        #expect(Set(warmed.map(\.pid)) == pids, "both processes served the key before revocation: \(warmed)")
        #expect(warmed.allSatisfy { $0.keyID == String(key.id) }, "\(warmed)")

        try fixture.stack.revokeKey(key.id)
        var revoked = warm
        while revoked == warm { revoked = String(UInt64.random(in: 1_000_000_000...9_999_999_999)) }
        let after = try sendUntilEveryProcessAnswered(key: key.secret, marker: revoked)
        #expect(Set(after) == [401], "\(after)")
        let logged = answers(marked: revoked)
        #expect(Set(logged.map(\.pid)) == pids, "both processes answered after revocation: \(logged)")
        #expect(logged.allSatisfy { $0.status == 401 && $0.keyID == "-" }, "\(logged)")
        // The organization's own key still works.
        _ = try expectData(try fixture.client.get("\(fixture.base)/jobs", key: fixture.key))
        expectAppAlive(fixture.stack)
    }

    // MARK: No key in any file

    @Test func noLogOrStoreFileHoldsAKey() throws {
        _ = try sides()
        let unknown = "jobs_" + String(repeating: "Z", count: 40)
        let revokedKey = try fixture.stack.createKey(organization: fixture.otherTenant.organization.id)
        try fixture.stack.revokeKey(revokedKey.id)
        // Every kind of answer, with every kind of key, so that whatever is logged for each is in the files.
        for key in [fixture.key, fixture.otherTenant.key.secret, unknown, revokedKey.secret] {
            for (method, path) in [
                ("GET", "\(fixture.base)/jobs"), ("GET", "\(fixture.base)/jobs/abc"),
                ("GET", "\(fixture.base)/nothing"),
                ("DELETE", "\(fixture.base)/users/key-leak"), ("POST", "\(fixture.base)/jobs"),
                ("GET", "/public/\(Self.missingProject)/jobs"),
            ] {
                let response = try fixture.client.request(method, path, key: key)
                #expect(response.status < 500, "\(response)")
                #expect(!response.text.contains(key), "\(method) \(path) echoes the key")
            }
        }
        // A key in the path or the query (a client's mistake) is the client's own business; not sent here.
        let secrets = [fixture.key, fixture.otherTenant.key.secret, unknown, revokedKey.secret]
        // A PostgreSQL store is scanned through a dump of everything it holds.
        if let database = fixture.stack.postgresDatabase {
            try database.dump().write(toFile: fixture.stack.directory.appending("store-dump.sql"), atomically: true, encoding: .utf8)
        }
        let files = try FileManager.default.subpathsOfDirectory(atPath: fixture.stack.directory.path)
        var scanned = 0
        for file in files {
            let path = fixture.stack.directory.appending(file)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                let data = FileManager.default.contents(atPath: path)
            else { continue }
            scanned += 1
            let bytes = [UInt8](data)
            for secret in secrets {
                #expect(bytes.firstRange(of: Array(secret.utf8)) == nil, "\(file) holds a key")
                // Half of a key is as good as the key to a scanner: no 20-character piece of it either.
                let piece = Array(secret.utf8.dropFirst(5).prefix(20))
                #expect(bytes.firstRange(of: piece) == nil, "\(file) holds part of a key")
            }
            #expect(bytes.firstRange(of: Array("Bearer jobs_".utf8)) == nil, "\(file) holds a bearer token")
            #expect(bytes.firstRange(of: Array("bearer jobs_".utf8)) == nil, "\(file) holds a bearer token")
        }
        #expect(scanned >= 3, "scanned \(files)")
        #expect(files.contains { $0.hasSuffix("jobs-fcgi.log") } && files.contains { $0.hasSuffix("jobs.sqlite3") || $0.hasSuffix("store-dump.sql") })
    }
}

/// The grid's two organizations of each running stack, seeded on first use.
final class GridSides: @unchecked Sendable {
    // Safe to share: `made` is only touched with `lock` held.
    static let shared = GridSides()
    private let lock = NSLock()
    private var made: [String: (AuthorizationGridTests.Side, AuthorizationGridTests.Side)] = [:]

    func sides(
        for fixture: StackFixture,
        make: () throws -> (AuthorizationGridTests.Side, AuthorizationGridTests.Side)
    ) throws -> (AuthorizationGridTests.Side, AuthorizationGridTests.Side) {
        try lock.withLock {
            if let sides = made[fixture.stack.directory.path] { return sides }
            let sides = try make()
            made[fixture.stack.directory.path] = sides
            return sides
        }
    }
}
