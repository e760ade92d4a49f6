import Foundation

/// Where a store lives, as given by `--store DSN` or `JOBS_STORE`.
///
/// - a path (`/var/lib/jobs-api/jobs.sqlite3`, `./jobs.db`) or `sqlite:PATH`: the SQLite store in that file;
/// - `postgresql://…` or `postgres://…`: a PostgreSQL server (see PostgresStore).
public enum StoreLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(url: String)

    /// Reads a DSN; `nil` for an empty one.
    public init?(dsn: String) {
        let trimmed = dsn.trimmingWhitespace()
        guard !trimmed.isEmpty else { return nil }
        if trimmed.hasPrefix("postgresql://") || trimmed.hasPrefix("postgres://") {
            self = .postgres(url: trimmed)
        } else if trimmed.hasPrefix("sqlite:") {
            let path = String(trimmed.dropFirst("sqlite:".count))
            guard !path.isEmpty else { return nil }
            self = .sqlite(path: path)
        } else {
            self = .sqlite(path: trimmed)
        }
    }
}

extension StoreLocation {
    /// The store named by a `--store` option, or else by the environment variable `JOBS_STORE`.
    public static func resolve(
        option: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> StoreLocation {
        guard let location = StoreLocation(dsn: option ?? environment["JOBS_STORE"] ?? "") else {
            throw StoreError(.notInitialized, "No store given: pass --store DSN or set JOBS_STORE")
        }
        return location
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[start...end])
    }
}
