import FastCGI
import JobsCore
import JobsFastCGI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Answers the requests of one server thread with the Jobs API and that thread's own store connection, and logs
/// one line per request: method, route (``JobsAPI/LoggedPath``: never a user id, nor other text from the path),
/// status, duration, key id, and the job a user deletion created or met. Never the key itself.
final class JobsRequestHandler: FastCGIHandler {
    private let api: JobsAPI
    private let monitor: Monitor
    private let store: any JobStore
    private let log: ServerLog

    init(api: JobsAPI, monitor: Monitor, store: any JobStore, log: ServerLog) {
        self.api = api
        self.monitor = monitor
        self.store = store
        self.log = log
    }

    func respond(to request: FastCGIRequest) -> [UInt8] {
        let started = Self.monotonicMicroseconds()
        monitor.requests.begin()
        let apiRequest = APIRequest(request)
        if let page = MonitoringPage(path: apiRequest.path) {
            return respond(to: page, apiRequest, started: started)
        }
        let outcome = api.respond(to: apiRequest, store: store)
        let elapsed = max(0, Self.monotonicMicroseconds() - started)
        monitor.requests.end(status: outcome.response.status, microseconds: elapsed)

        let status = outcome.response.status
        // Built as bytes in one buffer sized up front: this runs on every request.
        var line = LogLine(capacity: 160)
        if Self.isLoggable(method: apiRequest.method) {
            line.append(contentsOf: apiRequest.method)
        } else {
            line.append("?")
        }
        line.append(" ")
        Self.append(outcome.path, to: &line)
        line.append(" ")
        line.append(decimal: Int64(status))
        line.append(" ")
        line.append(decimal: elapsed / 1000)
        line.append(".")
        line.append(decimal: (elapsed % 1000) / 100)
        line.append("ms key=")
        if let principal = outcome.principal { line.append(decimal: principal.keyID) } else { line.append("-") }
        if let jobID = outcome.jobID {
            line.append(" job=")
            line.append(decimal: jobID)
        }
        if let diagnostic = outcome.diagnostic {
            line.append(" detail=")
            line.append(contentsOf: diagnostic)
        }
        log.write(line)

        return outcome.response.cgiEncoded()
    }

    /// Answers a monitoring page. Logged only when it is not a 200 or the store did not answer: a scrape every
    /// few seconds would otherwise fill the log.
    private func respond(to page: MonitoringPage, _ request: APIRequest, started: Int64) -> [UInt8] {
        let answer = monitor.respond(to: page, method: request.method, store: store)
        let elapsed = max(0, Self.monotonicMicroseconds() - started)
        monitor.requests.end(status: answer.response.status, microseconds: elapsed)
        if answer.response.status != 200 || answer.diagnostic != nil {
            var line = LogLine(capacity: 160)
            line.append(contentsOf: Self.isLoggable(method: request.method) ? request.method : "?")
            line.append(" ")
            line.append(contentsOf: request.path)
            line.append(" ")
            line.append(decimal: Int64(answer.response.status))
            line.append(" ")
            line.append(decimal: elapsed / 1000)
            line.append("ms")
            if let diagnostic = answer.diagnostic {
                line.append(" detail=")
                line.append(contentsOf: diagnostic)
            }
            log.write(line)
        }
        return answer.response.cgiEncoded()
    }

    /// Writes the route of a request: `/public/KEY/jobs`, `/public/KEY/jobs/ID`, `/public/KEY/users/:userId`,
    /// with `?` for a project key or job id that is not one, and `(no route)` for any other path.
    private static func append(_ path: JobsAPI.LoggedPath, to line: inout LogLine) {
        func appendKey(_ key: Substring?) {
            line.append("/public/")
            if let key { line.append(contentsOf: key) } else { line.append("?") }
        }
        switch path {
        case .jobs(let key):
            appendKey(key)
            line.append("/jobs")
        case .job(let key, let jobID):
            appendKey(key)
            line.append("/jobs/")
            if let jobID { line.append(decimal: jobID) } else { line.append("?") }
        case .user(let key):
            appendKey(key)
            line.append("/users/:userId")
        case .other:
            line.append("(no route)")
        }
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
