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
        let worker = try fixture.stack.startWorker(
            ["--poll-seconds", "0.1"] + fixture.action("sleep 1\necho \"$JOB_ID\" >> \"$DIR/ran\""))

        let requested = try fixture.requestDeletion("shekar@example.com")
        let id = try #require(requested["jobId"]?.int)
        let running = try fixture.waitForJob(id, status: "running", timeout: 10)
        #expect(running["updatedAt"]?.int != nil)
        let completed = try fixture.waitForJob(id, status: "completed", timeout: 10)
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
        Thread.sleep(forTimeInterval: 0.3)
        let ids = [try #require(missed["jobId"]?.int), try #require(requested["jobId"]?.int)]
        for id in ids { #expect(try fixture.job(id)["status"]?.string == "scheduled") }

        let worker = try fixture.stack.startWorker(
            ["--poll-seconds", "5"] + fixture.action("echo \"$JOB_ID\" >> \"$DIR/ran\""))
        // At once, not after a poll interval.
        for id in ids { try fixture.waitForJob(id, status: "completed", timeout: 4) }
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
        #expect(Date().timeIntervalSince(started) < 10)
        let failed = try fixture.job(id)
        #expect(failed["status"]?.string == "failed")
        #expect(failed["errors"]?.string == errors)
    }

    @Test func cancellingARunningJobStopsItsProgramAndTheJobStaysCancelled() throws {
        let fixture = try WorkerFixture()
        let worker = try fixture.stack.startWorker(
            ["--poll-seconds", "0.1"]
                + fixture.action("echo $$ > \"$DIR/pid\"\nsleep 3\ntouch \"$DIR/finished\""))
        let id = try #require(try fixture.requestDeletion("barbara@example.com")["jobId"]?.int)
        try fixture.waitForJob(id, status: "running")
        let pid = try fixture.pid(in: "pid")
        let cancelled = try fixture.cancel(id)
        let cancelledAt = Date()

        let exits = ProcessStatus.waitForExit(of: [pid], timeout: 5)
        let stoppedAfter = try #require(exits[pid], "the program still runs 5 s after the cancel")
        print("cancel → program stopped in \(String(format: "%.3f", stoppedAfter)) s")
        #expect(stoppedAfter < 2, "the contract allows 5 s; the worker watches every 0.5 s")
        // Past the time the program would have finished: it never did, and the job stayed cancelled.
        Thread.sleep(forTimeInterval: max(0, 3.5 - Date().timeIntervalSince(cancelledAt)))
        #expect(!fixture.folder.exists("finished"))
        #expect(try fixture.job(id) == cancelled)
        try worker.stop()
        #expect(worker.logLines(forJob: id).last?.contains("running → cancelled") == true, "\(worker.log)")
    }

    @Test func aResultThatArrivesAfterTheCancelIsRefusedAndTheJobStaysCancelled() throws {
        let fixture = try WorkerFixture()
        let worker = try fixture.stack.startWorker(
            ["--poll-seconds", "0.1"]
                + fixture.action(#"""
                    touch "$DIR/started"
                    while [ ! -e "$DIR/go" ]; do sleep 0.02; done
                    touch "$DIR/finished"
                    """#))
        let id = try #require(try fixture.requestDeletion("edsger@example.com")["jobId"]?.int)
        try fixture.waitForJob(id, status: "running")
        #expect(eventually(timeout: 5) { fixture.folder.exists("started") })

        // The worker is frozen while the job is cancelled and its program finishes its work: when it wakes, the
        // first thing it sees is a program that exited 0, and it writes `completed`, which must be refused.
        worker.send(SIGSTOP)
        let cancelled = try fixture.cancel(id)
        try fixture.folder.write("go")
        #expect(eventually(timeout: 5) { fixture.folder.exists("finished") })
        Thread.sleep(forTimeInterval: 0.1)
        worker.send(SIGCONT)

        #expect(eventually(timeout: 5) { worker.logLines(forJob: id).count >= 2 }, "\(worker.log)")
        let ending = worker.logLines(forJob: id).last ?? ""
        // Nearly always the refused write; if the freeze caught the worker inside a lease renewal, the renewal
        // learns of the cancel first. Either way nothing overwrites `cancelled`.
        #expect(ending.contains("running → completed refused") || ending.contains("running → cancelled"), "\(ending)")
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try fixture.job(id) == cancelled)
        try worker.stop()
    }

    @Test func aKilledWorkersJobIsRunAgainByAnotherOnceItsLeaseExpires() throws {
        let fixture = try WorkerFixture()
        let script = "echo \"$JOB_ID $$\" >> \"$DIR/starts\"\nsleep 1.5\necho \"$JOB_ID\" >> \"$DIR/done\""
        let first = try fixture.stack.startWorker(
            ["--poll-seconds", "0.1", "--lease-seconds", "2"] + fixture.action(script))
        let id = try #require(try fixture.requestDeletion("linus@example.com")["jobId"]?.int)
        #expect(eventually(timeout: 10) { fixture.lines(of: "starts").count == 1 })

        first.send(SIGKILL)
        #expect(first.waitForExit(timeout: 5) == 128 + SIGKILL)
        #expect(try fixture.job(id)["status"]?.string == "running")

        let second = try fixture.stack.startWorker(
            ["--poll-seconds", "0.1", "--lease-seconds", "2"] + fixture.action(script))
        // The dead worker renewed its 2 s lease at most half a second before it died: for a while yet the job
        // is still its, and nobody runs it.
        Thread.sleep(forTimeInterval: 0.5)
        #expect(fixture.lines(of: "starts").count == 1)
        try fixture.waitForJob(id, status: "completed", timeout: 10)
        #expect(fixture.lines(of: "starts").count == 2)
        try second.stop()
        #expect(second.logLines(forJob: id).first?.contains("taken over") == true, "\(second.log)")
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
            #expect(worker.waitForExit(timeout: 60) == 0, "\(worker.log)")
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
        let script = programFinishesInTime
            ? "touch \"$DIR/started\"\nsleep 1\necho \"$JOB_ID\" >> \"$DIR/done\""
            : "touch \"$DIR/started\"\nsleep 30\necho \"$JOB_ID\" >> \"$DIR/done\""
        // A long lease: if the job were left leased, the next worker could not take it for 30 s.
        let worker = try fixture.stack.startWorker(
            ["--poll-seconds", "0.1", "--lease-seconds", "30", "--grace-seconds", programFinishesInTime ? "5" : "1"]
                + fixture.action(script))
        let id = try #require(try fixture.requestDeletion("dennis@example.com")["jobId"]?.int)
        #expect(eventually(timeout: 10) { fixture.folder.exists("started") })

        let stoppedAt = Date()
        #expect(try worker.stop(timeout: 10) == 0, "\(worker.log)")
        let stopTime = Date().timeIntervalSince(stoppedAt)
        print("worker stopped \(String(format: "%.3f", stopTime)) s after SIGTERM (program finishes in time: \(programFinishesInTime))")

        if programFinishesInTime {
            #expect(try fixture.job(id)["status"]?.string == "completed")
            #expect(fixture.lines(of: "done") == [String(id)])
        } else {
            #expect(stopTime < 4)  // 1 s grace, then SIGTERM ends `sleep` at once
            #expect(try fixture.job(id)["status"]?.string == "running")
            #expect(worker.log.contains("lease released"), "\(worker.log)")
            // Released, not left to its 30 s lease: the next worker runs it at once.
            let next = try fixture.stack.startWorker(["--poll-seconds", "0.1"] + fixture.action("exit 0", name: "quick"))
            try fixture.waitForJob(id, status: "completed", timeout: 5)
            try next.stop()
            #expect(fixture.lines(of: "done").isEmpty)
        }
        #expect(worker.log.contains("stopped on SIGTERM"), "\(worker.log)")
    }
}
