import Foundation
import JobsCore
import JobsTesting
import Testing
@testable import JobsWorker

/// A job's input reaches its program whole, however large, whatever the program does with its streams.
@Suite struct JobInputTests {
    /// A claimed job whose JSON is far larger than a pipe's buffer (64 KiB on Linux).
    func largeJob(_ fixture: RunFixture) throws -> ClaimedJob {
        var claimed = try fixture.claim(user: "large@example.com")
        claimed.job.description = String(repeating: "é\u{1}", count: 100_000)
        #expect(claimed.job.jsonText.utf8.count > 4 * 65_536)
        return claimed
    }

    @Test func anInputLargerThanAPipeReachesTheProgramWhole() throws {
        let fixture = try RunFixture()
        let program = try fixture.script(#"cat > "$DIR/input.json""#)
        let claimed = try largeJob(fixture)
        let outcome = fixture.makeRun(claimed, try fixture.configuration(program: program)).run(on: fixture.store)
        #expect(outcome == .completed, "\(fixture.lines.text)")
        #expect(fixture.directory.contents(of: "input.json") == claimed.job.jsonText + "\n")
    }

    @Test func aProgramThatWritesMuchBeforeItReadsDoesNotDeadlock() throws {
        let fixture = try RunFixture()
        // 1 MB on standard error first: the worker must read it while its own write waits for room.
        let program = try fixture.script(#"""
            head -c 1000000 /dev/zero | tr '\0' x >&2
            cat > "$DIR/input.json"
            echo "the real reason" >&2
            exit 4
            """#)
        let claimed = try largeJob(fixture)
        let outcome = fixture.makeRun(claimed, try fixture.configuration(program: program)).run(on: fixture.store)
        guard case .failed(let errors) = outcome else {
            Issue.record("\(outcome)")
            return
        }
        #expect(errors.hasPrefix("exited with status 4: …"))
        #expect(errors.hasSuffix("the real reason"))
        #expect(errors.utf8.count <= Job.maximumErrorsBytes)
        #expect(fixture.directory.contents(of: "input.json") == claimed.job.jsonText + "\n")
    }

    @Test func aProgramThatNeverReadsItsInputStillCompletes() throws {
        let fixture = try RunFixture()
        let program = try fixture.script("exit 0")
        let claimed = try largeJob(fixture)
        let outcome = fixture.makeRun(claimed, try fixture.configuration(program: program)).run(on: fixture.store)
        #expect(outcome == .completed, "\(fixture.lines.text)")
    }

    @Test func errorsAreCutToTheirBound() {
        let long = "cause: " + String(repeating: "ü", count: 20_000)
        let limited = Job.limitedErrors(long)
        #expect(limited.utf8.count <= Job.maximumErrorsBytes)
        #expect(limited.hasPrefix("cause: üü") && limited.hasSuffix("…"))
        #expect(Job.limitedErrors("short") == "short")
    }
}
