/// The fuzz targets: each turns arbitrary bytes into the input of one parser of untrusted bytes, runs it the way
/// the program does, and checks what it can cheaply know about the answer.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// A FastCGI params block (name-value pairs as in a `PARAMS` record) → request → the whole API.
    case fastcgiParams = "fastcgi-params"
    /// A method byte and a raw `REQUEST_URI` → routing, percent-decoding, the handlers, against a model.
    case path
    /// A query string on the list endpoint → `limit` and `page`, against a model.
    case query
    /// An `Authorization` header value → 200 exactly when it carries the valid key as `Bearer`.
    case authorization
    /// A `jobsctl job import` document (JSON Lines) → jobs that survive a write-and-read round trip.
    case jobImport = "import"
    /// A request line to the action runner → refused with a message, or a job that a worker would send as it is.
    case runnerRequest = "runner-request"
    /// What a worker reads from the action runner (its list answer, a job's final answer) → bounded, never a trap.
    case runnerAnswer = "runner-answer"

    /// Runs one input. Throws when a checked promise is broken; a crash is a crash.
    public func run(_ input: [UInt8]) throws(FuzzFinding) {
        switch self {
        case .fastcgiParams: try FastCGIParamsTarget.run(input)
        case .path: try PathTarget.run(input)
        case .query: try QueryTarget.run(input)
        case .authorization: try AuthorizationTarget.run(input)
        case .jobImport: try ImportTarget.run(input)
        case .runnerRequest: try RunnerRequestTarget.run(input)
        case .runnerAnswer: try RunnerAnswerTarget.run(input)
        }
    }
}
