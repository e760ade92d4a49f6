import JobsCore
import Testing
@testable import JobsWorker

/// The action runner's protocol, in-process: what a worker sends parses back to the same job, what the runner's
/// list answer holds, and the tail's extra byte that tells a worker older output was dropped. The runner and the
/// worker themselves are tested as processes in CLITests' ActionRunnerCommandTests.
@Suite struct ActionRunnerTests {
    static let job = RunnerRequest.Job(
        action: .deleteUserData,
        variables: zip(JobRun.jobVariables, ["12", "3", "3sWXSsqHgSKnE87YkNJK", "delete_user_data", "ada \"\n\\ é"])
            .map { (name: $0, value: $1) },
        inputBytes: 42, errorsLimit: 4096)

    @Test func aWorkersRequestParsesBackToTheSameJob() throws {
        let line = RunnerRequest.line(for: Self.job)
        #expect(line.last == 0x0A)
        #expect(line.dropLast().contains(0x0A) == false, "one line, whatever the values hold")
        #expect(try RunnerRequest(line: Array(line.dropLast())) == .run(Self.job))
        #expect(try RunnerRequest(line: Array(RunnerRequest.listLine.dropLast())) == .list)
    }

    @Test func theRunnersLogNamesTheJobByItsIdOnly() {
        #expect(Self.job.subject == "job 12 (delete_user_data)")
        var odd = Self.job
        odd.variables[0].value = "ada@example.com"
        #expect(odd.subject == "job ? (delete_user_data)")
    }

    @Test(arguments: [
        (#"{"actions":["delete_user_data"]}"#, ["delete_user_data"] as [String]?),
        (#"{"actions":["a","b.c"]}"#, ["a", "b.c"]),
        (#"{"actions":[]}"#, []),
        (#"{"actions":["a b"]}"#, nil),
        (#"{"actions":["a",]}"#, nil),
        (#"{"actions":"a"}"#, nil),
        ("error busy", nil),
    ])
    func aListAnswerIsReadStrictly(answer: String, names: [String]?) {
        #expect(ActionRunnerClient.actionNames(answer) == names)
    }

    @Test func aTailOfOneByteMoreThanTheLimitSaysOlderOutputWasDropped() {
        var exact = OutputTail(limit: 4)
        exact.append(Array("abcd".utf8))
        #expect(!exact.isTruncated)
        #expect(exact.text == "abcd")
        var over = OutputTail(limit: 4)
        over.append(Array("abcde".utf8))
        #expect(over.isTruncated)
        #expect(over.text == "…bcde")
        var after = OutputTail(limit: 4)
        after.append(Array("a".utf8))
        after.append(Array("bcde".utf8))
        #expect(after.isTruncated)
    }
}
