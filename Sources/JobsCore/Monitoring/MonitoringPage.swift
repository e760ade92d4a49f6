/// The three pages of `jobs-fcgi`'s own monitoring, answered without an API key (nginx lets only the monitoring
/// hosts reach them), like php-fpm's `ping.path` and `pm.status_path`.
public enum MonitoringPage: Sendable, Equatable {
    /// `/jobs-api/ping`: `pong`, from the process itself, without the store.
    case ping
    /// `/jobs-api/status`: the process and the queue as JSON.
    case status
    /// `/jobs-api/metrics`: the same and more in the Prometheus text format 0.0.4.
    case metrics
    /// Any other path under `/jobs-api/`: 404, without a key.
    case notFound

    /// The page `path` names, or `nil` for a path outside `/jobs-api/`: one byte comparison for the API's own
    /// paths, which start `/p`.
    public init?(path: Substring) {
        let utf8 = path.utf8
        guard utf8.count >= 10, utf8[utf8.index(after: utf8.startIndex)] == UInt8(ascii: "j") else { return nil }
        switch path {
        case "/jobs-api/ping": self = .ping
        case "/jobs-api/status": self = .status
        case "/jobs-api/metrics": self = .metrics
        default:
            guard path.hasPrefix("/jobs-api/") else { return nil }
            self = .notFound
        }
    }
}
