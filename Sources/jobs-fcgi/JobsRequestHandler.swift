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
        // Built as bytes in one buffer sized up front: Strings and interpolation cost several times more.
        var line = LogLine(capacity: 96 + min(apiRequest.path.utf8.count, Self.maximumLoggedPathLength))
        if Self.isLoggable(method: apiRequest.method) {
            line.append(contentsOf: apiRequest.method)
        } else {
            line.append("?")
        }
        line.append(" ")
        if apiRequest.path.isEmpty {
            line.append("-")
        } else if apiRequest.path.utf8.count > Self.maximumLoggedPathLength {
            let kept = apiRequest.path.utf8.prefix(Self.maximumLoggedPathLength)
            line.append(contentsOf: String(decoding: kept, as: UTF8.self))
            line.append("…")
        } else {
            line.append(contentsOf: apiRequest.path)
        }
        line.append(" ")
        line.append(decimal: Int64(status))
        line.append(" ")
        line.append(decimal: elapsed / 1000)
        line.append(".")
        line.append(decimal: (elapsed % 1000) / 100)
        line.append("ms key=")
        if let principal = outcome.principal { line.append(decimal: principal.keyID) } else { line.append("-") }
        if let diagnostic = outcome.diagnostic {
            line.append(" detail=")
            line.append(contentsOf: diagnostic)
        }
        log.write(line)

        return FastCGIResponse(status: status, headers: outcome.response.headers, body: outcome.response.body)
    }

    /// Whether the method is logged as sent: a plain token of at most 16 characters (`?` stands for others).
    private static func isLoggable(method: String) -> Bool {
        !method.isEmpty && method.utf8.count <= 16 && method.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    /// Microseconds on the monotonic clock, for durations. The corresponding C function is `clock_gettime`.
    private static func monotonicMicroseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000_000 + Int64(time.tv_nsec) / 1_000
    }
}
