import ArgumentParser
import FastCGI
import Foundation
import JobsCore
import PostgresStore
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
            passes it: spawn-fcgi -n -b 4096 -s /run/jobs-api/jobs-fcgi.sock -M 0660 -- jobs-fcgi --store /var/lib/jobs-api/jobs.sqlite3 (as the packaged jobs-api.service does). \
            Logs one line per request to standard error; SIGTERM or SIGINT stops it gracefully. Under systemd \
            (Type=notify) it reports READY=1 once serving and, with WatchdogSec=, WATCHDOG=1 while no request has \
            run for a whole watchdog interval. Answers GET /jobs-api/ping (pong), /jobs-api/status (JSON) and \
            /jobs-api/metrics (Prometheus text) without an API key: the shipped nginx site lets only loopback reach \
            them (docs/MONITORING.md).
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
            "The listen queue of the socket made for --listen: connections waiting for a thread (1–65535; the kernel caps it at net.core.somaxconn). Size it for the connections nginx may open at once; under spawn-fcgi, use its -b.",
            valueName: "n"))
    var listenBacklog: Int = FastCGIListener.defaultBacklog

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
            "Failed authentications a client address (IPv6: its /64) may make per minute (per process); past that its failing requests get 429 for the rest of the minute, while valid keys from it are still served. 0 turns limiting off. At least \(FailedAuthenticationLimiter.minimumLimit).",
            valueName: "n"))
    var authFailureLimit: Int = 60

    @Option(
        help: ArgumentHelp(
            "SQLite store: full (every acknowledged write survives an app crash and a power cut) or normal (survives an app crash; a power cut may lose the last commits).",
            valueName: "mode"))
    var sqliteSynchronous: String = "full"

    @Option(
        help: ArgumentHelp(
            "SQLite store: how long a write waits in all, for this process's other writers and another process's lock, before the request answers 503, in milliseconds (0–60000).",
            valueName: "ms"))
    var sqliteBusyTimeout: Int = 5000

    @Option(
        help: ArgumentHelp(
            "PostgreSQL store: the session's statement_timeout, in milliseconds (0 turns it off, up to 600000). A statement running longer, or a server that stops answering for 2 s more, answers 503.",
            valueName: "ms"))
    var postgresStatementTimeout: Int = 5000

    func validate() throws {
        guard SQLiteOptions.Synchronous(name: sqliteSynchronous) != nil else {
            throw ValidationError("--sqlite-synchronous must be full or normal")
        }
        guard (0...60_000).contains(sqliteBusyTimeout) else {
            throw ValidationError("--sqlite-busy-timeout must be 0 to 60000 milliseconds")
        }
        guard (0...600_000).contains(postgresStatementTimeout) else {
            throw ValidationError("--postgres-statement-timeout must be 0 to 600000 milliseconds")
        }
        guard authFailureLimit == 0 || authFailureLimit >= FailedAuthenticationLimiter.minimumLimit else {
            throw ValidationError(
                "--auth-failure-limit must be 0 (off) or at least \(FailedAuthenticationLimiter.minimumLimit)")
        }
        guard (1...65535).contains(listenBacklog) else {
            throw ValidationError("--listen-backlog must be 1 to 65535")
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
        let startTime = Date().timeIntervalSince1970
        let location = try StoreLocation.resolve(option: store)
        let threadCount = threads ?? ProcessInfo.processInfo.activeProcessorCount
        // Writers waiting on a lock another process holds never take every thread: one is left for reads.
        let sqliteOptions = SQLiteOptions(
            synchronous: SQLiteOptions.Synchronous(name: sqliteSynchronous) ?? .full,
            busyTimeoutMilliseconds: sqliteBusyTimeout, writerLimit: max(1, threadCount - 1))
        let postgresOptions = PostgresOptions(
            statementTimeoutMilliseconds: postgresStatementTimeout == 0 ? nil : postgresStatementTimeout)
        let connector = location.connector(sqliteOptions: sqliteOptions, postgresOptions: postgresOptions)
        // Fails with the operator's fix (`jobsctl init`) when the store is missing or on another schema, before
        // a single connection is accepted. The connection closes again at once: each thread opens its own.
        _ = try connector.connect()
        // For the start-up line: the schema the store is on (the check above makes it this program's).
        let schemaVersion = try connector.connectForAdministration(create: false).schemaVersion()

        let address = try listen.map { try FastCGIListenAddress(parsing: $0, socketMode: parsedSocketMode()) }
            ?? .inherited
        let listener = try FastCGIListener(address, backlog: Int32(listenBacklog))
        let delay = ScheduleDelay(parsing: scheduleDelay) ?? .nextMidnight
        let api = JobsAPI(
            scheduleDelay: delay,
            failedAuthenticationLimiter: authFailureLimit == 0 ? nil : FailedAuthenticationLimiter(limit: authFailureLimit))

        log.write(
            "listening on \(Self.describe(listener)) with \(threadCount) thread\(threadCount == 1 ? "" : "s"); "
                + "store \(location.displayName), schema \(schemaVersion)\(Self.describe(sqliteOptions, postgresOptions, for: location)); "
                + "schedule-delay \(delay); version \(Release.version)")
        // Under systemd with Type=notify (and WatchdogSec=), NOTIFY_SOCKET (and WATCHDOG_USEC) say where to report.
        let notifier = ServiceNotifier(environment: ProcessInfo.processInfo.environment)
        if let interval = notifier?.watchdogInterval {
            log.write("watchdog: WATCHDOG=1 every \(interval / 4) while no request has run for \(interval)")
        }
        let monitor = Monitor(
            process: Monitor.Process(
                version: Release.version, pid: Int64(ProcessInfo.processInfo.processIdentifier),
                startTime: startTime, threads: threadCount, storeKind: location.engineName),
            processFigures: { ProcessFigures.current() })
        let server = FastCGIServer(listener: listener, threadCount: threadCount, log: log.write, notifier: notifier)
        let shutdown = try server.run {
            JobsRequestHandler(api: api, monitor: monitor, store: try connector.connect(), log: log)
        }
        let cause = shutdown.signalName.map { "on \($0)" } ?? "after its threads ended"
        log.write("stopped \(cause); served \(shutdown.requestsServed) request\(shutdown.requestsServed == 1 ? "" : "s")")
    }

    /// The store's settings in force, for the start-up line.
    private static func describe(
        _ sqlite: SQLiteOptions, _ postgres: PostgresOptions, for location: StoreLocation
    ) -> String {
        switch location {
        case .sqlite:
            let mode = sqlite.synchronous == .full ? "full" : "normal"
            return " (sqlite synchronous \(mode), busy timeout \(sqlite.busyTimeoutMilliseconds) ms)"
        case .postgres:
            return " (statement timeout \(postgres.statementTimeoutMilliseconds.map { "\($0) ms" } ?? "off"))"
        }
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
