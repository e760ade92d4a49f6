import Foundation
import JobsTesting
import Testing

/// Crashes lose nothing: under a write load through nginx (cancels of distinct scheduled jobs and deletions of
/// distinct users, from many clients at once), the FastCGI process and the worker are killed with SIGKILL again
/// and again, each started again the way systemd would (``SupervisedApp`` for the app, a new `jobsctl worker` for
/// the worker). Afterwards every answer is checked against the store, a SQLite file (read with the `sqlite3`
/// shell, so deploy/test.sh's PostgreSQL pass skips this suite).
@Suite(.serialized)
struct CrashRecoveryTests {
    /// Kills in all, alternately the app and the worker, one every 0.6–1.4 s.
    static let kills = 20
    static let clients = 8
    /// Scheduled jobs (starting in 2100) for the clients to cancel, each at most once.
    static let cancelPool = 4000
    /// Jobs due now for the worker, each running 0.2 s: enough to keep it busy through the kills.
    static let dueJobs = 240
    static let leaseSeconds = 2

    /// One request of the load and what became of it.
    struct Outcome: Sendable {
        enum Request: Sendable {
            case cancel(Int64)
            case deletion(String)
        }

        var request: Request
        /// The HTTP status; `nil` when no answer came (the connection failed or was closed).
        var status: Int?
        /// The `data` of a 200.
        var data: JSONValue?
        var detail: String
    }

