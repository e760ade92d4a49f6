import JobsTesting
import Testing

/// The keys of a job as the API shows it, in the contract's order.
let jobKeys = [
    "jobId", "description", "status", "projectId", "action", "referenceId", "createdAt", "updatedAt", "startAt",
    "errors",
]

/// Milliseconds in a day, for `startAt` at the next midnight UTC.
let millisecondsPerDay: Int64 = 86_400_000

/// Checks a 200 with `Content-Type: application/json` and `{"data": …}` as the only key; returns the data.
func expectData(_ response: HTTPResponse, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
    #expect(response.status == 200, "\(response)", sourceLocation: sourceLocation)
    #expect(response.mediaType == "application/json", "\(response)", sourceLocation: sourceLocation)
    let body = try response.json()
    #expect(body.keys == ["data"], "\(response)", sourceLocation: sourceLocation)
    return try #require(body["data"], sourceLocation: sourceLocation)
}

/// Checks an error answer: `status`, `Content-Type: application/json` and `{"error": "<non-empty text>"}`.
/// Returns the message.
@discardableResult
func expectError(
    _ response: HTTPResponse, _ status: Int, sourceLocation: SourceLocation = #_sourceLocation
) throws -> String {
    #expect(response.status == status, "\(response)", sourceLocation: sourceLocation)
    return try expectErrorBody(response, sourceLocation: sourceLocation)
}

/// Checks that an answer is a JSON error body, whatever its status: `Content-Type: application/json` and
/// `{"error": "<non-empty text>"}`. Returns the message.
@discardableResult
func expectErrorBody(_ response: HTTPResponse, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    #expect(response.mediaType == "application/json", "\(response)", sourceLocation: sourceLocation)
    let body = try response.json()
    #expect(body.keys == ["error"], "\(response)", sourceLocation: sourceLocation)
    let message = try #require(body["error"]?.string, "\(response)", sourceLocation: sourceLocation)
    #expect(!message.isEmpty, sourceLocation: sourceLocation)
    return message
}

/// Checks the exact shape of a job: the ten keys in order, each of its type, a known status.
func expectJobShape(_ job: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(job.keys == jobKeys, "\(job)", sourceLocation: sourceLocation)
    for key in ["jobId", "projectId", "createdAt", "startAt"] {
        #expect(job[key]?.int != nil, "\(key) in \(job)", sourceLocation: sourceLocation)
    }
    for key in ["description", "status", "action", "referenceId"] {
        #expect(job[key]?.string != nil, "\(key) in \(job)", sourceLocation: sourceLocation)
    }
    #expect(job["updatedAt"]?.int != nil || job["updatedAt"]?.isNull == true, "\(job)", sourceLocation: sourceLocation)
    #expect(job["errors"]?.string != nil || job["errors"]?.isNull == true, "\(job)", sourceLocation: sourceLocation)
    let statuses: Set<String> = ["scheduled", "running", "completed", "failed", "cancelled"]
    #expect(statuses.contains(job["status"]?.string ?? ""), "\(job)", sourceLocation: sourceLocation)
}

/// Checks that every FastCGI process of the stack is still running.
func expectAppAlive(_ stack: Stack, sourceLocation: SourceLocation = #_sourceLocation) {
    let pids = stack.appPIDs
    #expect(!pids.isEmpty, sourceLocation: sourceLocation)
    for pid in pids {
        #expect(stack.isAlive(pid), "jobs-fcgi \(pid) died; its log:\n\(stack.appLog)", sourceLocation: sourceLocation)
    }
}
