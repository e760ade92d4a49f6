/// Answers the requests of one server thread.
///
/// The server makes one handler per thread, on that thread, and calls it only from there: a handler may own
/// resources that must not be shared between threads (a database connection) and needs no locking of its own.
public protocol FastCGIHandler: AnyObject {
    /// The CGI response to `request` (a `Status:` line, header lines, a blank line, the body), written to the web
    /// server as it is. Called once per request.
    func respond(to request: FastCGIRequest) -> [UInt8]
}
