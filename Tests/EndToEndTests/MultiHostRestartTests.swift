import Foundation
import JobsTesting
import Testing

/// The database behind several app hosts goes away and comes back: a PostgreSQL server of the test's own, stopped
/// (`pg_ctl stop -m fast`) and started again while clients keep sending reads and deletions through nginx.
@Suite(.serialized)
struct MultiHostDatabaseRestartTests {
    @Test func theAppAnswers503WhileTheDatabaseIsDownAndRecoversWithoutRestartLosingNoAcknowledgedChange() throws {
        let server = try PostgresServer.start()
        defer { server.remove() }
        let database = try server.createDatabase()
        let stack = try UpstreamStack(.init(store: database.url))
        defer { stack.stop() }
        let tenant = try stack.createTenant("Acme")
        let base = "/public/\(tenant.project.key)"
        let key = tenant.key.secret
        let client = stack.client
        let pidsBefore = stack.instances.indices.map { stack.pid(of: $0) }

        // Four clients, each alternating a deletion of a new user and a read, until told to stop.
        let phase = TrafficPhase()
        let traffic = Thread {
            let outcomes = concurrently(threads: 4) { startLine -> [TrafficOutcome] in
                startLine.arriveAndWait()
                var outcomes: [TrafficOutcome] = []
                var number = 0
                while !phase.isStopping {
                    number += 1
                    let user = "user-\(UInt32.random(in: 0...UInt32.max))-\(number)@example.com"
                    let down = phase.isDown
                    outcomes.append(phase.counted(TrafficOutcome(user: user, databaseDown: down, result: Result {
                        try client.delete("\(base)/users/\(user)", key: key)
                    })))
                    outcomes.append(phase.counted(TrafficOutcome(user: nil, databaseDown: phase.isDown, result: Result {
                        try client.get("\(base)/jobs?limit=5", key: key)
                    })))
                    usleep(5_000)  // a pace for the clients, not a wait for anything
                }
                return outcomes
            }
            phase.finish(outcomes.flatMap { $0 })
        }
        traffic.start()

        // Each step waits for what shows the traffic went through the previous one, however slow the machine.
        // Before: deletions are acknowledged.
        #expect(eventually { phase.count(status: 200, whileDown: false) >= 40 }, "no traffic got through before")
        phase.setDown(true)
        try server.halt()
        // While down: the hosts answer 503 (several times, from the clients' requests).
        #expect(eventually { phase.count(status: 503, whileDown: true) >= 8 }, "no 503 while the database was down")
        try server.resume()
        phase.setDown(false)
        // Back: every host answers again, without being restarted (within seconds; the deadline is for a loaded
        // machine).
        let recovered = eventually {
            (0..<4).allSatisfy { _ in (try? client.get("\(base)/jobs?limit=5", key: key).status) == 200 }
        }
        // And the clients' own traffic gets through again.
        let answeredBack = phase.count(status: 200, whileDown: false)
        #expect(
            eventually { phase.count(status: 200, whileDown: false) >= answeredBack + 40 }, "no traffic after the return")
        phase.stop()
        let outcomes = phase.waitForOutcomes()

        #expect(recovered, "the app did not answer 200 within \(patientTimeout) s of the database's return")
        #expect(stack.instances.indices.map { stack.pid(of: $0) } == pidsBefore, "an instance was restarted")
        for index in stack.instances.indices {
            #expect(stack.isRunning(index), "instance \(index) died:\n\(stack.log(of: index))")
        }

        var statuses: [Int: Int] = [:]
        var acknowledged: Set<String> = []
        for outcome in outcomes {
            let response = try outcome.result.get()  // no request failed at the socket
            statuses[response.status, default: 0] += 1
            if response.status == 200 {
                if let user = outcome.user { acknowledged.insert(user) }
            } else {
                // Only the database's absence may fail a request: a JSON 503, never SQL text.
                #expect(response.status == 503, "\(response)")
                let message = try expectErrorBody(response)
                #expect(!message.lowercased().contains("postgres") && !message.contains("SQL"), "\(message)")
            }
        }
        print("requests during a database restart: \(statuses.sorted { $0.key < $1.key })")
        #expect(statuses[503, default: 0] > 0, "no 503 while the database was down: \(statuses)")
        #expect(outcomes.contains { $0.databaseDown && (try? $0.result.get().status) == 503 })
        #expect(acknowledged.count > 10, "\(statuses)")

        // Every deletion that was answered 200 is in the store, exactly once.
        let jobs = try stack.jobsctl(["job", "list", "--project", tenant.project.key])
        let stored = jobs.compactMap { $0["referenceId"]?.string }
        #expect(acknowledged.isSubset(of: Set(stored)), "lost: \(acknowledged.subtracting(stored).sorted().prefix(5))")
        #expect(stored.count == Set(stored).count)
        // And the app writes again after the restart.
        let after = try client.delete("\(base)/users/after-restart@example.com", key: key)
        #expect(after.status == 200, "\(after)")
    }
}

/// One request of the traffic: a deletion (with its user) or a read, and whether the database was down when sent.
struct TrafficOutcome: Sendable {
    var user: String?
    var databaseDown: Bool
    var result: Result<HTTPResponse, any Error>
}

/// The traffic's state, shared by the test and its client threads.
final class TrafficPhase: @unchecked Sendable {
    // Safe to share: every property is only touched with `condition` locked.
    private let condition = NSCondition()
    private var down = false
    private var stopping = false
    private var outcomes: [TrafficOutcome]?
    /// How many answers had each status so far, by whether the database was down when the request was sent.
    private var counts: [Bool: [Int: Int]] = [:]

    var isDown: Bool { condition.withLock { down } }
    var isStopping: Bool { condition.withLock { stopping } }

    func setDown(_ value: Bool) { condition.withLock { down = value } }

    /// Counts the outcome's status and returns it.
    func counted(_ outcome: TrafficOutcome) -> TrafficOutcome {
        if let status = try? outcome.result.get().status {
            condition.withLock { counts[outcome.databaseDown, default: [:]][status, default: 0] += 1 }
        }
        return outcome
    }

    /// How many answers so far had `status`, among the requests sent while the database was down or up.
    func count(status: Int, whileDown: Bool) -> Int { condition.withLock { counts[whileDown]?[status] ?? 0 } }

    func stop() { condition.withLock { stopping = true } }

    func finish(_ outcomes: [TrafficOutcome]) {
        condition.withLock {
            self.outcomes = outcomes
            condition.broadcast()
        }
    }

    func waitForOutcomes() -> [TrafficOutcome] {
        condition.lock()
        defer { condition.unlock() }
        while outcomes == nil { condition.wait() }
        return outcomes!
    }
}
