import Foundation
import JobsTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL server whose backends stop answering (SIGSTOP, as a hung server or a network partition looks
/// from the app: the sockets stay open, nothing comes back): requests answer 503 within seconds instead of
/// holding every thread until nginx's 504, and the app serves again by itself, before and after the backends
/// resume.
@Suite(.serialized)
struct HungDatabaseTests {
    static let statementTimeoutMilliseconds = 1000

    @Test func stoppedBackendsGive503WithinSecondsAndTheAppRecovers() throws {
        let stack = try Stack(
            .init(processes: 1, threads: 2, store: .postgres,
                appArguments: ["--postgres-statement-timeout", String(Self.statementTimeoutMilliseconds)]))
        let database = try #require(stack.postgresDatabase)
        let tenant = try stack.createTenant("Hung")
        let path = "/public/\(tenant.project.key)/jobs"
        let key = tenant.key.secret
        let client = stack.client
        #expect(try client.get(path, key: key).status == 200)

        // The app's own sessions (one per thread), not psql's or jobsctl's.
        let backends = try database.server.psql(
            "SELECT pid FROM pg_stat_activity WHERE datname = '\(database.name)' AND application_name = 'jobs-api'"
        ).split(whereSeparator: \.isNewline).compactMap { pid_t($0) }
        try #require(!backends.isEmpty)
        for pid in backends { kill(pid, SIGSTOP) }
        defer { for pid in backends { kill(pid, SIGCONT) } }

        // Each thread meets its stopped session once: a 503 after the statement timeout and the 2 s grace; the
        // connection is then replaced, so later requests may already succeed. Never nginx's 504 (after 30 s).
        var refused = 0
        for _ in 0..<6 {
            let started = Date()
            let response = try client.get(path, key: key)
            let seconds = Date().timeIntervalSince(started)
            #expect(response.status == 503 || response.status == 200, "\(response)")
            if response.status == 503 {
                refused += 1
                #expect(response.header("Retry-After") != nil)
            }
            // 1 s + 2 s, plus a margin for a loaded machine.
            #expect(seconds < 10, "answered \(response.status) after \(seconds) s")
        }
        #expect(refused >= 1, "no request met a stopped session")
        #expect(stack.appLog.contains("no answer from the server within 3000 ms"), "\(stack.appLog.suffix(2000))")

        // New sessions serve while the old ones are still stopped, and after they resume.
        #expect(try client.get(path, key: key).status == 200)
        for pid in backends { kill(pid, SIGCONT) }
        for _ in 0..<4 {
            #expect(try client.get(path, key: key).status == 200)
        }
        expectAppAlive(stack)
    }
}
