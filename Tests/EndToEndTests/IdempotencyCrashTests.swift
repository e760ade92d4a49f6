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

    @Test func aKeyedDeletionKilledInFlightIsDoneOnceWhenRetried() throws {
        let stack = try Stack(.init(processes: 1, store: .sqlite, appArguments: ["--sqlite-busy-timeout", "30000"]))
        let tenant = try stack.createTenant("Killed")
        let path = "/public/\(tenant.project.key)/users/victim%40example.com"
        let key = tenant.key.secret
        let app = try SupervisedApp(stack: stack)
        defer { app.stop() }
        let pid = try #require(app.pid)
        let idle = Self.openFiles(of: pid)

        // The store's write lock held elsewhere: the DELETE waits inside its transaction until the kill.
        let lock = try SQLiteWriteLock(store: stack.storePath)
        let client = HTTPClient(port: stack.port, timeout: 60)
        let first = Locked<HTTPResponse?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let response = try? client.request("DELETE", path, key: key, headers: [("Idempotency-Key", "crash-1")])
            first.withLock { $0 = response }
            done.signal()
        }
        #expect(eventually(timeout: 30) { Self.openFiles(of: pid) > idle }, "the request never reached the app")
        #expect(app.killProcess() == pid)
        lock.release()
        #expect(done.wait(timeout: .now() + 60) == .success)
        let firstStatus = first.withLock { $0?.status }
        #expect(firstStatus == 502 || firstStatus == 200, "\(String(describing: firstStatus))")

        // The client's retry, until the restarted app answers.
        var retry: HTTPResponse?
        #expect(eventually {
            retry = try? client.request("DELETE", path, key: key, headers: [("Idempotency-Key", "crash-1")])
            return retry?.status != 502 && retry?.status != 503 && retry != nil
        })
        let answer = try #require(retry)
        #expect(answer.status == 200, "\(answer.status) \(String(decoding: answer.body, as: UTF8.self))")
        let jobs = try stack.jobsctl(["job", "list", "--project", tenant.project.key])
        #expect(jobs.count == 1, "\(jobs)")
        #expect(try stack.integrityCheck() == "ok")
    }

    /// The same on PostgreSQL: the DELETE waits, inside its transaction (its key row written), for the project's
    /// row, which another session holds locked; the app is killed there. The dead transaction rolls back once the
    /// lock goes (its backend finds the client gone), and the retry, which waited for the key, creates the job.
    @Test func aKeyedDeletionKilledInFlightIsDoneOnceWhenRetriedOnPostgreSQL() throws {
        let stack = try Stack(.init(processes: 1, store: .postgres))
        let database = try #require(stack.postgresDatabase)
        let tenant = try stack.createTenant("Killed")
        let path = "/public/\(tenant.project.key)/users/victim%40example.com"
        let key = tenant.key.secret
        let app = try SupervisedApp(stack: stack)
        defer { app.stop() }
        let pid = try #require(app.pid)
        let idle = Self.openFiles(of: pid)

        // A session that holds the projects table against updates (every creation updates its project's row
        // first), reads still allowed.
        let holder = try database.holdingLocks(
            ["LOCK TABLE projects IN EXCLUSIVE MODE"], logPath: stack.directory.appending("lock-holder.log"))
        defer { holder.release() }

        let client = HTTPClient(port: stack.port, timeout: 60)
        let first = Locked<HTTPResponse?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let response = try? client.request("DELETE", path, key: key, headers: [("Idempotency-Key", "crash-pg")])
            first.withLock { $0 = response }
            done.signal()
        }
        #expect(eventually(timeout: 30) { Self.openFiles(of: pid) > idle }, "the request never reached the app")
        // The request's own transaction is waiting for the lock: its key row is written, not committed.
        #expect(eventually(timeout: 30) {
            (try? database.server.psql(
                "SELECT count(*) FROM pg_locks WHERE relation = 'projects'::regclass AND NOT granted",
                database: database.name))?.trimmingCharacters(in: .whitespacesAndNewlines) == "1"
        }, "the DELETE never waited for the lock")
        #expect(app.killProcess() == pid)
        #expect(done.wait(timeout: .now() + 60) == .success)
        let firstStatus = first.withLock { $0?.status }
        #expect(firstStatus == 502 || firstStatus == 200, "\(String(describing: firstStatus))")
        holder.release()

        var retry: HTTPResponse?
        #expect(eventually {
            retry = try? client.request("DELETE", path, key: key, headers: [("Idempotency-Key", "crash-pg")])
            return retry?.status != 502 && retry?.status != 503 && retry != nil
        })
        let answer = try #require(retry)
        #expect(answer.status == 200, "\(answer.status) \(String(decoding: answer.body, as: UTF8.self))")
        let jobs = try stack.jobsctl(["job", "list", "--project", tenant.project.key])
        #expect(jobs.count == 1, "\(jobs)")
        let again = try client.request("DELETE", path, key: key, headers: [("Idempotency-Key", "crash-pg")])
        #expect(again.status == 200)
        #expect(again.header("Idempotent-Replayed") == "true")
        #expect(again.body == answer.body)
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
