import Foundation

/// A real PostgreSQL server for tests, and fresh databases on it.
///
/// ``shared()`` is the server every test uses: the one named by `JOBS_TEST_POSTGRES_URL` (deploy/test.sh starts
/// one and sets it), or else one this process starts itself with `deploy/postgres-test-server.sh` in a temporary
/// folder and stops when it exits. So `swift test` run by hand needs nothing but the `postgresql` package.
///
/// Each test takes a database of its own with ``createDatabase()``: tests never see each other's rows and never
/// need cleaning up. A test that stops or restarts the server (a lost-database test) starts a private one with
/// ``start()`` instead, so that it cannot disturb the others.
///
/// ```swift
/// let database = try PostgresServer.shared().createDatabase()
/// let store = PostgresConnector(url: database.url)          // or: jobs-fcgi --store \(database.url)
/// ```
package final class PostgresServer: @unchecked Sendable {
    // Safe to share: every stored property but `counter` is set once in `init`; `counter` is only touched with
    // `lock` held.

    /// The URL of the server's `postgres` database, as the superuser (`postgresql://postgres@127.0.0.1:PORT/postgres`
    /// for a server started here).
    package let url: String
    /// The server's folder (data, log, unix socket) when this process started it; `nil` for an external server.
    package let directory: String?

    private let ownsServer: Bool
    /// The temporary folder holding ``directory``, removed with the server.
    private let parent: TemporaryDirectory?
    private let lock = NSLock()
    private var counter = 0

    private init(url: String, directory: String?, parent: TemporaryDirectory?) {
        self.url = url
        self.directory = directory
        self.parent = parent
        ownsServer = parent != nil
    }

    deinit {
        if ownsServer { remove() }
    }

    // MARK: The servers

    /// The environment variable naming an external server's URL (any database; the user must be able to
    /// create databases).
    package static let environmentVariable = "JOBS_TEST_POSTGRES_URL"

    /// The server shared by every test of this process: `$JOBS_TEST_POSTGRES_URL`, or one started on first use
    /// and stopped (its folder removed) when the process exits.
    package static func shared() throws -> PostgresServer {
        try sharedServer.get()
    }

    private static let sharedServer: Result<PostgresServer, Error> = Result {
        if let url = ProcessInfo.processInfo.environment[environmentVariable], !url.isEmpty {
            return PostgresServer(url: url, directory: nil, parent: nil)
        }
        let server = try start()
        SharedServerCleanup.register(directory: server.directory!)
        return server
    }

    /// Starts a private server in a new temporary folder (a few seconds: `initdb`, then `pg_ctl start`). It is
    /// stopped and its folder removed by ``remove()`` or when the value is released.
    package static func start() throws -> PostgresServer {
        // The script creates the folder itself (owned by the postgres user when run as root).
        let parent = try TemporaryDirectory(prefix: "jobs-pg")
        chmod(parent.path, 0o755)
        let directory = parent.path + "/server"
        let result = try Command.run(
            "/bin/bash", [SourceTree.path("deploy/postgres-test-server.sh"), "start", directory], timeout: 120)
        guard result.succeeded else {
            throw JobsTestingError(
                "deploy/postgres-test-server.sh could not start PostgreSQL (status \(result.status)): "
                    + result.errorOutput)
        }
        let url = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        return PostgresServer(url: url, directory: directory, parent: parent)
    }

    // MARK: Controlling a private server

    /// Stops the server (fast shutdown: clients are disconnected), keeping its data, for a test of a lost
    /// database. ``resume()`` starts it again on the same port.
    package func halt() throws {
        try control("halt")
    }

    /// Starts a server stopped by ``halt()`` again, on the same port and with the same data.
    package func resume() throws {
        try control("resume")
    }

    /// Stops the server and removes its folder. Does nothing for an external server or a second time.
    package func remove() {
        guard let directory, ownsServer else { return }
        _ = try? Command.run(
            "/bin/bash", [SourceTree.path("deploy/postgres-test-server.sh"), "stop", directory], timeout: 60)
        parent?.remove()
    }

    private func control(_ command: String) throws {
        guard let directory, ownsServer else {
            throw JobsTestingError("only a server started by PostgresServer.start() can be halted or resumed")
        }
        let result = try Command.run(
            "/bin/bash", [SourceTree.path("deploy/postgres-test-server.sh"), command, directory], timeout: 120)
        guard result.succeeded else {
            throw JobsTestingError("postgres-test-server.sh \(command) failed: \(result.errorOutput)")
        }
    }

    // MARK: Databases

    /// A new, empty database on this server, named `jobs_test_<pid>_<n>_<random>`. Dropped when the value is
    /// released.
    package func createDatabase() throws -> PostgresDatabase {
        let number = lock.withLock { () -> Int in
            counter += 1
            return counter
        }
        let name = "jobs_test_\(getpid())_\(number)_\(UInt32.random(in: 0...UInt32.max))"
        try psql("CREATE DATABASE \(name) TEMPLATE template0")
        return PostgresDatabase(server: self, name: name, url: Self.url(url, database: name))
    }

    /// Runs SQL as the superuser with `psql` (in `database`, or the server's own) and returns its unaligned
    /// output (`psql -At`). A failed statement is an error carrying psql's message.
    @discardableResult
    package func psql(_ sql: String, database: String? = nil) throws -> String {
        let target = database.map { Self.url(url, database: $0) } ?? url
        let result = try Command.run(
            try Self.program("psql"), ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", target, "-c", sql],
            timeout: 60)
        guard result.succeeded else {
            throw JobsTestingError("psql failed (status \(result.status)) on \(sql): \(result.errorOutput)")
        }
        return result.output
    }

    /// PostgreSQL's own client program `name` (`psql`, `pg_dump`) from `pg_config --bindir`: Debian's
    /// /usr/bin/psql is a Perl wrapper that costs about 0.2 s per run.
    static func program(_ name: String) throws -> String {
        let directory = try binaryDirectory.get()
        let path = directory + "/" + name
        return FileManager.default.isExecutableFile(atPath: path) ? path : try BuiltBinaries.system(name)
    }

    private static let binaryDirectory: Result<String, Error> = Result {
        let bindir = try Command.run("/bin/sh", ["-c", "pg_config --bindir"], timeout: 30)
        guard bindir.succeeded else {
            throw JobsTestingError("pg_config --bindir failed: install postgresql and libpq-dev")
        }
        return bindir.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `url` with its database (the path after the host) replaced by `database`; the query, if any, is kept.
    static func url(_ url: String, database: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let queryStart = rest[authorityEnd...].firstIndex(of: "?") ?? rest.endIndex
        return String(url[..<authorityEnd]) + "/" + database + String(rest[queryStart...])
    }
}

/// A database of its own on a ``PostgresServer``, dropped (its connections ended) when the value is released.
package final class PostgresDatabase: Sendable {
    /// The server it lives on.
    package let server: PostgresServer
    /// Its name.
    package let name: String
    /// Its URL, for `--store` or `JOBS_STORE`.
    package let url: String

    init(server: PostgresServer, name: String, url: String) {
        self.server = server
        self.name = name
        self.url = url
    }

    /// Everything the database holds, as `pg_dump` writes it (schema and data, plain SQL).
    package func dump() throws -> String {
        let result = try Command.run(try PostgresServer.program("pg_dump"), ["-d", url], timeout: 120)
        guard result.succeeded else {
            throw JobsTestingError("pg_dump failed (status \(result.status)): \(result.errorOutput)")
        }
        return result.output
    }

    deinit {
        // WITH (FORCE) ends the connections still open (a jobs-fcgi that outlived its test, say).
        _ = try? server.psql("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }
}

/// Stops the server ``PostgresServer/shared()`` started when the test process exits.
private enum SharedServerCleanup {
    nonisolated(unsafe) static var directory: String?
    nonisolated(unsafe) static var script: String?

    static func register(directory: String) {
        self.directory = directory
        script = SourceTree.path("deploy/postgres-test-server.sh")
        // system(3), not Command: no threads are started while the process exits. The paths are ours (no quotes).
        atexit {
            guard let directory = SharedServerCleanup.directory, let script = SharedServerCleanup.script else { return }
            let parent = (directory as NSString).deletingLastPathComponent
            _ = system("/bin/bash '\(script)' stop '\(directory)' >/dev/null 2>&1; rm -rf '\(parent)'")
        }
    }
}

extension PostgresDatabase {
    /// A session of its own that runs `statements` in one transaction and then waits in it, keeping the locks
    /// they took (its query is `SELECT pg_sleep(600) AS holding_locks_for_a_test`), until
    /// ``PostgresLockHolder/release()``. Returns once the session is waiting. `psql`'s output goes to `logPath`.
    package func holdingLocks(_ statements: [String], logPath: String) throws -> PostgresLockHolder {
        var arguments = ["-X", "-q", "-d", url, "-c", "BEGIN"]
        for statement in statements { arguments += ["-c", statement] }
        arguments += ["-c", "SELECT pg_sleep(600) AS holding_locks_for_a_test"]
        let process = try ChildProcess.spawn(
            try PostgresServer.program("psql"), arguments, environment: ProcessInfo.processInfo.environment,
            logPath: logPath)
        let holder = PostgresLockHolder(database: self, process: process)
        guard eventually(timeout: 30, { holder.isWaiting }) else {
            holder.release()
            throw JobsTestingError("the lock-holding session never got to wait: see \(logPath)")
        }
        return holder
    }
}

/// A session that holds locks for a test (``PostgresDatabase/holdingLocks(_:logPath:)``); released at the latest
/// when the value goes away.
package final class PostgresLockHolder: @unchecked Sendable {
    // Safe to share: both are set once; `release` is idempotent on the server's side.
    private let database: PostgresDatabase
    private let process: ChildProcess

    init(database: PostgresDatabase, process: ChildProcess) {
        self.database = database
        self.process = process
    }

    deinit { release() }

    /// Whether the session's transaction is waiting with its locks.
    var isWaiting: Bool {
        (try? database.server.psql(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%holding_locks_for_a_test%' AND state = 'active'"
                + " AND pid <> pg_backend_pid()", database: database.name))?
            .trimmingCharacters(in: .whitespacesAndNewlines) == "1"
    }

    /// Ends the session's backend (its transaction rolls back, its locks go), then the `psql` process.
    package func release() {
        _ = try? database.server.psql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%holding_locks_for_a_test%'"
                + " AND pid <> pg_backend_pid()", database: database.name)
        process.stop(SIGKILL, grace: 5)
    }
}
