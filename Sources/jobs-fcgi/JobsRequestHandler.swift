import FastCGI
import JobsCore
import JobsFastCGI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Answers the requests of one server thread with the Jobs API and that thread's own store connection, and logs
/// one line per request: method, path (no query), status, duration, key id. Never the key itself.
final class JobsRequestHandler: FastCGIHandler {
    /// The longest path written to the log, in bytes.
    static let maximumLoggedPathLength = 512

    private let api: JobsAPI
    private let store: any JobStore
    private let log: ServerLog

    init(api: JobsAPI, store: any JobStore, log: ServerLog) {
        self.api = api
        self.store = store
        self.log = log
    }

    func respond(to request: FastCGIRequest) -> FastCGIResponse {
        let started = Self.monotonicMicroseconds()
        let apiRequest = APIRequest(request)
        let outcome = api.respond(to: apiRequest, store: store)
        let elapsed = max(0, Self.monotonicMicroseconds() - started)

        let status = outcome.response.status
        var path = apiRequest.path
        if path.utf8.count > Self.maximumLoggedPathLength {
            path = String(decoding: path.utf8.prefix(Self.maximumLoggedPathLength), as: UTF8.self) + "…"
        }
        // Appended piece by piece into one buffer sized up front: interpolation costs several times more.
        var line = ""
        line.reserveCapacity(64 + path.utf8.count)
        line += Self.loggable(method: apiRequest.method)
        line += " "
        line += path.isEmpty ? "-" : path
        line += " "
        line += String(status)
        line += " "
        line += String(elapsed / 1000)
        line += "."
        line += String((elapsed % 1000) / 100)
        line += "ms key="
        line += outcome.principal.map { String($0.keyID) } ?? "-"
        if let diagnostic = outcome.diagnostic {
            line += " detail="
            line += diagnostic
        }
        log.write(line)

        return FastCGIResponse(status: status, headers: outcome.response.headers, body: outcome.response.body)
    }

    /// The method as sent when it is a plain token of at most 16 characters; `?` otherwise.
    private static func loggable(method: String) -> String {
        let isToken = !method.isEmpty && method.utf8.count <= 16
            && method.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
        return isToken ? method : "?"
    }

    /// Microseconds on the monotonic clock, for durations. The corresponding C function is `clock_gettime`.
    private static func monotonicMicroseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000_000 + Int64(time.tv_nsec) / 1_000
    }
}
