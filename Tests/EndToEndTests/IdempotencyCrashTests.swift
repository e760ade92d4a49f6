import Foundation
import JobsTesting
import Testing

/// A keyed `DELETE` whose app process dies with the request in flight (SIGKILL), and the client's retry with the
/// same key once the app is back: exactly one job, and a 200 (the original's, replayed, or the retry's own).
@Suite(.serialized)
struct IdempotencyCrashTests {
    /// Open descriptors of a process: one more once it accepted a connection.
    static func openFiles(of pid: pid_t) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
    }

    /// The lock every creation of `stack`'s store waits for, held until `release`: SQLite's write lock; on
    /// PostgreSQL a session holding the projects table against updates (every creation updates its project's row
    /// first; reads go on). `isWaited` tells that a request's transaction waits for it with its key row written
    /// (on SQLite the request reaching the app is all that can be seen, and the lock makes it wait).
    struct CreationLock {
        let isWaited: () -> Bool
        let release: () -> Void

        init(_ stack: Stack) throws {
            if let database = stack.postgresDatabase {
                let holder = try database.holdingLocks(
                    ["LOCK TABLE projects IN EXCLUSIVE MODE"], logPath: stack.directory.appending("lock-holder.log"))
                isWaited = {
                    (try? database.server.psql(
                        "SELECT count(*) FROM pg_locks WHERE relation = 'projects'::regclass AND NOT granted",
                        database: database.name))?.trimmingCharacters(in: .whitespacesAndNewlines) == "1"
                }
                release = holder.release
            } else {
                let lock = try SQLiteWriteLock(store: stack.storePath)
                isWaited = { true }
                release = lock.release
            }
        }
    }

    /// On PostgreSQL the dead request's transaction rolls back once the lock goes (its backend finds the client
    /// gone), and the retry, which waited for the key, creates the job.
    @Test(arguments: [Stack.StoreKind.sqlite, .postgres])
    func aKeyedDeletionKilledInFlightIsDoneOnceWhenRetried(store: Stack.StoreKind) throws {
        let stack = try Stack(.init(processes: 1, store: store, appArguments: store == .sqlite ? ["--sqlite-busy-timeout", "30000"] : []))
        let tenant = try stack.createTenant("Killed")
        let path = "/public/\(tenant.project.key)/users/victim%40example.com"
        let key = tenant.key.secret
        let app = try SupervisedApp(stack: stack)
        defer { app.stop() }
        let pid = try #require(app.pid)
        let idle = Self.openFiles(of: pid)

        // The DELETE waits inside its transaction until the kill.
        let lock = try CreationLock(stack)
        defer { lock.release() }
        let client = HTTPClient(port: stack.port, timeout: 60)
        @Sendable func keyed() throws -> HTTPResponse {
            try client.request("DELETE", path, key: key, headers: [("Idempotency-Key", "crash-1")])
        }
        let first = Locked<HTTPResponse?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let response = try? keyed()
            first.withLock { $0 = response }
            done.signal()
        }
        #expect(eventually(timeout: 30) { Self.openFiles(of: pid) > idle }, "the request never reached the app")
        #expect(eventually(timeout: 30) { lock.isWaited() }, "the DELETE never waited for the lock")
        #expect(app.killProcess() == pid)
        #expect(done.wait(timeout: .now() + 60) == .success)
        let firstStatus = first.withLock { $0?.status }
        #expect(firstStatus == 502 || firstStatus == 200, "\(String(describing: firstStatus))")
        lock.release()

        // The client's retry, until the restarted app answers.
        var retry: HTTPResponse?
        #expect(eventually {
            retry = try? keyed()
            return retry?.status != 502 && retry?.status != 503 && retry != nil
        })
        let answer = try #require(retry)
        #expect(answer.status == 200, "\(answer.status) \(String(decoding: answer.body, as: UTF8.self))")
        let jobs = try stack.jobsctl(["job", "list", "--project", tenant.project.key])
        #expect(jobs.count == 1, "\(jobs)")
        let again = try keyed()
        #expect(again.status == 200)
        #expect(again.header("Idempotent-Replayed") == "true")
        #expect(again.body == answer.body)
        if store == .sqlite { #expect(try stack.integrityCheck() == "ok") }
    }

    @Test func thirtyTwoConcurrentKeyedDeletionsThroughNginxMakeOneJob() throws {
        let stack = try Stack(.init(processes: 2))
        let tenant = try stack.createTenant("Concurrent")
        let path = "/public/\(tenant.project.key)/users/many%40example.com"
        let client = HTTPClient(port: stack.port, timeout: 60)
        let key = tenant.key.secret
        let results = concurrently(threads: 32) { startLine in
            startLine.arriveAndWait()
            return Result { try client.request("DELETE", path, key: key, headers: [("Idempotency-Key", "same")]) }
        }
        let responses = try results.map { try $0.get() }
        let ok = responses.filter { $0.status == 200 }
        #expect(responses.allSatisfy { $0.status == 200 || $0.status == 409 }, "\(responses.map(\.status))")
        #expect(Set(ok.map(\.body)).count == 1)
        #expect(ok.filter { $0.header("Idempotent-Replayed") == nil }.count == 1)
        #expect(try stack.jobsctl(["job", "list", "--project", tenant.project.key]).count == 1)
    }
}