    @Test func killingTheAppAndTheWorkerRepeatedlyUnderLoadLosesNothing() throws {
        // New deletions start in 24 h: only the imported due jobs are the worker's, whatever the time of day.
        let stack = try Stack(.init(processes: 1, scheduleDelay: "24h", store: .sqlite))
        let tenant = try stack.createTenant("Crash")
        let project = tenant.project.key
        let key = tenant.key.secret
        let folder = try TemporaryDirectory(prefix: "jobs-e2e-crash")

        let pool = try stack.importJobs(
            project: project,
            lines: (0..<Self.cancelPool).map {
                #"{"referenceId":"pool-\#($0)@example.com","status":"scheduled","startAt":4102444800000}"#
            }
        ).map { try #require($0["jobId"]?.int) }
        let yesterday = Int64(Date.now.timeIntervalSince1970 * 1000) - 86_400_000
        let due = try stack.importJobs(
            project: project,
            lines: (0..<Self.dueJobs).map {
                #"{"referenceId":"due-\#($0)@example.com","status":"scheduled","startAt":\#(yesterday)}"#
            }
        ).map { try #require($0["jobId"]?.int) }

        // Each program notes its parent (the worker) and itself when it starts, so that a worker is killed while a
        // program of its own runs.
        let action = try folder.writeExecutable(
            "action",
            "#!/bin/sh\necho \"$PPID $$\" >> '\(folder.path)/started'\ncat >/dev/null\nsleep 0.2\n"
                + "echo \"$JOB_ID\" >> '\(folder.path)/ran'\n")
        let workerArguments = [
            "--poll-seconds", "0.1", "--lease-seconds", String(Self.leaseSeconds), "--concurrency", "4",
            "--grace-seconds", "1", "--action", "delete_user_data=\(action)",
        ]
        let app = try SupervisedApp(stack: stack)
        defer { app.stop() }
        var worker = try stack.startWorker(workerArguments)

        // The load: each client alternates a cancel of the next pool job and a deletion of a new user.
        let client = HTTPClient(port: stack.port, timeout: 10)
        let loading = Locked(true)
        let nextPoolIndex = Locked(0)
        let outcomes = Locked<[Outcome]>([])
        let loadDone = DispatchGroup()
        for number in 0..<Self.clients {
            loadDone.enter()
            Thread.detachNewThread {
                defer { loadDone.leave() }
                var sent = 0
                while loading.current {
                    sent += 1
                    let request: Outcome.Request
                    let path: String
                    let index = sent.isMultiple(of: 2) ? nextPoolIndex.withLock { index in
                        defer { index += 1 }
                        return index
                    } : Int.max
                    if index < pool.count {
                        request = .cancel(pool[index])
                        path = "/public/\(project)/jobs/\(pool[index])"
                    } else {
                        let user = "crash-\(number)-\(sent)@example.com"
                        request = .deletion(user)
                        path = "/public/\(project)/users/\(user)"
                    }
                    var outcome = Outcome(request: request, status: nil, data: nil, detail: "")
                    do {
                        let response = try client.delete(path, key: key)
                        outcome.status = response.status
                        outcome.detail = response.description
                        if response.status == 200 { outcome.data = try response.json()["data"] }
                    } catch {
                        outcome.detail = "\(error)"
                    }
                    outcomes.withLock { $0.append(outcome) }
                }
            }
        }

        // The crashes, with systemd's restarts: the app by its supervisor, the worker here. Each kill comes at a
        // random moment (the sleep is the chaos, not a wait for anything), but only once the system has made
        // progress since the last one: some requests answered 200, or a program of this worker running. So a slow
        // machine gets the same crashes into the same work as a fast one, only later.
        var killedApps: [pid_t] = []
        var killedWorkers: [pid_t] = []
        var workersKilledMidProgram = 0
        for kill in 0..<Self.kills {
            Thread.sleep(forTimeInterval: Double.random(in: 0.6...1.4))
            if kill.isMultiple(of: 2) {
                let answeredBefore = outcomes.current.filter { $0.status == 200 }.count
                #expect(
                    eventually { outcomes.current.filter { $0.status == 200 }.count >= answeredBefore + 10 },
                    "no request was answered 200 since the last kill")
                // Right after a restart the new process may not be up yet: wait for it, then kill it.
                _ = eventually { app.pid != nil }
                if let pid = app.killProcess() { killedApps.append(pid) }
            } else {
                // While it has work: a program it started still runs (or no due job is left to give it one).
                let programRuns = eventually {
                    runningPrograms(of: worker.pid, in: folder).count > 0
                        || (try? stack.query(
                            "SELECT count(*) AS n FROM jobs WHERE reference_id LIKE 'due-%' AND status = 'scheduled'"))?
                            .first?["n"]?.int == 0
                }
                if !runningPrograms(of: worker.pid, in: folder).isEmpty { workersKilledMidProgram += 1 }
                #expect(programRuns, "the worker started no program: \(worker.log)")
                killedWorkers.append(worker.pid)
                worker.send(SIGKILL)
                #expect(worker.waitForExit(timeout: patientTimeout) == 128 + SIGKILL)
                worker = try stack.startWorker(workerArguments)
            }
        }
        loading.withLock { $0 = false }
        loadDone.wait()
        try stack.waitUntilServing()

        let results = outcomes.current
        let answered = results.filter { $0.status == 200 }
        print(
            "crash loop: \(results.count) requests, \(answered.count) answered 200, "
                + "\(results.filter { $0.status == nil }.count) without an answer, "
                + "statuses \(Dictionary(grouping: results, by: { $0.status ?? 0 }).mapValues(\.count)); "
                + "app killed \(killedApps.count) times (\(app.restartCount) restarts), worker \(killedWorkers.count)")
        #expect(killedApps.count == Self.kills / 2)
        #expect(app.restartCount >= killedApps.count)
        #expect(answered.count > 100, "the load hardly got through: \(results.count) requests")
        // Only a gateway error or no answer while the app was down; nothing else.
        let unexpected = results.filter { ![200, 502, 503, 504, nil].contains($0.status) }
        #expect(unexpected.isEmpty, "\(unexpected.prefix(5).map(\.detail))")

        // Every due job is completed, also those that a killed worker left running: the restarted worker took
        // them over once their lease had expired.
        let allDone = try eventually(timeout: 5 * patientTimeout) {
            try stack.query("SELECT count(*) AS n FROM jobs WHERE reference_id LIKE 'due-%' AND status <> 'completed'")
                .first?["n"]?.int == 0
        }
        let left = try stack.query(
            "SELECT id, status, lease_owner, lease_expires_at FROM jobs WHERE status IN ('running') OR "
                + "(reference_id LIKE 'due-%' AND status <> 'completed')")
        #expect(allDone, "jobs not completed: \(left)")
        #expect(left.isEmpty, "\(left)")
        let runs = (folder.contents(of: "ran") ?? "").split(separator: "\n").compactMap { Int64($0) }
        let ran = Set(runs)
        #expect(Set(due).isSubset(of: ran), "never run: \(Set(due).subtracting(ran).sorted().prefix(10))")
        // Jobs whose worker was killed while their program ran were run again by the next worker (the orphaned
        // program of the killed one finishes on its own, as actions must be safe to run twice).
        print(
            "crash loop: \(runs.count - ran.count) program runs repeated a job a killed worker had left running; "
                + "\(workersKilledMidProgram) of \(killedWorkers.count) workers killed while a program of theirs ran")
        #expect(runs.count > ran.count, "no job was taken over from a killed worker")
        try worker.stop()

        try checkStore(stack, outcomes: results, pool: Set(pool), projectID: tenant.project.id)
    }

    /// The pids of the programs that worker `worker` started (from the `started` file they write) that still run.
    func runningPrograms(of worker: pid_t, in folder: TemporaryDirectory) -> [pid_t] {
        (folder.contents(of: "started") ?? "").split(separator: "\n").compactMap { line -> pid_t? in
            let fields = line.split(separator: " ").compactMap { pid_t($0) }
            guard fields.count == 2, fields[0] == worker, ProcessStatus.isAlive(fields[1]) else { return nil }
            return fields[1]
        }
    }

    /// The store after the crashes: sound, every 200 in it, nothing half-applied, at most one active job a user.
    func checkStore(_ stack: Stack, outcomes: [Outcome], pool: Set<Int64>, projectID: Int64) throws {
        #expect(try stack.integrityCheck() == "ok")
        let rows = try stack.query(
            "SELECT id, project_id, action, reference_id, description, status, created_at, updated_at, start_at, "
                + "lease_owner, lease_expires_at FROM jobs")
        var jobs: [Int64: JSONValue] = [:]
        var byUser: [String: [JSONValue]] = [:]
        for row in rows {
            let id = try #require(row["id"]?.int)
            jobs[id] = row
            byUser[row["reference_id"]?.string ?? "", default: []].append(row)
            // Whole rows only: every required field, a known status, no lease left on a finished job.
            for column in ["project_id", "created_at", "start_at"] {
                #expect(row[column]?.int != nil, "\(column) of \(row)")
            }
            for column in ["action", "reference_id", "description"] {
                #expect(row[column]?.string?.isEmpty == false, "\(column) of \(row)")
            }
            let status = row["status"]?.string ?? ""
            #expect(["scheduled", "running", "completed", "failed", "cancelled"].contains(status), "\(row)")
            if status != "running" { #expect(row["lease_owner"]?.isNull == true, "\(row)") }
        }

        for outcome in outcomes {
            switch outcome.request {
            case .cancel(let id):
                let row = try #require(jobs[id], "job \(id) is gone")
                let status = row["status"]?.string
                if outcome.status == 200 {
                    #expect(status == "cancelled", "cancel of \(id) answered 200, the store has \(row)")
                    #expect(outcome.data?["status"]?.string == "cancelled", "\(outcome.detail)")
                    #expect(outcome.data?["jobId"]?.int == id)
                    #expect(row["updated_at"]?.int == outcome.data?["updatedAt"]?.int, "\(row) vs \(outcome.detail)")
                } else {
                    // Either applied whole or not at all.
                    #expect(status == "scheduled" || status == "cancelled", "\(row)")
                    if status == "scheduled" { #expect(row["updated_at"]?.isNull == true, "\(row)") }
                    if status == "cancelled" { #expect(row["updated_at"]?.int != nil, "\(row)") }
                }
            case .deletion(let user):
                let stored = byUser[user] ?? []
                #expect(stored.count <= 1, "user \(user) has \(stored.count) jobs: \(stored)")
                if outcome.status == 200 {
                    let id = try #require(outcome.data?["jobId"]?.int, "\(outcome.detail)")
                    let row = try #require(jobs[id], "deletion of \(user) answered 200 with job \(id), not stored")
                    #expect(row["reference_id"]?.string == user)
                    #expect(row["project_id"]?.int == projectID)
                    #expect(row["status"]?.string == "scheduled", "\(row)")
                    #expect(row["created_at"]?.int == outcome.data?["createdAt"]?.int, "\(row) vs \(outcome.detail)")
                } else if let row = stored.first {
                    #expect(row["status"]?.string == "scheduled", "\(row)")
                }
            }
        }
        // No job the load did not ask for, and untouched pool jobs are as imported.
        let requestedUsers = Set(outcomes.compactMap { outcome -> String? in
            if case .deletion(let user) = outcome.request { return user }
            return nil
        })
        for (user, stored) in byUser where user.hasPrefix("crash-") {
            #expect(requestedUsers.contains(user), "\(stored) was never requested")
        }
        for id in pool {
            let row = try #require(jobs[id])
            #expect(["scheduled", "cancelled"].contains(row["status"]?.string ?? ""), "\(row)")
        }
        // Every project's jobs, in id order, hold the positions after its base with no gap and no repeat, up
        // to its last position (what list pages rely on): an insert is never half-applied to them.
        let misplaced = try stack.query(
            "SELECT id, position, expected FROM (SELECT j.id, j.position, p.position_base + row_number() OVER "
                + "(PARTITION BY j.project_id ORDER BY j.id) AS expected FROM jobs j JOIN projects p "
                + "ON p.id = j.project_id) WHERE position <> expected LIMIT 5")
        #expect(misplaced.isEmpty, "\(misplaced)")
        let counters = try stack.query(
            "SELECT p.id FROM projects p WHERE p.last_position <> p.position_base + "
                + "(SELECT count(*) FROM jobs j WHERE j.project_id = p.id)")
        #expect(counters.isEmpty, "projects whose last position does not match their jobs: \(counters)")
        // At most one active job per user and project (the store's own rule, checked from outside).
        let duplicates = try stack.query(
            "SELECT project_id, reference_id, count(*) AS n FROM jobs WHERE status IN ('scheduled', 'running') "
                + "GROUP BY project_id, reference_id HAVING count(*) > 1")
        #expect(duplicates.isEmpty, "\(duplicates)")
    }
}
