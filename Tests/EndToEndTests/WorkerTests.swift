import Foundation
import JobsTesting
import Testing

/// `jobsctl worker` next to the real stack: deletions requested through nginx are claimed, run by the
/// configured program, and finished, cancelled, failed or taken over as the contract says. Each test has a
/// stack (and store) of its own; short leases and polls keep each one within seconds.
@Suite
struct WorkerTests {
    /// A time long past: a job starting then is due.
    static let yesterday = Int64(Date.now.timeIntervalSince1970 * 1000) - 86_400_000
    /// A time far ahead: a job starting then stays scheduled.
    static let farFuture: Int64 = 4_102_444_800_000

    @Test func aRequestedDeletionGoesScheduledRunningCompleted() throws {
        let fixture = try WorkerFixture()
        // The program goes on only once the test has seen the job running: no race between the two.
        let worker = try fixture.stack.startWorker(
            ["--poll-seconds", "0.1"]
                + fixture.action("\(shellWaitingForFile("\"$DIR/go\""))\necho \"$JOB_ID\" >> \"$DIR/ran\""))

        let requested = try fixture.requestDeletion("shekar@example.com")
        let id = try #require(requested["jobId"]?.int)
        let running = try fixture.waitForJob(id, status: "running")
        #expect(running["updatedAt"]?.int != nil)
        #expect(fixture.lines(of: "ran").isEmpty)
        try fixture.folder.write("go")
        let completed = try fixture.waitForJob(id, status: "completed")
        expectJobShape(completed)
        #expect(completed["errors"]?.isNull == true)
        #expect(try #require(completed["updatedAt"]?.int) >= running["updatedAt"]?.int ?? .max)
        #expect(fixture.lines(of: "ran") == [String(id)])
        // Finished: a new request for the same user is accepted.
        _ = try fixture.requestDeletion("shekar@example.com")

        try worker.stop()
        let lines = worker.logLines(forJob: id)
        #expect(lines.count == 2, "\(worker.log)")
        #expect(lines.first?.contains("job \(id) (project \(fixture.stackFixture.tenant.project.id), delete_user_data): scheduled → running") == true)
        #expect(lines.last?.contains("running → completed after") == true)
    }

    @Test func theProgramGetsTheJobInItsEnvironmentAndOnItsInput() throws {
        let fixture = try WorkerFixture()
        // An untrusted user id: it reaches the program as a value, never as a path or a shell word.
        let user = "../../etc/passwd zoë $(touch pwned) \"quoted\""
        let requested = try fixture.requestDeletion(user)
        let id = try #require(requested["jobId"]?.int)
        let result = try fixture.stack.runWorkerOnce(
            fixture.action(#"""
                cat > "$DIR/input-$JOB_ID.json"
                printf '%s\n%s\n%s\n%s\n%s\n' "$JOB_ID" "$PROJECT_ID" "$PROJECT_KEY" "$ACTION" "$REFERENCE_ID" \
                    > "$DIR/variables-$JOB_ID"
                """#))
        #expect(result.succeeded, "\(result.errorOutput)")

        let completed = try fixture.job(id)
        #expect(completed["status"]?.string == "completed")
        #expect(
            fixture.lines(of: "variables-\(id)")
                == [String(id), String(fixture.stackFixture.tenant.project.id), fixture.projectKey, "delete_user_data", user])
        // The job as the API showed it while it ran.
        let input = try JSONValue(parsing: try #require(fixture.folder.contents(of: "input-\(id).json")))
        expectJobShape(input)
        #expect(input["status"]?.string == "running")
        for key in jobKeys where key != "status" && key != "updatedAt" {
            #expect(input[key] == completed[key], "\(key)")
        }
        #expect(!fixture.folder.exists("pwned"))
    }

    @Test func theProgramGetsOnlyTheAllowedPartOfTheWorkersEnvironment() throws {
        let fixture = try WorkerFixture()
        let id = try #require(try fixture.requestDeletion("env@example.com")["jobId"]?.int)
        let result = try fixture.stack.runWorkerOnce(
            fixture.action(#"env > "$DIR/environment-$JOB_ID""#) + ["--action-env", "USER_DATA_DIR"],
            environment: [
                "LANG": "C.UTF-8", "LC_TIME": "C", "USER_DATA_DIR": "/srv/app-data", "PGPASSWORD": "secret",
                "PGHOST": "db.example", "UNNAMED_SETTING": "kept back",
            ])
        #expect(result.succeeded, "\(result.errorOutput)")
        #expect(try fixture.job(id)["status"]?.string == "completed")

        var seen: [String: String] = [:]
        for line in fixture.lines(of: "environment-\(id)") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            seen[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        // `sh` adds PWD (and may add SHLVL, _) itself; everything else came from the worker.
        let added: Set<String> = ["PWD", "SHLVL", "_", "OLDPWD"]
        #expect(
            Set(seen.keys).subtracting(added)
                == ["PATH", "LANG", "LC_TIME", "USER_DATA_DIR", "JOB_ID", "PROJECT_ID", "PROJECT_KEY", "ACTION",
                    "REFERENCE_ID"])
        #expect(seen["USER_DATA_DIR"] == "/srv/app-data")
        #expect(seen["REFERENCE_ID"] == "env@example.com")
        #expect(seen["JOBS_STORE"] == nil && seen["PGPASSWORD"] == nil && seen["PGHOST"] == nil)
    }

    @Test func aSecretVariableCannotBeNamedForActions() throws {
        let fixture = try WorkerFixture()
        for name in ["JOBS_STORE", "PGPASSWORD"] {
            let result = try fixture.stack.runWorkerOnce(fixture.action("true") + ["--action-env", name])
            #expect(!result.succeeded)
            #expect(result.errorOutput.contains("\(name): never passed to actions"), "\(result.errorOutput)")
        }
    }

    @Test func aDueJobIsRunANotYetDueOneIsUntouchedAndACancelledOneNeverRuns() throws {
        let fixture = try WorkerFixture()
        let project = fixture.projectKey
        let due = try fixture.stack.createJob(project: project, user: "due@example.com", startAt: Self.yesterday)
        let later = try fixture.stack.createJob(project: project, user: "later@example.com", startAt: Self.farFuture)
        let cancelled = try fixture.requestDeletion("cancelled@example.com")
        let dueID = try #require(due["jobId"]?.int)
        let laterID = try #require(later["jobId"]?.int)
        let cancelledID = try #require(cancelled["jobId"]?.int)
        try fixture.cancel(cancelledID)
        let cancelledBefore = try fixture.job(cancelledID)

        let result = try fixture.stack.runWorkerOnce(fixture.action("echo \"$JOB_ID\" >> \"$DIR/ran\""))
        #expect(result.succeeded, "\(result.errorOutput)")

        #expect(try fixture.job(dueID)["status"]?.string == "completed")
        #expect(try fixture.job(laterID) == later)
        #expect(try fixture.job(cancelledID) == cancelledBefore)
        #expect(fixture.lines(of: "ran") == [String(dueID)])
    }

    @Test func jobsThatBecameDueWhileNoWorkerRanAreRunWhenOneStarts() throws {
        let fixture = try WorkerFixture()
        // A nightly run that was missed (due yesterday), and a deletion requested while no worker ran.
        let missed = try fixture.stack.createJob(
            project: fixture.projectKey, user: "missed@example.com", startAt: Self.yesterday)
        let requested = try fixture.requestDeletion("waiting@example.com")
        let ids = [try #require(missed["jobId"]?.int), try #require(requested["jobId"]?.int)]
        // Both are due already when the worker starts (the stack schedules new deletions at once).
        let now = Int64(Date.now.timeIntervalSince1970 * 1000)
        for job in [missed, requested] {
            #expect(job["status"]?.string == "scheduled")
            #expect(try #require(job["startAt"]?.int) <= now, "\(job)")
        }

        // A poll interval of an hour: the jobs are done at once on start or not within the test at all.
        let worker = try fixture.stack.startWorker(
            ["--poll-seconds", "3600"] + fixture.action("echo \"$JOB_ID\" >> \"$DIR/ran\""))
        for id in ids { try fixture.waitForJob(id, status: "completed") }
        #expect(fixture.lines(of: "ran").sorted() == ids.map(String.init).sorted())
        try worker.stop()
    }

    @Test func aFailingProgramFailsTheJobWithItsMessage() throws {
        let fixture = try WorkerFixture()
        let id = try #require(try fixture.requestDeletion("grace@example.com")["jobId"]?.int)
        let result = try fixture.stack.runWorkerOnce(
            fixture.action("echo 'deleting batch 1' >&2\necho 'session store unreachable' >&2\nexit 3"))
        #expect(result.succeeded, "\(result.errorOutput)")
        let failed = try fixture.job(id)
        #expect(failed["status"]?.string == "failed")
        #expect(failed["errors"]?.string == "exited with status 3: deleting batch 1\nsession store unreachable")
        #expect(result.errorOutput.contains("running → failed"))
    }

    @Test func aWorkerWithoutAnyActionRefusesToStartInOneLineAndTheJobWaits() throws {
        let fixture = try WorkerFixture()
        let id = try #require(try fixture.requestDeletion("alan@example.com")["jobId"]?.int)
        let result = try fixture.stack.runWorkerOnce([])  // no --action, no JOBS_WORKER_ACTIONS
        #expect(result.status != 0)
        #expect(result.errorOutput.split(separator: "\n").count == 1, "\(result.errorOutput)")
        #expect(result.errorOutput.contains("no action is configured"), "\(result.errorOutput)")
        // Nothing was claimed: the job runs once a worker with a program for its action starts.
        #expect(try fixture.job(id)["status"]?.string == "scheduled")
        let empty = try fixture.stack.runWorkerOnce([], environment: ["JOBS_WORKER_ACTIONS": " "])
        #expect(empty.status != 0 && empty.errorOutput.contains("no action is configured"), "\(empty.errorOutput)")
    }

    @Test func aWorkerWhoseProgramIsMissingRefusesToStartAndTheJobWaits() throws {
        let fixture = try WorkerFixture()
        let id = try #require(try fixture.requestDeletion("typo@example.com")["jobId"]?.int)
        let result = try fixture.stack.runWorkerOnce(
            ["--action", "delete_user_data=\(fixture.folder.appending("no-such-program"))"])
        #expect(result.status != 0)
        #expect(result.errorOutput.contains("no-such-program"), "\(result.errorOutput)")
        // Nothing was claimed: the job runs once the operator fixes the setting.
        #expect(try fixture.job(id)["status"]?.string == "scheduled")
    }

    @Test(arguments: [
        ("kill -KILL $$", [], "killed by SIGKILL"),
        ("sleep 30", ["--action-timeout", "1s"], "timed out after 1 s"),
    ])
    func aProgramKilledByASignalOrPastItsTimeoutFailsTheJob(script: String, options: [String], errors: String) throws {
        let fixture = try WorkerFixture()
        let id = try #require(try fixture.requestDeletion("ken@example.com")["jobId"]?.int)
        let started = Date()
        let result = try fixture.stack.runWorkerOnce(options + fixture.action(script))
        #expect(result.succeeded, "\(result.errorOutput)")
        // Well under the 30 s the program would sleep if it were not stopped (a loaded machine adds seconds).
        let took = Date().timeIntervalSince(started)
        print("worker --once with \(script): \(String(format: "%.3f", took)) s")
        #expect(took < 20, "the worker took \(took) s: it waited for the program instead of stopping it")
        let failed = try fixture.job(id)
        #expect(failed["status"]?.string == "failed")
        #expect(failed["errors"]?.string == errors)
    }

    @Test func cancellingARunningJobStopsItsProgramAndTheJobStaysCancelled() throws {
        let fixture = try WorkerFixture()
        let worker = try fixture.stack.startWorker(
            ["--poll-seconds", "0.1"]
                + fixture.action("echo $$ > \"$DIR/pid\"\nsleep 30\ntouch \"$DIR/finished\""))
        let id = try #require(try fixture.requestDeletion("barbara@example.com")["jobId"]?.int)
        try fixture.waitForJob(id, status: "running")
        let pid = try fixture.pid(in: "pid")
        let cancelled = try fixture.cancel(id)

        let exits = ProcessStatus.waitForExit(of: [pid], timeout: patientTimeout)
        let stoppedAfter = try #require(exits[pid], "the program still runs \(patientTimeout) s after the cancel")
        print("cancel → program stopped in \(String(format: "%.3f", stoppedAfter)) s")
        // The contract's bound (docs/JOBS_API.md); the worker watches every 0.5 s, so it holds on a loaded machine.
        #expect(stoppedAfter < 5, "the contract allows 5 s; the worker watches every 0.5 s")
        // The program ended without finishing (its `touch` comes after a 30 s sleep: it was stopped, not done).
        #expect(!fixture.folder.exists("finished"))
        // The worker has dealt with the run's end (its last line for the job), and the job stayed cancelled.
        #expect(
            eventually { worker.logLines(forJob: id).last?.contains("running → cancelled") == true }, "\(worker.log)")
        #expect(try fixture.job(id) == cancelled)
        try worker.stop()
        #expect(try fixture.job(id) == cancelled)
        #expect(worker.logLines(forJob: id).last?.contains("running → cancelled") == true, "\(worker.log)")
    }

    @Test func aResultThatArrivesAfterTheCancelIsRefusedAndTheJobStaysCancelled() throws {
        let fixture = try WorkerFixture()
        let worker = try fixture.stack.startWorker(
            ["--poll-seconds", "0.1"]
                + fixture.action("""
                    echo $$ > "$DIR/pid"
                    \(shellWaitingForFile("\"$DIR/go\""))
                    touch "$DIR/finished"
                    """))
        let id = try #require(try fixture.requestDeletion("edsger@example.com")["jobId"]?.int)
        try fixture.waitForJob(id, status: "running")
        let pid = try fixture.pid(in: "pid")

        // The worker is frozen while the job is cancelled and its program finishes its work: when it wakes, the
        // first thing it sees is a program that exited 0, and it writes `completed`, which must be refused.
        worker.send(SIGSTOP)
        let cancelled = try fixture.cancel(id)
        try fixture.folder.write("go")
        // The program has exited (a zombie until the frozen worker reaps it), not merely written its file.
        #expect(eventually { fixture.folder.exists("finished") && !ProcessStatus.isAlive(pid) })
        worker.send(SIGCONT)

        #expect(eventually { worker.logLines(forJob: id).count >= 2 }, "\(worker.log)")
        let ending = worker.logLines(forJob: id).last ?? ""
        // Nearly always the refused write; if the freeze caught the worker inside a lease renewal, the renewal
        // learns of the cancel first. Either way nothing overwrites `cancelled`.
        #expect(ending.contains("running → completed refused") || ending.contains("running → cancelled"), "\(ending)")
        #expect(try fixture.job(id) == cancelled)
        // Once the worker has exited it can write nothing more: the job is still as the cancel left it.
        try worker.stop()
        #expect(try fixture.job(id) == cancelled)
    }

    @Test func aKilledWorkerOfAnotherHostsJobIsRunAgainOnceItsLeaseExpires() throws {
        let fixture = try WorkerFixture()
        // Each start is logged with the time it began (milliseconds, the clock the store's leases use). The first
        // run never ends by itself; the second one ends at once.
        let script = """
            echo "$JOB_ID $$ $(date +%s%3N)" >> "$DIR/starts"
            [ -e "$DIR/second" ] || sleep 30
            echo "$JOB_ID" >> "$DIR/done"
            """
        let first = try fixture.stack.startWorker(
            ["--poll-seconds", "0.1", "--lease-seconds", "2"] + fixture.action(script))
        let id = try #require(try fixture.requestDeletion("linus@example.com")["jobId"]?.int)
        #expect(eventually { fixture.lines(of: "starts").count == 1 })

        first.send(SIGKILL)
        #expect(first.waitForExit(timeout: patientTimeout) == 128 + SIGKILL)
        #expect(try fixture.job(id)["status"]?.string == "running")
        // The dead worker can renew nothing more: the lease it left is final.
        let leaseExpiresAt = try #require(try fixture.leaseExpiresAt(id), "the running job has no lease")
        let firstProgram = try #require(pid_t(fixture.lines(of: "starts").first?.split(separator: " ")[1] ?? ""))
        // As a worker of another host left it: the second worker cannot tell whether that one is gone.
        let owner = try #require(try fixture.leaseOwner(id))
        let elsewhere = "elsewhere" + owner.drop { $0 != "/" }
        try fixture.setLeaseOwner(id, to: elsewhere)
        defer { kill(firstProgram, SIGKILL) }  // the killed worker's program: an orphan now, as after any crash
        try fixture.folder.write("second")

        let second = try fixture.stack.startWorker(
            ["--poll-seconds", "0.1", "--lease-seconds", "2"] + fixture.action(script))
        try fixture.waitForJob(id, status: "completed", timeout: patientTimeout)
        let starts = fixture.lines(of: "starts")
        #expect(starts.count == 2, "\(starts)")
        // Until the dead worker's lease expired, the job was still its and nobody ran it: the second run began
        // after that, however long the second worker took to start (a time, not a sleep, decides it).
        let secondStart = try #require(Int64(starts.last?.split(separator: " ").last ?? ""), "\(starts)")
        #expect(
            secondStart >= leaseExpiresAt,
            "run again at \(secondStart), \(leaseExpiresAt - secondStart) ms before the dead worker's lease expired")
        try second.stop()
        #expect(second.logLines(forJob: id).first?.contains("taken over") == true, "\(second.log)")
        #expect(!second.log.contains("is gone"), "\(second.log)")
    }

    /// A program that notes its start (`JOB_ID PID` in `starts`) and blocks until the file `go` exists.
    static let blockedUntilGo = """
        echo "$JOB_ID $$" >> "$DIR/starts"
        while [ ! -e "$DIR/go" ]; do sleep 0.05; done
        echo "$JOB_ID" >> "$DIR/done"
        """

    @Test func aKilledWorkersJobIsTakenOverAtOnceByAWorkerOfTheSameHostDespiteALongLease() throws {
        let fixture = try WorkerFixture()
        let arguments = ["--poll-seconds", "0.1", "--lease-seconds", "600"] + (try fixture.action(Self.blockedUntilGo))
        let first = try fixture.stack.startWorker(arguments)
        let id = try #require(try fixture.requestDeletion("grace@example.com")["jobId"]?.int)
        #expect(eventually { fixture.lines(of: "starts").count == 1 })
        let firstOwner = try #require(try fixture.leaseOwner(id))
        // HOST/PID/RANDOM/START/BOOT-ID/PID-NAMESPACE: the worker's process, precisely.
        let parts = firstOwner.split(separator: "/")
        #expect(parts.count == 6 && parts[1] == "\(first.pid)", "\(firstOwner)")

        first.send(SIGKILL)
        #expect(first.waitForExit(timeout: patientTimeout) == 128 + SIGKILL)
        let leaseExpiresAt = try #require(try fixture.leaseExpiresAt(id))
        let firstProgram = try #require(pid_t(fixture.lines(of: "starts").first?.split(separator: " ")[1] ?? ""))
        defer { kill(firstProgram, SIGKILL) }  // the killed worker's program: an orphan now, as after any crash

        let second = try fixture.stack.startWorker(arguments)
        // Within seconds, not the ten minutes the dead worker's lease still had to run.
        #expect(eventually(timeout: patientTimeout) { fixture.lines(of: "starts").count == 2 }, "\(second.log)")
        let secondOwner = try #require(try fixture.leaseOwner(id))
        #expect(secondOwner != firstOwner)
        #expect(Int64(Date.now.timeIntervalSince1970 * 1000) < leaseExpiresAt - 500_000)
        try fixture.folder.write("go")
        try fixture.waitForJob(id, status: "completed")
        try second.stop()
        let lines = second.logLines(forJob: id)
        #expect(second.log.contains("job \(id): its worker \(firstOwner) is gone (same host); lease released"),
                "\(second.log)")
        #expect(lines.first?.contains("taken over") == true, "\(second.log)")
        #expect(!second.log.contains("grace@example.com"))
    }

    @Test func aLiveWorkersJobIsNeverTakenByAnotherWorkerOfTheSameHost() throws {
        let fixture = try WorkerFixture()
        let arguments = ["--poll-seconds", "0.1", "--lease-seconds", "600", "--concurrency", "1"]
            + (try fixture.action("[ \"$REFERENCE_ID\" = held@example.com ] || exit 0\n" + Self.blockedUntilGo))
        let first = try fixture.stack.startWorker(arguments)
        let held = try #require(try fixture.requestDeletion("held@example.com")["jobId"]?.int)
        #expect(eventually { fixture.lines(of: "starts").count == 1 })
        let firstOwner = try #require(try fixture.leaseOwner(held))

        // The second worker claims (and first looks for gone workers) before each of these two jobs runs: it has
        // seen the held job's owner, alive, at least twice by the time the second one is completed.
        let second = try fixture.stack.startWorker(arguments)
        for user in ["other-1@example.com", "other-2@example.com"] {
            let id = try #require(try fixture.requestDeletion(user)["jobId"]?.int)
            try fixture.waitForJob(id, status: "completed")
        }
        #expect(fixture.lines(of: "starts").count == 1)
        #expect(try fixture.leaseOwner(held) == firstOwner)
        #expect(!second.log.contains("is gone"), "\(second.log)")
        #expect(second.logLines(forJob: held).isEmpty, "\(second.log)")

        try fixture.folder.write("go")
        try fixture.waitForJob(held, status: "completed")
        try first.stop()
        try second.stop()
        #expect(fixture.lines(of: "done") == ["\(held)"])
        #expect(first.logLines(forJob: held).last?.contains("running → completed") == true, "\(first.log)")
    }

    @Test func twoWorkersRacingOver200DueJobsRunEachExactlyOnce() throws {
        let fixture = try WorkerFixture()
        let lines = (0..<200).map { #"{"referenceId":"racer-\#($0)@example.com","status":"scheduled","startAt":1000}"# }
        let jobs = try fixture.stack.importJobs(project: fixture.projectKey, lines: lines)
        let ids = jobs.compactMap { $0["jobId"]?.int }
        #expect(ids.count == 200)

        // O_APPEND (>>): each line lands whole at the end, whichever program writes it.
        let action = try fixture.action("echo \"$JOB_ID\" >> \"$DIR/ran\"")
        let arguments = ["--once", "--concurrency", "4", "--poll-seconds", "0.1", "--lease-seconds", "5"] + action
        let workers = try (0..<2).map { _ in try fixture.stack.startWorker(arguments) }
        for worker in workers {
            #expect(worker.waitForExit(timeout: 5 * patientTimeout) == 0, "\(worker.log)")
        }

        let ran = fixture.lines(of: "ran").compactMap { Int64($0) }
        #expect(ran.count == 200)
        #expect(Set(ran) == Set(ids))
        let completed = try fixture.stack.jobsctl(["job", "list", "--project", fixture.projectKey, "--status", "completed"])
        #expect(completed.count == 200)
        let shares = workers.map { $0.log.components(separatedBy: "scheduled → running").count - 1 }
        print("200 jobs shared by two workers: \(shares)")
        #expect(shares.reduce(0, +) == 200)
    }

    @Test(arguments: [true, false])
    func sigtermWhileAJobRunsFinishesItOrReleasesIt(programFinishesInTime: Bool) throws {
        let fixture = try WorkerFixture()
        // The program that finishes in time goes on only once the worker has taken the SIGTERM (the test says
        // when); the other one would take 30 s.
        let script = programFinishesInTime
            ? "touch \"$DIR/started\"\n\(shellWaitingForFile("\"$DIR/go\""))\necho \"$JOB_ID\" >> \"$DIR/done\""
            : "touch \"$DIR/started\"\nsleep 30\necho \"$JOB_ID\" >> \"$DIR/done\""
        // A long lease: if the job were left leased, the next worker could not take it for two minutes.
        let worker = try fixture.stack.startWorker(
            ["--poll-seconds", "0.1", "--lease-seconds", "120", "--grace-seconds", programFinishesInTime ? "60" : "1"]
                + fixture.action(script))
        let id = try #require(try fixture.requestDeletion("dennis@example.com")["jobId"]?.int)
        #expect(eventually { fixture.folder.exists("started") })

        if programFinishesInTime {
            worker.send(SIGTERM)
            #expect(eventually { worker.log.contains("SIGTERM: claiming no more jobs") }, "\(worker.log)")
            // Stopping, the worker still waits for the running program.
            #expect(worker.isRunning)
            try fixture.folder.write("go")
            #expect(worker.waitForExit(timeout: patientTimeout) == 0, "\(worker.log)")
            #expect(try fixture.job(id)["status"]?.string == "completed")
            #expect(fixture.lines(of: "done") == [String(id)])
        } else {
            let stoppedAt = Date()
            #expect(try worker.stop(timeout: patientTimeout) == 0, "\(worker.log)")
            let stopTime = Date().timeIntervalSince(stoppedAt)
            print("worker stopped \(String(format: "%.3f", stopTime)) s after SIGTERM (1 s grace, program of 30 s)")
            // 1 s grace, then SIGTERM ends `sleep` at once: well under the 30 s of a worker that waited for it,
            // with room for a loaded machine.
            #expect(stopTime < 20, "the worker took \(stopTime) s to stop: did it wait for its program?")
            #expect(try fixture.job(id)["status"]?.string == "running")
            #expect(worker.log.contains("lease released"), "\(worker.log)")
            // Released, not left to its two-minute lease: the next worker runs it at once.
            let next = try fixture.stack.startWorker(["--poll-seconds", "0.1"] + fixture.action("exit 0", name: "quick"))
            try fixture.waitForJob(id, status: "completed", timeout: patientTimeout)
            try next.stop()
            #expect(fixture.lines(of: "done").isEmpty)
        }
        #expect(worker.log.contains("stopped on SIGTERM"), "\(worker.log)")
    }
}
