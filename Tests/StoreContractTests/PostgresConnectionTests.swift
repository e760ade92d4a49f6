import Foundation
import JobsCore
import JobsTesting
import Testing
@testable import PostgresStore

/// What only the PostgreSQL store has: a server that can go away, a database that must exist, several
/// `jobsctl init` at once on several hosts.
@Suite("PostgreSQL connections, schema and errors")
struct PostgresConnectionTests {
    @Test("a stopped server makes every call unavailable; the same connection serves again once it is back")
    func lostServer() throws {
        let server = try PostgresServer.start()
        defer { server.remove() }
        let database = try server.createDatabase()
        let connector = PostgresConnector(url: database.url)
        let admin = try connector.open()
        try admin.migrate()
        let organization = try admin.createOrganization(name: "Acme", at: 1)
        let project = try admin.createProject(
            organizationID: organization.id, key: ProjectKey.random(), name: "Web", at: 1)
        let store = try connector.connect()
        guard case .created(let job) = try store.createJob(
            .deleteUserData(userID: "before", createdAt: 1, startAt: 2), projectID: project.id)
        else {
            Issue.record("not created")
            return
        }

        try server.halt()
        for attempt in 1...3 {
            let error = #expect(throws: StoreError.self, "attempt \(attempt)") {
                try store.job(id: job.id, projectID: project.id)
            }
            #expect(error?.kind == .unavailable)
            let createError = #expect(throws: StoreError.self) {
                try store.createJob(.deleteUserData(userID: "during", createdAt: 1, startAt: 2), projectID: project.id)
            }
            #expect(createError?.kind == .unavailable)
        }
        #expect(throws: StoreError.self) { try connector.connect() }

        try server.resume()
        // The connection was closed by the server; a call opens a new session and prepares again. Calls within
        // half a second of a failed attempt fail at once without trying, so the first success may take that long
        // (longer on a loaded machine: the deadline only bounds a failure).
        let deadline = Date().addingTimeInterval(patientTimeout)
        var read = Result { try store.job(id: job.id, projectID: project.id) }
        while case .failure(let error as StoreError) = read, error.kind == .unavailable, Date() < deadline {
            usleep(50_000)
            read = Result { try store.job(id: job.id, projectID: project.id) }
        }
        #expect(try read.get() == job)
        guard case .created = try store.createJob(
            .deleteUserData(userID: "after", createdAt: 1, startAt: 2), projectID: project.id)
        else {
            Issue.record("not created after the server came back")
            return
        }
        #expect(try store.cancelJob(id: job.id, projectID: project.id, at: 3) != .notFound)
        // Nothing was half-written while the server was down.
        let jobs = try admin.jobs(projectID: project.id, status: nil, afterID: 0, limit: 10)
        #expect(jobs.map(\.referenceID) == ["before", "after"])
    }

    @Test("a server closing connections (pg_terminate_backend) costs at most one failed call per connection")
    func terminatedBackend() throws {
        let database = try PostgresServer.shared().createDatabase()
        let connector = PostgresConnector(url: database.url)
        let admin = try connector.open()
        try admin.migrate()
        let store = try connector.connect()
        #expect(try store.principal(forKeyHash: APIKey.generate().hash, at: 0) == nil)
        // pg_terminate_backend(pid, timeout) returns once the backend has left the server's process table (it has
        // sent its closing notice by then); its socket closes when the process exits a moment later. For a server
        // on this machine (the tests' own), that exit is waited for too: the call below then meets a connection
        // the server has closed, never one still closing (where a fixed sleep used to be).
        let terminated = try database.server.psql(
            "SELECT pid, pg_terminate_backend(pid, \(Int(patientTimeout * 1000))) FROM pg_stat_activity "
                + "WHERE datname = '\(database.name)' AND pid <> pg_backend_pid()")
        let rows = terminated.split(whereSeparator: \.isNewline).map { $0.split(separator: "|") }
        #expect(!rows.isEmpty && rows.allSatisfy { $0.last == "t" }, "terminated: \(terminated)")
        if ["@127.0.0.1:", "@localhost:", "@[::1]:"].contains(where: database.server.url.contains) {
            let pids = rows.compactMap { pid_t($0.first ?? "") }
            #expect(
                eventually { !pids.contains(where: ProcessStatus.isAlive) },
                "the terminated backends \(pids) still run")
        }
        // The terminated session is noticed before the call is sent, and replaced.
        #expect(try store.principal(forKeyHash: APIKey.generate().hash, at: 0) == nil)
        #expect(try admin.schemaVersion() == PostgresSchema.currentVersion)
    }

    @Test("eight migrations at once on an empty database: all succeed, each step is applied once")
    func concurrentMigrations() throws {
        let database = try PostgresServer.shared().createDatabase()
        let connector = PostgresConnector(url: database.url)
        let results = concurrently(threads: 8) { startLine in
            let store = Result { try connector.open() }
            startLine.arriveAndWait()
            return Result { try store.get().migrate() }.map { [$0.from, $0.to] }
        }
        let outcomes = try results.map { try $0.get() }
        let current = PostgresSchema.currentVersion
        #expect(outcomes.filter { $0 == [0, current] }.count == 1, "\(outcomes)")
        #expect(outcomes.filter { $0 == [current, current] }.count == 7, "\(outcomes)")
        let versions = try database.server.psql("SELECT version FROM schema_version ORDER BY version", database: database.name)
        #expect(versions.split(separator: "\n").map(String.init) == PostgresSchema.steps.map { String($0.version) })
    }

    @Test("a missing database, a database without the schema and a newer schema each say what to do")
    func schemaErrors() throws {
        let server = try PostgresServer.shared()
        let database = try server.createDatabase()
        // A password in the URL never shows in a message.
        let missingURL = database.url.replacingOccurrences(of: database.name, with: database.name + "_missing")
            .replacingOccurrences(of: "postgres@", with: "postgres:s3cret@")
        let missing = #expect(throws: StoreError.self) { try PostgresConnector(url: missingURL).connect() }
        #expect(missing?.kind == .notInitialized)
        #expect(missing?.message.contains("createdb") == true, "\(String(describing: missing))")
        #expect(missing?.message.contains("s3cret") == false)

        let empty = #expect(throws: StoreError.self) { try PostgresConnector(url: database.url).connect() }
        #expect(empty?.kind == .notInitialized)
        #expect(empty?.message.contains("jobsctl init --store") == true)

        let admin = try PostgresConnector(url: database.url).open()
        try admin.migrate()
        try server.psql("INSERT INTO schema_version VALUES (99, 0)", database: database.name)
        let newer = #expect(throws: StoreError.self) { try PostgresConnector(url: database.url).connect() }
        #expect(newer?.kind == .schemaMismatch)
        let migrateNewer = #expect(throws: StoreError.self) { try admin.migrate() }
        #expect(migrateNewer?.kind == .schemaMismatch)
    }

    @Test("an unreachable server is unavailable, not a crash, and the message names no password")
    func unreachableServer() throws {
        let port = try Stack.freePort()
        let error = #expect(throws: StoreError.self) {
            try PostgresConnector(url: "postgresql://jobs:hunter2@127.0.0.1:\(port)/jobs").connect()
        }
        #expect(error?.kind == .unavailable)
        #expect(error?.message.contains("hunter2") == false)
    }

    @Test("passwords are hidden in display names", arguments: [
        ("postgresql://jobs:pw@db:5432/jobs", "postgresql://jobs:***@db:5432/jobs"),
        ("postgres://jobs@db/jobs?password=pw&sslmode=require", "postgres://jobs@db/jobs?password=***&sslmode=require"),
        ("postgresql://db/jobs", "postgresql://db/jobs"),
        ("postgresql://u:p@h1:5432,h2:5433/jobs", "postgresql://u:***@h1:5432,h2:5433/jobs"),
    ])
    func redaction(url: String, shown: String) {
        #expect(PostgresConnector(url: url).displayName == shown)
    }
}
