/// An error a client sees: it knows its status, message and extra headers, and renders `{"error": "…"}` itself.
/// Handlers throw it; ``JobsAPI`` turns the throw into a response in one place.
public struct APIError: Error, Sendable, Equatable {
    public var status: Int
    public var message: String
    public var headers: [Header]

    public struct Header: Sendable, Equatable {
        public var name: String
        public var value: String
    }

    public init(status: Int, message: String, headers: [(String, String)] = []) {
        self.status = status
        self.message = message
        self.headers = headers.map { Header(name: $0.0, value: $0.1) }
    }

    /// The response that shows this error.
    public var response: APIResponse {
        var writer = JSONWriter()
        writer.raw("{\"error\":")
        writer.string(message)
        writer.raw("}")
        return APIResponse(
            status: status,
            headers: APIResponse.jsonHeaders + headers.map { ($0.name, $0.value) },
            body: writer.bytes)
    }

    static let routeNotFound = APIError(status: 404, message: "Not found")
    static let projectNotFound = APIError(status: 404, message: "Project not found")
    static let jobNotFound = APIError(status: 404, message: "Job not found")
    static let invalidJobID = APIError(status: 400, message: "Invalid jobId: expected an integer")
    static let storeUnavailable = APIError(
        status: 503, message: "The job store is temporarily unavailable; try again shortly",
        headers: [("Retry-After", "1")])
    static let internalError = APIError(status: 500, message: "Internal server error")

    static func methodNotAllowed(allowed: [String]) -> APIError {
        let list = allowed.joined(separator: ", ")
        return APIError(
            status: 405, message: "Method not allowed; allowed: \(list)", headers: [("Allow", list)])
    }
}
