import CLibPQ
import Foundation
import JobsCore

/// Opens connections to the PostgreSQL job store named by a `postgresql://` (or `postgres://`) URL.
///
/// The connector is shared by every thread; each connection it opens belongs to the thread that opened it, so a
/// process holds one server connection per thread that uses the store (jobs-fcgi: one per request thread; a
/// worker: one per running job plus one for claims; a jobsctl command: one). The database must exist: create it
/// with `createdb`, then its schema with `jobsctl init`.
public struct PostgresConnector: JobStoreConnector {
    /// The URL as given, password included: never logged (see ``displayName``).
    public let url: String
    /// How long each connection may wait on the server.
    public let options: PostgresOptions

    /// A connector for the database at `url`. Connects to nothing yet: each `connect` call opens a connection.
    public init(url: String, options: PostgresOptions = .init()) {
        self.url = url
        self.options = options
    }

    /// The URL without its password, for logs and messages.
    public var displayName: String { Self.redacted(url) }

    /// Opens a connection for the API: the database must exist and have the current schema.
    ///
    /// Throws `StoreError` of kind `.notInitialized` when the database or its schema is missing, `.schemaMismatch`
    /// when the schema is older or newer than this program's, `.unavailable` when the server cannot be reached.
    public func connect() throws -> any JobStore {
        let store = try open()
        let version = try store.schemaVersion()
        if let error = Self.schemaError(storeVersion: version, displayName: displayName) {
            throw error
        }
        return store
    }

    /// Opens a connection for administration (`jobsctl`). `create` changes nothing: the database itself must
    /// exist (`createdb`); ``PostgresJobStore/migrate()`` creates the schema in it.
    public func connectForAdministration(create: Bool) throws -> any StoreAdministration {
        try open()
    }

    /// Opens a connection, typed.
    public func open() throws -> PostgresJobStore {
        guard PQisthreadsafe() != 0 else {
            throw StoreError(.internal, "The libpq library was built without thread support")
        }
        do {
            return PostgresJobStore(
                connection: try PostgresConnection(
                    url: url, statementTimeoutMilliseconds: options.statementTimeoutMilliseconds),
                displayName: displayName)
        } catch let error as PostgresError {
            if error.sqlState == "3D000" {
                throw StoreError(
                    .notInitialized,
                    "The database of \(displayName) does not exist. Create it (createdb), then run: "
                        + "jobsctl init --store \(displayName)")
            }
            throw error.storeError(while: "connecting to \(displayName)")
        }
    }

    /// Why a store at `storeVersion` cannot be served by this program; `nil` when the versions agree.
    static func schemaError(storeVersion: Int, displayName: String) -> StoreError? {
        let current = PostgresSchema.currentVersion
        if storeVersion == current { return nil }
        if storeVersion == 0 {
            return StoreError(
                .notInitialized, "No job store schema in \(displayName). Create it with: jobsctl init --store \(displayName)")
        }
        if storeVersion < current {
            return StoreError(
                .schemaMismatch,
                "Job store \(displayName) is at schema version \(storeVersion); this program needs \(current). "
                    + "Migrate it with: jobsctl init --store \(displayName)")
        }
        return StoreError(
            .schemaMismatch,
            "Job store \(displayName) is at schema version \(storeVersion), newer than this program knows "
                + "(\(current)). Upgrade the program to one that supports schema version \(storeVersion).")
    }

    /// `url` with the password of its user information (`user:password@`) and every `password=` and
    /// `sslpassword=` parameter replaced by `***`.
    ///
    /// The authority is cut where libpq cuts it: its user information runs to the first `/`, so a `?` or `#` in a
    /// password is part of the password. Everything from the first `:` to the last `@` before that `/` is hidden,
    /// which covers libpq's reading and any other. Parameter names are compared percent-decoded, as libpq decodes
    /// them.
    static func redacted(_ url: String) -> String {
        var text = url
        var queryFrom = text.startIndex
        if let scheme = text.range(of: "://") {
            let authorityEnd = text[scheme.upperBound...].firstIndex(of: "/") ?? text.endIndex
            if let at = text[scheme.upperBound..<authorityEnd].lastIndex(of: "@"),
                let colon = text[scheme.upperBound..<at].firstIndex(of: ":")
            {
                let hiddenEnd = text.distance(from: text.startIndex, to: colon) + 1 + 3
                text.replaceSubrange(text.index(after: colon)..<at, with: "***")
                queryFrom = text.index(text.startIndex, offsetBy: hiddenEnd)
            } else {
                queryFrom = scheme.upperBound
            }
        }
        guard let query = text[queryFrom...].firstIndex(of: "?") else { return text }
        let secretNames: Set<String> = ["password", "sslpassword"]
        let parameters = text[text.index(after: query)...].split(separator: "&", omittingEmptySubsequences: false)
            .map { parameter -> String in
                let name = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
                let decoded = (String(name).removingPercentEncoding ?? String(name)).lowercased()
                return secretNames.contains(decoded) ? "\(name)=***" : String(parameter)
            }
        return String(text[...query]) + parameters.joined(separator: "&")
    }
}
