import ArgumentParser
import FastCGI
import Foundation
import JobsCore
import SQLiteStore
import StoreConnectors

/// `jobs-fcgi`: the Jobs API as a FastCGI responder, behind nginx.
///
/// Runs under spawn-fcgi (which hands over the listening socket as fd 0) or listens itself (`--listen`).
/// Checks the store before accepting anything, then serves with one store connection per thread until
/// SIGTERM or SIGINT, when it finishes the requests in flight and exits 0.
@main
struct JobsFCGI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs-fcgi",
        abstract: "Serve the Jobs API over FastCGI.",
        discussion: """
            Without --listen, the listening socket is the one inherited as file descriptor 0, as spawn-fcgi \
            passes it: spawn-fcgi -n -s /run/jobs-api/jobs-fcgi.sock -M 0660 -- jobs-fcgi --store /var/lib/jobs-api/jobs.sqlite3 (as the packaged jobs-api.service does). \
            Logs one line per request to standard error; SIGTERM or SIGINT stops it gracefully.
            """,
        version: Release.version)

    @Option(
        help: ArgumentHelp(
            "Listen on unix:PATH or HOST:PORT ([IPv6]:PORT, :PORT for every address) instead of the socket inherited as fd 0.",
            valueName: "address"))
    var listen: String?

    @Option(help: ArgumentHelp("The mode of the socket file made for --listen unix:PATH, in octal.", valueName: "mode"))
    var socketMode: String = "0660"

    @Option(
        help: ArgumentHelp(
            "Requests served at once, one thread each (1–\(FastCGIServer.maximumThreadCount)). Default: the number of active cores.",
            valueName: "n"))
    var threads: Int?

    @Option(
        help: ArgumentHelp("The store: a SQLite file path (or sqlite:PATH), or a postgresql:// URL. Defaults to $JOBS_STORE.", valueName: "DSN"))
    var store: String?

    @Option(
        help: ArgumentHelp(
            "When a new deletion job becomes due: next-midnight (UTC), or a delay after its creation such as 0s, 15m, 24h.",
            valueName: "delay"))
    var scheduleDelay: String = "next-midnight"

    @Option(
        help: ArgumentHelp(
            "Failed authentications a client address may make per minute (per process) before it gets 429 for the rest of the minute; 0 turns limiting off. At least \(FailedAuthenticationLimiter.minimumLimit).",
            valueName: "n"))
    var authFailureLimit: Int = 60

    @Option(
        help: ArgumentHelp(
            "SQLite store: full (every acknowledged write survives an app crash and a power cut) or normal (survives an app crash; a power cut may lose the last commits).",
            valueName: "mode"))
    var sqliteSynchronous: String = "full"

    @Option(
        help: ArgumentHelp(
            "SQLite store: how long a write waits for another process's writer before the request answers 503, in milliseconds (0–60000); the threads of one process queue without it.",
            valueName: "ms"))
    var sqliteBusyTimeout: Int = 5000

    func validate() throws {
        guard SQLiteOptions.Synchronous(name: sqliteSynchronous) != nil else {
            throw ValidationError("--sqlite-synchronous must be full or normal")
        }
        guard (0...60_000).contains(sqliteBusyTimeout) else {
            throw ValidationError("--sqlite-busy-timeout must be 0 to 60000 milliseconds")
        }
        guard authFailureLimit == 0 || authFailureLimit >= FailedAuthenticationLimiter.minimumLimit else {
            throw ValidationError(
                "--auth-failure-limit must be 0 (off) or at least \(FailedAuthenticationLimiter.minimumLimit)")
        }
        if let threads, !(1...FastCGIServer.maximumThreadCount).contains(threads) {
            throw ValidationError("--threads must be 1 to \(FastCGIServer.maximumThreadCount)")
        }
        guard ScheduleDelay(parsing: scheduleDelay) != nil else {
            throw ValidationError(
                "--schedule-delay must be next-midnight or a duration such as 0s, 15m, 24h (at most 366 days)")
        }
        let mode = try parsedSocketMode()
        if let listen {
            do {
                _ = try FastCGIListenAddress(parsing: listen, socketMode: mode)
            } catch {
                throw ValidationError("--listen: \(error)")
            }
        }
    }

    func run() throws {
        let log = ServerLog()
        do {
            try serve(log: log)
        } catch {
            log.write("error: \(error)")
            throw ExitCode.failure
        }
    }

    private func serve(log: ServerLog) throws {
        let location = try StoreLocation.resolve(option: store)
        let sqliteOptions = SQLiteOptions(
            synchronous: SQLiteOptions.Synchronous(name: sqliteSynchronous) ?? .full,
            busyTimeoutMilliseconds: sqliteBusyTimeout)
        let connector = location.connector(sqliteOptions: sqliteOptions)
        // Fails with the operator's fix (`jobsctl init`) when the store is missing or on another schema, before
        // a single connection is accepted. The connection closes again at once: each thread opens its own.
        _ = try connector.connect()
        // For the start-up line: the schema the store is on (the check above makes it this program's).
        let schemaVersion = try connector.connectForAdministration(create: false).schemaVersion()

        let address = try listen.map { try FastCGIListenAddress(parsing: $0, socketMode: parsedSocketMode()) }
            ?? .inherited
        let listener = try FastCGIListener(address)
        let threadCount = threads ?? ProcessInfo.processInfo.activeProcessorCount
        let delay = ScheduleDelay(parsing: scheduleDelay) ?? .nextMidnight
        let api = JobsAPI(
            scheduleDelay: delay,
            failedAuthenticationLimiter: authFailureLimit == 0 ? nil : FailedAuthenticationLimiter(limit: authFailureLimit))

        log.write(
            "listening on \(Self.describe(listener)) with \(threadCount) thread\(threadCount == 1 ? "" : "s"); "
                + "store \(location.displayName), schema \(schemaVersion)\(Self.describe(sqliteOptions, for: location)); "
                + "schedule-delay \(delay); version \(Release.version)")
        let server = FastCGIServer(listener: listener, threadCount: threadCount, log: log.write)
        let shutdown = try server.run {
            JobsRequestHandler(api: api, store: try connector.connect(), log: log)
        }
        let cause = shutdown.signalName.map { "on \($0)" } ?? "after its threads ended"
        log.write("stopped \(cause); served \(shutdown.requestsServed) request\(shutdown.requestsServed == 1 ? "" : "s")")
    }

    /// The SQLite settings in force, for the start-up line; nothing for another store.
    private static func describe(_ options: SQLiteOptions, for location: StoreLocation) -> String {
        guard case .sqlite = location else { return "" }
        let mode = options.synchronous == .full ? "full" : "normal"
        return " (sqlite synchronous \(mode), busy timeout \(options.busyTimeoutMilliseconds) ms)"
    }

    /// `--socket-mode` as a number: octal digits, at most 0777.
    private func parsedSocketMode() throws -> UInt16 {
        guard !socketMode.isEmpty, socketMode.count <= 4, let mode = UInt16(socketMode, radix: 8), mode <= 0o777
        else {
            throw ValidationError("--socket-mode must be an octal mode such as 0660 or 0666")
        }
        return mode
    }

    private static func describe(_ listener: FastCGIListener) -> String {
        switch listener.address {
        case .inherited:
            return "\(listener.boundAddress) (inherited as fd 0)"
        case .unix(_, let mode):
            return "\(listener.boundAddress) (mode 0\(String(mode, radix: 8)))"
        case .tcp:
            return listener.boundAddress
        }
    }
}
