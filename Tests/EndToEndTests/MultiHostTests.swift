import Foundation
import JobsTesting
import Testing

/// Several app hosts behind one nginx (the shipped `nginx/jobs-api-upstream.conf`) on one shared store: two
/// `jobs-fcgi` instances on TCP ports, one started by spawn-fcgi and one with `--listen`. Each test has a stack of
/// its own, on each store in ``MultiHostStore``: one PostgreSQL database, as on several machines, and one SQLite
/// file, which several processes of one machine may share too.
@Suite(.serialized)
struct MultiHostTests {
    static let clients = 32

    @Test(arguments: MultiHostStore.allCases)
    func requestsLandOnEveryInstance(store: MultiHostStore) throws {
        let fixture = try MultiHostFixture(store)
        let stack = fixture.stack
        #expect(stack.log(of: 0).contains("(inherited as fd 0)"), "spawn-fcgi -a/-p: \(stack.log(of: 0))")
        #expect(stack.log(of: 1).contains("listening on \(stack.instances[1].address) with"), "\(stack.log(of: 1))")

        for _ in 0..<20 {
            _ = try expectData(try fixture.client.get("\(fixture.base)/jobs", key: fixture.key))
        }
        for index in stack.instances.indices {
            let served = stack.requestLines(of: index).filter { $0.hasPrefix("GET \(fixture.base)/jobs 200") }
            #expect(served.count >= 5, "instance \(index) served \(served.count) of 20")
        }
    }

    @Test(arguments: MultiHostStore.allCases)
    func concurrentCancelsOfOneJobOnTwoHostsSucceedExactlyOnce(store: MultiHostStore) throws {
        let fixture = try MultiHostFixture(store)
        let job = try fixture.stack.createJob(
            project: fixture.projectKey, user: "race-cancel@example.com", startAt: WorkerTests.farFuture)
        let id = try #require(job["jobId"]?.int)
        let path = "\(fixture.base)/jobs/\(id)"
        let key = fixture.key

        let statuses = try fixture.statuses(fixture.client.inParallel(Self.clients) { client, _ in
            try client.delete(path, key: key)
        })
        // The contract: a job that is already cancelled cannot be cancelled (400).
        #expect(statuses.filter { $0 == 200 }.count == 1, "\(statuses)")
        #expect(statuses.filter { $0 == 400 }.count == Self.clients - 1, "\(statuses)")
        #expect(try fixture.stack.showJob(id)["status"]?.string == "cancelled")
        // Both hosts took part, and no request was replayed: 32 in all.
        let served = fixture.requestsPerInstance { $0.hasPrefix("DELETE \(path) ") }
        #expect(served.allSatisfy { $0 > 0 }, "\(served)")
        #expect(served.reduce(0, +) == Self.clients, "\(served)")
        fixture.expectInstancesAlive()
    }

    @Test(arguments: MultiHostStore.allCases)
    func concurrentDeletionsOfOneUserOnTwoHostsCreateExactlyOneJob(store: MultiHostStore) throws {
        let fixture = try MultiHostFixture(store)
        let path = "\(fixture.base)/users/race-user@example.com"
        let key = fixture.key

        let statuses = try fixture.statuses(fixture.client.inParallel(Self.clients) { client, _ in
            try client.delete(path, key: key)
        })
        #expect(statuses.filter { $0 == 200 }.count == 1, "\(statuses)")
        #expect(statuses.filter { $0 == 409 }.count == Self.clients - 1, "\(statuses)")
        let jobs = try fixture.stack.jobsctl(["job", "list", "--project", fixture.projectKey])
        #expect(jobs.count == 1, "\(jobs)")
        #expect(jobs.first?["referenceId"]?.string == "race-user@example.com")
        #expect(jobs.first?["status"]?.string == "scheduled")
        // The log shows the route, never the user id: every deletion line of this test is this project's.
        let served = fixture.requestsPerInstance { $0.hasPrefix("DELETE \(fixture.base)/users/:userId ") }
        #expect(served.allSatisfy { $0 > 0 }, "\(served)")
        #expect(served.reduce(0, +) == Self.clients, "\(served)")
        fixture.expectInstancesAlive()
    }

