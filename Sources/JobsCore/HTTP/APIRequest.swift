/// A request as the API sees it: what the FastCGI layer copied out of the params.
public struct APIRequest: Sendable {
    /// `REQUEST_METHOD`, e.g. `GET`.
    public var method: String
    /// The raw path (`REQUEST_URI` up to the first `?`), still percent-encoded.
    public var path: String
    /// `QUERY_STRING`, without the `?`.
    public var query: String
    /// The `Authorization` header (`HTTP_AUTHORIZATION`), if any.
    public var authorization: String?
    /// The client's address (`REMOTE_ADDR`), if known.
    public var clientAddress: String?

    public init(method: String, path: String, query: String, authorization: String?, clientAddress: String?) {
        self.method = method
        self.path = path
        self.query = query
        self.authorization = authorization
        self.clientAddress = clientAddress
    }

    /// Splits a raw request URI (`/path?query`) into path and query.
    public init(method: String, requestURI: String, authorization: String?, clientAddress: String? = nil) {
        if let mark = requestURI.utf8.firstIndex(of: UInt8(ascii: "?")) {
            let path = String(Substring(requestURI.utf8[..<mark]))
            let query = String(Substring(requestURI.utf8[requestURI.utf8.index(after: mark)...]))
            self.init(method: method, path: path, query: query, authorization: authorization, clientAddress: clientAddress)
        } else {
            self.init(method: method, path: requestURI, query: "", authorization: authorization, clientAddress: clientAddress)
        }
    }
}
