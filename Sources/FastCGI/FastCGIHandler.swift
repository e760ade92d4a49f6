/// Answers the requests of one server thread.
///
/// The server makes one handler per thread, on that thread, and calls it only from there: a handler may own
/// resources that must not be shared between threads (a database connection) and needs no locking of its own.
public protocol FastCGIHandler: AnyObject {
    /// The response to `request`. Called once per request; what it returns is written to the web server.
    func respond(to request: FastCGIRequest) -> FastCGIResponse
}