    @Test(arguments: MultiHostStore.allCases)
    func aHostKilledDuringAStreamOfReadsFailsNoReadAndIsTakenBackOnceRestarted(store: MultiHostStore) throws {
        let fixture = try MultiHostFixture(store)
        let stack = fixture.stack
        let job = try fixture.stack.createJob(
            project: fixture.projectKey, user: "steady@example.com", startAt: WorkerTests.farFuture)
        let id = try #require(job["jobId"]?.int)
        let paths = ["\(fixture.base)/jobs/\(id)", "\(fixture.base)/jobs?limit=10"]
        let key = fixture.key
        let client = fixture.client

        // Eight clients read; instance 0 dies by SIGKILL once it has served a good share of them, with requests in
        // flight; the clients read on until nginx has met the dead host and another 200 reads went through (or,
        // whatever happens, for at most two minutes).
        let sentInAll = Locked(0)
        let stopping = Locked(false)
        let killer = Thread {
            defer { stopping.withLock { $0 = true } }
            guard eventually(timeout: patientTimeout, { stack.requestLines(of: 0).count >= 50 }) else { return }
            _ = try? stack.kill(0)
            let sentAtKill = sentInAll.current
            _ = eventually(timeout: patientTimeout) {
                sentInAll.current >= sentAtKill + 200
                    && stack.nginxErrorLog.contains("upstream: \"fastcgi://\(stack.instances[0].address)\"")
            }
        }
        killer.start()
        let deadline = Date().addingTimeInterval(2 * patientTimeout)
        let outcomes = concurrently(threads: 8) { startLine -> [String] in
            startLine.arriveAndWait()
            var failures: [String] = []
            var sent = 0
            while !stopping.current && Date() < deadline {
                sentInAll.withLock { $0 += 1 }
                let path = paths[sent % paths.count]
                sent += 1
                do {
                    let response = try client.get(path, key: key)
                    if response.status != 200 { failures.append("\(path): \(response)") }
                } catch {
                    failures.append("\(path): \(error)")
                }
            }
            return failures + ["sent \(sent)"]
        }
        let failures = outcomes.flatMap { $0.filter { !$0.hasPrefix("sent ") } }
        let sent = outcomes.flatMap { $0 }.compactMap { Int($0.dropFirst("sent ".count)) }.reduce(0, +)
        #expect(!stack.isRunning(0))
        #expect(failures.isEmpty, "\(failures.count) of \(sent) reads failed: \(failures.prefix(5))")
        let servedBefore = stack.requestLines(of: 0).count
        print("reads while a host died: \(sent), failed: \(failures.count); instance 0 served \(servedBefore)")
        #expect(servedBefore > 0)
        #expect(stack.nginxErrorLog.contains("upstream: \"fastcgi://\(stack.instances[0].address)\""))

        // Back on its port, it gets requests again once nginx's fail_timeout (10 s) has passed.
        try stack.start(0)
        let takenBack = eventually {
            _ = try? client.get(paths[0], key: key)
            return stack.requestLines(of: 0).count > servedBefore
        }
        #expect(takenBack, "instance 0 got no request within \(patientTimeout) s of its restart")
        fixture.expectInstancesAlive()
    }

