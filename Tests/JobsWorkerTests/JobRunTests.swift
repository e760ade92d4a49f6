import Foundation
import JobsCore
import JobsTesting
import Testing
@testable import JobsWorker

/// One job's run against a fake store, with real programs (small shell scripts).
@Suite struct JobRunTests {
    @Test func aProgramThatExitsZeroCompletesTheJobAndGetsTheJobOnItsInput() throws {
        let fixture = try RunFixture()
        let program = try fixture.script(#"""
            cat > "$DIR/input.json"
            printf '%s|%s|%s|%s|%s|%s' "$JOB_ID" "$PROJECT_ID" "$PROJECT_KEY" "$ACTION" "$REFERENCE_ID" "$INHERITED" \
                > "$DIR/variables"
            """#)
        let user = "../../etc/passwd zoë $(reboot)"
        let claimed = try fixture.claim(user: user)
        let run = fixture.makeRun(
            claimed, try fixture.configuration(program: program),
            environment: ["PATH=/usr/bin:/bin", "INHERITED=from the worker", "JOB_ID=spoofed"])

        #expect(run.run(on: fixture.store) == .completed)
        let job = try #require(fixture.store.job(claimed.job.id))
        #expect(job.status == .completed)
        #expect(job.errors == nil)
        #expect(fixture.store.leaseOwner(job.id) == nil)
        #expect(fixture.directory.contents(of: "input.json") == claimed.job.jsonText + "\n")
        #expect(
            fixture.directory.contents(of: "variables")
                == "\(job.id)|1|\(FakeWorkerStore.projectKey)|delete_user_data|\(user)|from the worker")
        #expect(fixture.lines.text.contains("job \(job.id) (project 1, delete_user_data): running → completed after"))
    }

    @Test func aFailingProgramFailsTheJobWithTheEndOfItsStandardError() throws {
        let fixture = try RunFixture()
        let program = try fixture.script(#"""
            echo "connecting to the session store" >&2
            echo "session store unreachable" >&2
            exit 3
            """#)
        let claimed = try fixture.claim()
        let outcome = fixture.makeRun(claimed, try fixture.configuration(program: program)).run(on: fixture.store)
        let errors = "exited with status 3: connecting to the session store\nsession store unreachable"
        #expect(outcome == .failed(errors: errors))
        #expect(fixture.store.job(claimed.job.id)?.status == .failed)
        #expect(fixture.store.job(claimed.job.id)?.errors == errors)
        // The log names the exit status, not what the program wrote (it may name the user).
        #expect(fixture.lines.text.contains("running → failed after"))
        #expect(fixture.lines.text.contains("exited with status 3"))
        #expect(!fixture.lines.text.contains("session store unreachable"), "\(fixture.lines.text)")
    }

    @Test func onlyTheLastFewKilobytesOfStandardErrorAreKept() throws {
        let fixture = try RunFixture()
        let program = try fixture.script(#"""
            i=0
            while [ $i -lt 3000 ]; do echo "noise line $i of a chatty program" >&2; i=$((i + 1)); done
            echo "the real reason" >&2
            exit 1
            """#)
        let claimed = try fixture.claim()
        let outcome = fixture.makeRun(claimed, try fixture.configuration(program: program)).run(on: fixture.store)
        let errors = try #require(fixture.store.job(claimed.job.id)?.errors)
        #expect(outcome == .failed(errors: errors))
        #expect(errors.hasPrefix("exited with status 1: …"))
        #expect(errors.hasSuffix("noise line 2999 of a chatty program\nthe real reason"))
        #expect(errors.utf8.count <= 4096 + 64)
    }

    @Test func anActionWithoutAProgramFailsNamingTheAction() throws {
        let fixture = try RunFixture()
        let claimed = try fixture.claim(action: JobAction(rawValue: "export_user_data"))
        let outcome = fixture.makeRun(claimed, try fixture.configuration(program: "/bin/true")).run(on: fixture.store)
        #expect(outcome == .failed(errors: "no program is configured for action \"export_user_data\""))
        #expect(fixture.store.job(claimed.job.id)?.status == .failed)
    }

    @Test func aProgramThatCannotStartFailsWithAPlainMessageAndTheDetailInTheLog() throws {
        let fixture = try RunFixture()
        let program = try fixture.script("exit 0")
        try FileManager.default.removeItem(atPath: program)  // removed after the worker started
        let claimed = try fixture.claim()
        let outcome = fixture.makeRun(claimed, try fixture.configuration(program: program)).run(on: fixture.store)
        #expect(outcome == .failed(errors: "the program for action \"delete_user_data\" could not be started"))
        #expect(fixture.lines.text.contains(program))
        #expect(fixture.lines.text.contains("No such file or directory"))
    }

    @Test func aProgramKilledByASignalFailsTheJob() throws {
        let fixture = try RunFixture()
        let program = try fixture.script("echo 'about to crash' >&2\nkill -SEGV $$")
        let claimed = try fixture.claim()
        let outcome = fixture.makeRun(claimed, try fixture.configuration(program: program)).run(on: fixture.store)
        #expect(outcome == .failed(errors: "killed by SIGSEGV: about to crash"))
    }

    @Test func aProgramPastItsTimeoutIsStoppedAndFailsTheJob() throws {
        let fixture = try RunFixture()
        let program = try fixture.script("echo $$ > \"$DIR/pid\"\nsleep 30\ntouch \"$DIR/finished\"")
        let claimed = try fixture.claim()
        let started = Date()
        let outcome = fixture.makeRun(claimed, try fixture.configuration(program: program, timeout: .milliseconds(300)))
            .run(on: fixture.store)
        #expect(outcome == .failed(errors: "timed out after 0.300 s"))
        // Well under the 30 s the program would sleep if the timeout did not stop it (room for a loaded machine).
        let took = Date().timeIntervalSince(started)
        #expect(took < 20, "the run took \(took) s: it waited for the program instead of stopping it")
        #expect(!fixture.directory.exists("finished"))
        let pid = try #require(pid_t(fixture.directory.contents(of: "pid")?.trimmingCharacters(in: .newlines) ?? ""))
        #expect(!isAlive(pid))
    }

    @Test func aCancelStopsTheProgramAndEveryProcessItStartedAndWritesNothing() throws {
        let fixture = try RunFixture()
        // The program starts a child of its own, then waits: SIGTERM must reach both (their process group).
        let program = try fixture.script(#"""
            sleep 30 &
            echo $! > "$DIR/child"
            echo $$ > "$DIR/pid"
            wait
            touch "$DIR/finished"
            """#)
        let claimed = try fixture.claim()
        let pending = fixture.start(fixture.makeRun(claimed, try fixture.configuration(program: program)))
        #expect(eventually { fixture.directory.exists("child") && fixture.directory.exists("pid") })
        let cancelledAt = Date()
        fixture.store.cancel(claimed.job.id)

        #expect(pending.wait() == .cancelled)
        // A watch interval of 50 ms: the program is stopped in well under the contract's 5 s (a fraction of a
        // second on an idle machine) and long before its 30 s sleep would end.
        let took = Date().timeIntervalSince(cancelledAt)
        print("cancel → run ended in \(String(format: "%.3f", took)) s")
        #expect(took < 5, "the cancelled run took \(took) s to end")
        for name in ["pid", "child"] {
            let pid = try #require(pid_t(fixture.directory.contents(of: name)?.trimmingCharacters(in: .newlines) ?? ""))
            #expect(eventually { !isAlive(pid) }, "\(name) \(pid) still runs")
        }
        #expect(!fixture.directory.exists("finished"))
        #expect(fixture.store.job(claimed.job.id)?.status == .cancelled)
        #expect(fixture.lines.text.contains("running → cancelled"))
    }

    @Test func aProgramThatIgnoresSIGTERMIsKilledAfterTheGracePeriod() throws {
        let fixture = try RunFixture()
        let program = try fixture.script(#"""
            trap '' TERM
            echo $$ > "$DIR/pid"
            i=0
            while [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
            touch "$DIR/finished"
            """#)
        let claimed = try fixture.claim()
        let pending = fixture.start(
            fixture.makeRun(claimed, try fixture.configuration(program: program, grace: .milliseconds(300))))
        #expect(eventually { fixture.directory.exists("pid") })
        fixture.store.cancel(claimed.job.id)
        #expect(pending.wait() == .cancelled)
        #expect(!fixture.directory.exists("finished"))
        #expect(fixture.lines.text.contains("its program was killed (SIGKILL)"))
    }

    @Test func aResultThatComesAfterACancelIsRefusedAndTheJobStaysCancelled() throws {
        let fixture = try RunFixture()
        // The program finishes its work as soon as it may; the watch interval is long, so the worker learns of
        // the cancel only from the refused write.
        let program = try fixture.script(#"""
            \#(shellWaitingForFile(#""$DIR/go""#))
            touch "$DIR/finished"
            """#)
        let claimed = try fixture.claim()
        let pending = fixture.start(
            fixture.makeRun(claimed, try fixture.configuration(program: program, watch: .seconds(60))))
        fixture.store.cancel(claimed.job.id)
        try fixture.directory.write("go")

        #expect(pending.wait() == .refused(.completed))
        #expect(fixture.directory.exists("finished"))
        let job = try #require(fixture.store.job(claimed.job.id))
        #expect(job.status == .cancelled)
        #expect(job.errors == nil)
        #expect(fixture.lines.text.contains("running → completed refused"))
    }

    @Test func theWorkersStopStopsTheProgramAndReleasesTheLease() throws {
        let fixture = try RunFixture()
        let program = try fixture.script("echo $$ > \"$DIR/pid\"\nsleep 30\ntouch \"$DIR/finished\"")
        let claimed = try fixture.claim()
        let run = fixture.makeRun(claimed, try fixture.configuration(program: program))
        let pending = fixture.start(run)
        #expect(eventually { fixture.directory.exists("pid") })
        run.requestStop()
        #expect(pending.wait() == .released)
        #expect(fixture.store.releasedJobs == [claimed.job.id])
        let job = try #require(fixture.store.job(claimed.job.id))
        #expect(job.status == .running)
        #expect(fixture.store.leaseOwner(job.id) == nil)
        #expect(!fixture.directory.exists("finished"))
    }

    @Test func theLeaseIsRenewedWhileTheProgramRuns() throws {
        let fixture = try RunFixture()
        // The program runs until the test has seen five renewals (every 50 ms), however slow the machine is.
        let program = try fixture.script(shellWaitingForFile(#""$DIR/go""#))
        let claimed = try fixture.claim()
        let pending = fixture.start(fixture.makeRun(claimed, try fixture.configuration(program: program)))
        #expect(eventually { fixture.store.renewalCount >= 5 }, "renewed \(fixture.store.renewalCount) times")
        try fixture.directory.write("go")
        #expect(pending.wait() == .completed)
        #expect(fixture.store.job(claimed.job.id)?.status == .completed)
    }

    @Test func aStoreThatStaysUnavailablePastTheLeaseStopsTheProgram() throws {
        let fixture = try RunFixture()
        let program = try fixture.script("sleep 30\ntouch \"$DIR/finished\"")
        let claimed = try fixture.claim(lease: .milliseconds(400))
        fixture.store.failRenewals(with: StoreError(.unavailable, "database is locked"))
        let outcome = fixture.makeRun(claimed, try fixture.configuration(program: program, lease: .milliseconds(400)))
            .run(on: fixture.store)
        // The release works again (only renewals fail): the next worker runs the job at once.
        #expect(outcome == .released)
        #expect(!fixture.directory.exists("finished"))
        #expect(fixture.lines.text.contains("renewing its lease failed"))
    }

    @Test func whatTheProgramLeavesRunningInItsGroupEndsWithIt() throws {
        let fixture = try RunFixture()
        let program = try fixture.script("sleep 30 &\necho $! > \"$DIR/child\"\nexit 0")
        let claimed = try fixture.claim()
        let outcome = fixture.makeRun(claimed, try fixture.configuration(program: program)).run(on: fixture.store)
        #expect(outcome == .completed)
        let child = try #require(pid_t(fixture.directory.contents(of: "child")?.trimmingCharacters(in: .newlines) ?? ""))
        #expect(eventually { !isAlive(child) })
    }

    @Test func aReferenceIDWithANULIsNeverPassedCutShort() throws {
        let fixture = try RunFixture()
        let claimed = try fixture.claim(user: "alice\u{0}bob")
        let outcome = fixture.makeRun(claimed, try fixture.configuration(program: "/bin/true")).run(on: fixture.store)
        #expect(outcome == .failed(errors: "the job's reference id or action contains a NUL character"))
    }
}
