/// The answer to a request, ready to be written: status, headers (`Content-Type` among them) and body bytes.
public struct APIResponse: Sendable {
    /// The HTTP status code.
    public var status: Int
    /// The headers in the order they are written.
    public var headers: [(name: String, value: String)]
    /// The body: `{"data": …}` or `{"error": …}`.
    public var body: [UInt8]
    /// Whether the body is sent: false for an answer to `HEAD`, whose head still gives the body's length.
    public var includesBody: Bool

    init(status: Int, headers: [(name: String, value: String)], body: [UInt8], includesBody: Bool = true) {
        self.status = status
        self.headers = headers
        self.body = body
        self.includesBody = includesBody
    }

    /// The headers of every answer of the API: JSON, which may carry personal data (a user id in `referenceId`),
    /// so no cache keeps it (`no-store`) and no browser guesses another type for it (`nosniff`).
    static let jsonHeaders: [(name: String, value: String)] = [
        ("Content-Type", "application/json"), ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff"),
    ]

    /// The first value of the header `name` (case-insensitive).
    package func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.name.lowercased() == lowered }?.value
    }

    /// A `200` with `{"data": …}`, the body written by `writeData` into a buffer of `capacity` bytes to begin with.
    static func success(
        capacity: Int = 512, _ writeData: (inout JSONWriter) throws -> Void
    ) rethrows -> APIResponse {
        var writer = JSONWriter(capacity: capacity)
        writer.raw("{\"data\":")
        try writeData(&writer)
        writer.raw("}")
        return APIResponse(status: 200, headers: jsonHeaders, body: writer.bytes)
    }
}