    @Test(arguments: MultiHostStore.allCases)
    func aChangeThatReachedAHostIsNeverReplayedOnAnotherButAReadIs(store: MultiHostStore) throws {
        // A third upstream server that takes each request and hangs up without answering, as a host that crashes
        // right after a request reached it. max_fails=0: nginx never leaves it out, so it keeps getting requests.
        let peer = try HangUpPeer()
        let fixture = try MultiHostFixture(store, extraServers: ["\(peer.address) max_fails=0"])
        let stack = fixture.stack

        // Reads: the peer's hang-up is retried on a real host, and the client never notices.
        for _ in 0..<6 {
            _ = try expectData(try fixture.client.get("\(fixture.base)/jobs", key: fixture.key))
        }
        #expect(peer.requestLines.contains { $0 == "GET \(fixture.base)/jobs" }, "\(peer.requestLines)")

        // Deletions: each one the peer took gets a JSON 502 and is sent nowhere else.
        var answers: [String: Int] = [:]
        var createdJobs: [String: Int64] = [:]
        for number in 0..<6 {
            let response = try fixture.client.delete("\(fixture.base)/users/u\(number)", key: fixture.key)
            answers["u\(number)"] = response.status
            if response.status != 200 {
                try expectError(response, 502)
            } else {
                let created = try expectData(response)
                createdJobs["u\(number)"] = try #require(created["jobId"]?.int)
            }
        }
        let hungUp = Set(peer.requestLines.filter { $0.hasPrefix("DELETE ") }.map { $0.split(separator: "/").last! })
        #expect(!hungUp.isEmpty, "the peer got no DELETE: \(peer.requestLines)")
        for (user, status) in answers {
            let reachedPeer = hungUp.contains(Substring(user))
            #expect(status == (reachedPeer ? 502 : 200), "\(user): \(status)")
            // The hosts log the job a deletion created, never the user id: one line for each 200.
            if let jobID = createdJobs[user] {
                let onHosts = fixture.requestsPerInstance {
                    $0.hasPrefix("DELETE \(fixture.base)/users/:userId ") && $0.hasSuffix(" job=\(jobID)")
                }
                #expect(onHosts.reduce(0, +) == 1, "\(user) reached the hosts \(onHosts) times")
            }
        }
        // Nothing else reached them: no deletion the peer hung up on was replayed on a host.
        let deletionsOnHosts = fixture.requestsPerInstance { $0.hasPrefix("DELETE \(fixture.base)/users/:userId ") }
        #expect(deletionsOnHosts.reduce(0, +) == createdJobs.count, "\(deletionsOnHosts), \(createdJobs)")
        let jobs = try stack.jobsctl(["job", "list", "--project", fixture.projectKey])
        #expect(Set(jobs.compactMap { $0["referenceId"]?.string }) == Set(answers.filter { $0.value == 200 }.keys))
        peer.stop()
    }

    @Test(arguments: MultiHostStore.allCases)
    func aKeyedDeletionThatMetADyingHostIsAnsweredByAnotherAndDoneOnce(store: MultiHostStore) throws {
        // The peer takes each request and hangs up, as a host dying with the request in flight; nginx retries a
        // DELETE that carries an Idempotency-Key on a real host (and still not one without: the test above).
        let peer = try HangUpPeer()
        let fixture = try MultiHostFixture(store, extraServers: ["\(peer.address) max_fails=0"])
        var jobIDs: [String: Int64] = [:]
        for number in 0..<6 {
            let path = "\(fixture.base)/users/k\(number)"
            let response = try fixture.client.request(
                "DELETE", path, key: fixture.key, headers: [("Idempotency-Key", "key-\(number)")])
            let created = try expectData(response)
            jobIDs["k\(number)"] = try #require(created["jobId"]?.int)
            // The client's own retry with the same key is replayed, whichever host takes it.
            let again = try fixture.client.request(
                "DELETE", path, key: fixture.key, headers: [("Idempotency-Key", "key-\(number)")])
            #expect(again.status == 200)
            #expect(again.body == response.body)
            #expect(again.header("Idempotent-Replayed") == "true")
        }
        let hungUp = peer.requestLines.filter { $0.hasPrefix("DELETE ") }
        #expect(!hungUp.isEmpty, "the peer got no DELETE: \(peer.requestLines)")
        let jobs = try fixture.stack.jobsctl(["job", "list", "--project", fixture.projectKey])
        #expect(jobs.count == 6, "\(jobs)")
        #expect(Set(jobs.compactMap { $0["jobId"]?.int }) == Set(jobIDs.values))
        peer.stop()
    }

