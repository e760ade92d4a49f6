import Foundation
import JobsTesting
import Testing

/// Another process holds the SQLite store's write lock for longer than the busy timeout while clients read and
/// write: every write answers 503 with `Retry-After` within the busy timeout plus a margin (never nginx's 504),
/// none is applied afterwards, and reads keep being served, at no less than half the rate measured just before
/// with the same clients and no lock.
@Suite(.serialized)
struct WriteLockTests {
    static let busyTimeout: TimeInterval = 1
    static let threads = 4
    static let readers = 2
    static let writers = 6

    /// One write: the user whose deletion was requested, the status, the seconds it took, and whether the
    /// answer carried `Retry-After`.
    struct Write: Sendable {
        var user: String
        var status: Int
        var seconds: TimeInterval
        var retryAfter: Bool
    }

    /// What the clients saw in one phase.
    struct Phase: Sendable {
        var reads = 0
        var readFailures: [Int] = []
        var writes: [Write] = []
    }

    @Test func writesGiveUpWithinTheBusyTimeoutAndReadsGoOn() throws {
        let stack = try Stack(
            .init(processes: 1, threads: Self.threads, store: .sqlite,
                appArguments: ["--sqlite-busy-timeout", String(Int(Self.busyTimeout * 1000))]))
        let tenant = try stack.createTenant("Locked")
        let base = "/public/\(tenant.project.key)"
        let key = tenant.key.secret
        let readJob = try #require(try stack.createJob(project: tenant.project.key, user: "reader@example.com")["jobId"]?.int)
        let client = stack.client

        // Both phases as long, the locked one several busy timeouts.
        let phaseLength: Duration = .seconds(3)
        let normal = Self.run(client: client, base: base, key: key, readJob: readJob, phase: "free", for: phaseLength)
        let lock = try SQLiteWriteLock(store: stack.storePath)
        let locked = Self.run(client: client, base: base, key: key, readJob: readJob, phase: "held", for: phaseLength)
        lock.release()

        let slowest = locked.writes.map(\.seconds).max() ?? 0
        print("reads: \(normal.reads) without the lock, \(locked.reads) while it was held; writes: \(normal.writes.count) without, \(locked.writes.count) while held (slowest \(slowest) s)")
        #expect(normal.readFailures.isEmpty, "\(normal.readFailures)")
        #expect(locked.readFailures.isEmpty, "\(locked.readFailures)")
        #expect(normal.writes.allSatisfy { $0.status == 200 }, "\(normal.writes.filter { $0.status != 200 }.prefix(5))")
        #expect(!locked.writes.isEmpty)
        for write in locked.writes {
            #expect(write.status == 503, "\(write.user): \(write.status)")
            #expect(write.retryAfter, "\(write.user): no Retry-After")
            // The busy timeout plus a margin for a loaded machine; a writer queued behind others once waited a
            // busy timeout for each of them.
            #expect(write.seconds < Self.busyTimeout + 1.5, "\(write.user) answered after \(write.seconds) s")
        }
        #expect(locked.reads * 2 >= normal.reads, "reads: \(normal.reads) without the lock, \(locked.reads) with it")

        // Nothing refused is applied later: the store holds a job for each deletion answered 200, and none of the
        // refused ones.
        let stored = try stack.query("SELECT reference_id FROM jobs").compactMap { $0["reference_id"]?.string }
        let accepted = Set(normal.writes.map(\.user))
        #expect(Set(stored).intersection(Set(locked.writes.map(\.user))).isEmpty)
        #expect(accepted.isSubset(of: Set(stored)), "\(accepted.subtracting(stored).prefix(5))")
        // And writes work again.
        #expect(try client.delete("\(base)/users/after-the-lock@example.com", key: key).status == 200)
        #expect(try stack.integrityCheck() == "ok")
    }

    /// Runs the readers and writers for `length`, each sending its next request as soon as it has an answer. A
    /// write requests the deletion of a user never seen before.
    static func run(
        client: HTTPClient, base: String, key: String, readJob: Int64, phase: String, for length: Duration
    ) -> Phase {
        let ends = ContinuousClock.now + length
        let roles = Counter()
        let results = concurrently(threads: readers + writers) { startLine in
            let role = roles.next()
            startLine.arriveAndWait()
            var result = Phase()
            var count = 0
            while ContinuousClock.now < ends {
                if role < readers {
                    let status = (try? client.get("\(base)/jobs/\(readJob)", key: key).status) ?? 0
                    if status == 200 { result.reads += 1 } else { result.readFailures.append(status) }
                } else {
                    count += 1
                    let user = "\(phase)-\(role)-\(count)@example.com"
                    let started = ContinuousClock.now
                    let response = try? client.delete("\(base)/users/\(user)", key: key)
                    let (seconds, attoseconds) = started.duration(to: .now).components
                    result.writes.append(
                        Write(
                            user: user, status: response?.status ?? 0,
                            seconds: Double(seconds) + Double(attoseconds) / 1e18,
                            retryAfter: response?.header("Retry-After") != nil))
                }
            }
            return result
        }
        return results.reduce(into: Phase()) { total, phase in
            total.reads += phase.reads
            total.readFailures += phase.readFailures
            total.writes += phase.writes
        }
    }
}

/// Numbers handed out in order, one per call, from any thread.
private final class Counter: @unchecked Sendable {
    // Safe to share: `issued` is only touched with `lock` held.
    private let lock = NSLock()
    private var issued = 0

    func next() -> Int { lock.withLock { issued += 1; return issued - 1 } }
}
