/// A request as the API sees it: what the web server said of it, the request URI split once into path and query.
public struct APIRequest: Sendable {
    /// `REQUEST_METHOD`, e.g. `GET`, exactly as sent.
    public var method: String
    /// The raw path: the request URI up to its first `?`, still percent-encoded.
    public var path: Substring
    /// The query string, without the `?`, still percent-encoded.
    public var query: Substring
    /// The `Authorization` header (`HTTP_AUTHORIZATION`), if any.
    public var authorization: String?
    /// The client's address (`REMOTE_ADDR`), if known: what failed authentication is counted against.
    public var clientAddress: String?
    /// Every `Idempotency-Key` header the request carried (`HTTP_IDEMPOTENCY_KEY`), in order; empty for none.
    public var idempotencyKeys: [String] = []

    /// A request for `requestURI` (`/path?query`): the path is the URI up to its first `?`, the query is
    /// `queryString` when the web server passed one (`QUERY_STRING`), else the rest of the URI.
    public init(
        method: String, requestURI: String, queryString: String? = nil, authorization: String?,
        clientAddress: String? = nil, idempotencyKeys: [String] = []
    ) {
        let utf8 = requestURI.utf8
        if let mark = utf8.firstIndex(of: UInt8(ascii: "?")) {
            path = Substring(utf8[..<mark])
            query = queryString.map { Substring($0) } ?? Substring(utf8[utf8.index(after: mark)...])
        } else {
            path = Substring(requestURI)
            query = queryString.map { Substring($0) } ?? ""
        }
        self.method = method
        self.authorization = authorization
        self.clientAddress = clientAddress
        self.idempotencyKeys = idempotencyKeys
    }
}