    @Test(arguments: MultiHostStore.allCases)
    func twoWorkersOnTwoHostsOver500DueJobsRunEachExactlyOnce(store: MultiHostStore) throws {
        let fixture = try MultiHostFixture(store)
        let folder = try TemporaryDirectory(prefix: "jobs-e2e-actions")
        let lines = (0..<500).map { #"{"referenceId":"bulk-\#($0)@example.com","status":"scheduled","startAt":1000}"# }
        let ids = try fixture.stack.importJobs(project: fixture.projectKey, lines: lines).compactMap { $0["jobId"]?.int }
        #expect(ids.count == 500)

        // O_APPEND (>>): each line lands whole at the end of the file, whichever program writes it. The programs
        // wait until both workers have claimed jobs, so that neither can run them all before the other starts.
        let go = folder.appending("go")
        let action = try folder.writeExecutable(
            "action", "#!/bin/sh\n\(shellWaitingForFile("'\(go)'"))\necho \"$JOB_ID\" >> '\(folder.appending("ran"))'\n")
        let arguments = [
            "--once", "--concurrency", "4", "--poll-seconds", "0.1", "--lease-seconds", "10",
            "--action", "delete_user_data=\(action)",
        ]
        let workers = try (0..<2).map { _ in try fixture.stack.startWorker(arguments) }
        #expect(
            eventually { workers.allSatisfy { $0.log.contains("scheduled → running") } },
            "\(workers.map(\.log))")
        try folder.write("go")
        for worker in workers {
            #expect(worker.waitForExit(timeout: 5 * patientTimeout) == 0, "\(worker.log)")
        }

        let ran = (folder.contents(of: "ran") ?? "").split(separator: "\n").compactMap { Int64($0) }
        #expect(ran.count == 500)
        #expect(Set(ran) == Set(ids))
        let completed = try fixture.stack.jobsctl(
            ["job", "list", "--project", fixture.projectKey, "--status", "completed"])
        #expect(completed.count == 500)
        let shares = workers.map { $0.log.components(separatedBy: "scheduled → running").count - 1 }
        print("500 jobs shared by two workers on \(store): \(shares)")
        #expect(shares.reduce(0, +) == 500)
        #expect(shares.allSatisfy { $0 > 0 }, "\(shares)")
    }
}

/// The stores the multi-host tests run on.
enum MultiHostStore: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// One SQLite file shared by every instance and worker on one machine.
    case sqlite
    /// A database of its own on the tests' PostgreSQL server (``PostgresServer/shared()``).
    case postgresql

    var testDescription: String { rawValue }
}

/// An ``UpstreamStack`` on a store, with one organization (key and project).
struct MultiHostFixture {
    let stack: UpstreamStack
    let tenant: Stack.Tenant
    /// The PostgreSQL database, kept (not dropped) as long as the fixture.
    let database: PostgresDatabase?

    init(_ store: MultiHostStore, extraServers: [String] = []) throws {
        switch store {
        case .sqlite:
            database = nil
            stack = try UpstreamStack(.init(extraServers: extraServers))
        case .postgresql:
            let database = try PostgresServer.shared().createDatabase()
            self.database = database
            stack = try UpstreamStack(.init(store: database.url, extraServers: extraServers))
        }
        tenant = try stack.createTenant("Acme")
    }

    var client: HTTPClient { stack.client }
    var key: String { tenant.key.secret }
    var projectKey: String { tenant.project.key }
    var base: String { "/public/\(tenant.project.key)" }

    /// Each response's status, in no particular order; a request that failed at the socket fails the test, and
    /// every answer but a 200 must be a JSON error.
    func statuses(_ results: [Result<HTTPResponse, any Error>]) throws -> [Int] {
        try results.map { result in
            let response = try result.get()
            if response.status != 200 { try expectErrorBody(response) }
            return response.status
        }
    }

    /// How many of each instance's request lines satisfy `isCounted`.
    func requestsPerInstance(_ isCounted: (String) -> Bool) -> [Int] {
        stack.instances.indices.map { stack.requestLines(of: $0).filter(isCounted).count }
    }

    /// Checks that every instance still runs.
    func expectInstancesAlive(sourceLocation: SourceLocation = #_sourceLocation) {
        for index in stack.instances.indices {
            #expect(stack.isRunning(index), "instance \(index) died:\n\(stack.log(of: index))", sourceLocation: sourceLocation)
        }
    }
}
