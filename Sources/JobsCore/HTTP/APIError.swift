/// An error a client sees: it knows its status, message and extra headers, and renders `{"error": "…"}` itself.
/// Handlers throw it; ``JobsAPI`` turns the throw into a response in one place.
public struct APIError: Error, Sendable, Equatable {
    /// The HTTP status code, 4xx or 5xx.
    public var status: Int
    /// What the client reads in `error`.
    public var message: String
    /// Headers the answer carries besides the JSON ones (`WWW-Authenticate`, `Allow`, `Retry-After`).
    public var headers: [Header]

    /// One extra header.
    public struct Header: Sendable, Equatable {
        /// The header's name, e.g. `Allow`.
        public var name: String
        /// The header's value.
        public var value: String
    }

    /// An error answered with `status`, `{"error": message}` and `headers`.
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

    /// 405 with the route's methods in `Allow` (`allowed`: `GET, HEAD`).
    static func methodNotAllowed(allowed: String) -> APIError {
        APIError(status: 405, message: "Method not allowed; allowed: \(allowed)", headers: [("Allow", allowed)])
    }
}
