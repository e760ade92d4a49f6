import JobsCore
import JobsWorker

/// A request line as the action runner reads it (``RunnerRequest/init(line:)``), from a worker or from anything
/// else that reached its socket. A request it takes must be what a worker would send for that job: written again
/// with ``RunnerRequest/line(for:)``, it reads back the same; one it refuses says why.
enum RunnerRequestTarget {
    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        let request: RunnerRequest
        do {
            request = try RunnerRequest(line: input)
        } catch {
            try require(!error.description.isEmpty, "a refusal without a message for \(printable(input))")
            return
        }
        guard case .run(let job) = request else { return }
        try require(job.inputBytes >= 0 && job.inputBytes <= RunnerRequest.maximumInputBytes, "inputBytes \(job.inputBytes)")
        try require(
            WorkerConfiguration.Bounds.errorsLimit.contains(job.errorsLimit), "errorsLimit \(job.errorsLimit)")
        try require(
            job.variables.allSatisfy { !$0.value.utf8.contains(0) }, "a variable with NUL from \(printable(input))")
        let written = RunnerRequest.line(for: job)
        let again: RunnerRequest
        do {
            again = try RunnerRequest(line: Array(written.dropLast()))
        } catch {
            throw FuzzFinding("the request a worker would write for \(printable(input)) is refused: \(error)")
        }
        try require(again == request, "\(printable(input)) came back as \(again) through \(printable(written))")
    }
}

/// What a worker reads from the action runner, which runs as a user of less trust than the worker's: the list
/// answer (``ActionRunnerClient/actionNames(_:)``) and a job's final answer (``RemoteAction/finalAnswer(_:)``),
/// whole or cut at any byte. Nothing may trap; a final answer keeps at most one byte more than the largest
/// `errorsLimit`, and one that is whole stays whole (and the same) when more bytes follow it.
enum RunnerAnswerTarget {
    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        if let names = ActionRunnerClient.actionNames(String(decoding: input, as: UTF8.self)) {
            try require(names.allSatisfy(JobAction.isValidName), "invalid action names \(names) from \(printable(input))")
        }
        guard let (termination, output) = RemoteAction.finalAnswer(input) else { return }
        try require(
            output.count <= WorkerConfiguration.Bounds.errorsLimit.upperBound + 1,
            "\(output.count) bytes of standard error kept from \(printable(input))")
        let longer = RemoteAction.finalAnswer(input + Array("more".utf8))
        try require(
            longer?.0 == termination && longer?.1 == output,
            "\(printable(input)) ended as \(termination), but as \(String(describing: longer)) with more bytes after it")
    }
}

/// The input as text for a finding's message, at most 300 bytes of it.
private func printable(_ input: [UInt8]) -> String {
    String(decoding: input.prefix(300), as: UTF8.self).debugDescription
}
