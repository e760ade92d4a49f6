import Foundation

/// The real stack on a temporary store, started the way a user starts it: `jobsctl init`, then
/// `spawn-fcgi -F N -s SOCKET -M 0666 -- jobs-fcgi --store PATH`, then nginx with the shipped site
/// (`nginx/jobs-api.conf`, through `deploy/nginx-local-conf.sh`) on a free port of 127.0.0.1.
///
/// Everything is stopped by ``stop()`` or, at the latest, when the value is released, also when a test fails.
/// Nothing touches the system's nginx configuration.
package final class Stack: @unchecked Sendable {
    // Safe to share: the mutable state (`runningAppPIDs`) is only touched with `lock` held; `port` and
    // the rest are set once, in `init`.

    /// How the FastCGI application is run.
    package struct Options: Sendable {
        /// FastCGI processes forked by spawn-fcgi (`-F`).
        package var processes: Int
        /// Request threads per process (`jobs-fcgi --threads`); `nil` keeps the app's default.
        package var threads: Int?
        /// `jobs-fcgi --schedule-delay`; `nil` keeps the app's default (`next-midnight`).
        package var scheduleDelay: String?

        /// `jobs-fcgi --auth-failure-limit`: 0 (off) unless a test is about the limit, since the suites send many
        /// failures from 127.0.0.1.
        package var authFailureLimit: Int
        /// The store engine; `JOBS_TEST_STORE`'s (SQLite unless it says `postgres`) unless told otherwise.
        package var store: StoreKind

        /// The folder of a SQLite store (an existing one, such as a small filesystem mounted by the test): the
        /// store is `jobs.sqlite3` there, whatever `store` says. `nil` puts the store where `store` says.
        package var storeFolder: String?

        /// More `jobs-fcgi` options, after the others (`--sqlite-busy-timeout 1000`).
        package var appArguments: [String]
        /// More environment variables for `jobs-fcgi` (`NOTIFY_SOCKET`), on top of ``Stack/environment``.
        package var appEnvironment: [String: String]

        package init(
            processes: Int = 2, threads: Int? = nil, scheduleDelay: String? = nil, authFailureLimit: Int = 0,
            store: StoreKind = .configured, storeFolder: String? = nil, appArguments: [String] = [],
            appEnvironment: [String: String] = [:]
        ) {
            self.appArguments = appArguments
            self.appEnvironment = appEnvironment
            self.storeFolder = storeFolder
            self.authFailureLimit = authFailureLimit
            self.store = store
            self.processes = processes
            self.threads = threads
            self.scheduleDelay = scheduleDelay
        }
    }

    package let options: Options
    /// Holds the store, the socket, the nginx configuration and every log; removed with the stack.
    package let directory: TemporaryDirectory
    /// The store's DSN: the SQLite file's path, or the PostgreSQL database's URL (``Options-swift.struct/store``).
    package let storePath: String
    /// The PostgreSQL database of a `.postgres` stack, dropped with the stack.
    package let postgresDatabase: PostgresDatabase?
    /// The app's FastCGI socket, created by spawn-fcgi.
    package let socketPath: String
    /// The app's stderr (one line per request), all processes together.
    package let appLogPath: String
    /// nginx's error log.
    package let nginxErrorLogPath: String
    /// nginx's port on 127.0.0.1.
    package private(set) var port: UInt16 = 0

    private let lock = NSLock()
    private var runningAppPIDs: [pid_t] = []
    private let nginx = NginxProcess()

    /// Starts the whole stack and returns once it answers requests.
    package init(_ options: Options = Options()) throws {
        self.options = options
        directory = try TemporaryDirectory(prefix: "jobs-e2e")
        if let folder = options.storeFolder {
            (storePath, postgresDatabase) = (folder + "/jobs.sqlite3", nil)
        } else {
            (storePath, postgresDatabase) = try Self.makeStore(options.store, in: directory)
        }
        socketPath = directory.appending("jobs-fcgi.sock")
        appLogPath = directory.appending("jobs-fcgi.log")
        nginxErrorLogPath = directory.appending("error.log")
        // spawn-fcgi -M 0666 lets nginx's workers connect to the socket, once they can enter the directory.
        try NginxProcess.openToWorkers(directory)
        try bringUp {
            try jobsctl(["init"])
            try startApp()
            try startNginx()
            try waitUntilServing()
        }
    }

    deinit {
        stop()
    }

    /// The pids of the running FastCGI processes (spawn-fcgi's children).
    package var appPIDs: [pid_t] { lock.withLock { runningAppPIDs } }

    /// Whether `pid` is a running process.
    package func isAlive(_ pid: pid_t) -> Bool { ProcessStatus.isAlive(pid) }

    /// The app's log so far.
    package var appLog: String { (try? String(contentsOfFile: appLogPath, encoding: .utf8)) ?? "" }

    /// nginx's error log so far.
    package var nginxErrorLog: String { (try? String(contentsOfFile: nginxErrorLogPath, encoding: .utf8)) ?? "" }

    /// The environment of every command the stack runs: this process's, with `JOBS_STORE` set to the store.
    package var environment: [String: String] { Self.environment(store: storePath) }

    /// This process's environment with `JOBS_STORE` set to `store`.
    static func environment(store: String) -> [String: String] {
        ProcessInfo.processInfo.environment.merging(["JOBS_STORE": store]) { $1 }
    }

    // MARK: The application

    /// Starts the FastCGI processes with spawn-fcgi; their pids come from its pid file (one per line).
    package func startApp() throws {
        let pidFile = directory.appending("jobs-fcgi.pids")
        try? FileManager.default.removeItem(atPath: pidFile)
        var appArguments = [try BuiltBinaries.jobsFCGI(), "--store", storePath]
        if let threads = options.threads { appArguments += ["--threads", String(threads)] }
        if let delay = options.scheduleDelay { appArguments += ["--schedule-delay", delay] }
        appArguments += ["--auth-failure-limit", String(options.authFailureLimit)]
        appArguments += options.appArguments
        // spawn-fcgi -F points its children's stderr at /dev/null; a shell that execs the app (same pid) keeps it.
        let keepLog = "exec \"$0\" \"$@\" 2>>'\(appLogPath)'"
        let spawned = Result {
            try Command.run(
                BuiltBinaries.system("spawn-fcgi"),
                ["-F", String(options.processes), "-b", "4096", "-s", socketPath, "-M", "0666", "-P", pidFile, "--", "/bin/sh",
                 "-c", keepLog] + appArguments,
                environment: environment.merging(options.appEnvironment) { $1 }, timeout: 30)
        }
        // Recorded whatever happened, so that stop() ends every child that did start.
        let pids = ((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "")
            .split(whereSeparator: \.isNewline).compactMap { pid_t($0) }
        lock.withLock { runningAppPIDs = pids }
        let result = try spawned.get()
        guard result.succeeded, pids.count == options.processes else {
            throw JobsTestingError(
                "spawn-fcgi failed (status \(result.status)): \(result.output)\(result.errorOutput)\n"
                    + "jobs-fcgi log:\n\(appLog)")
        }
    }

    /// Sends SIGTERM to every FastCGI process and waits for them to exit. Returns each pid's seconds from the
    /// signal to its exit. A process still alive after `timeout` seconds is killed, and that is an error.
    @discardableResult
    package func stopApp(timeout: TimeInterval = patientTimeout) throws -> [pid_t: TimeInterval] {
        let pids = appPIDs
        for pid in pids { kill(pid, SIGTERM) }
        let exited = ProcessStatus.waitForExit(of: pids, timeout: timeout)
        let stuck = pids.filter { exited[$0] == nil }
        for pid in stuck { kill(pid, SIGKILL) }
        lock.withLock { runningAppPIDs = [] }
        guard stuck.isEmpty else {
            throw JobsTestingError("jobs-fcgi \(stuck) still running \(timeout) s after SIGTERM; killed")
        }
        return exited
    }

    /// Stops the FastCGI processes with SIGTERM and starts new ones on the same store and socket.
    package func restartApp() throws {
        try stopApp()
        try startApp()
        try waitUntilServing()
    }

    /// Waits until a request through nginx reaches the app (an unauthenticated request gets the app's 401).
    package func waitUntilServing(timeout: TimeInterval = patientTimeout) throws {
        let deadline = Date().addingTimeInterval(timeout)
        var last = "no answer"
        while Date() < deadline {
            do {
                let response = try client.get("/public/00000000000000000000/jobs")
                if response.status == 401 { return }
                last = response.description
            } catch {
                last = "\(error)"
            }
            if !appPIDs.isEmpty && !appPIDs.contains(where: isAlive) {
                break
            }
            usleep(20_000)
        }
        throw JobsTestingError(
            "the stack is not serving: \(last)\njobs-fcgi log:\n\(appLog)\nnginx error log:\n\(nginxErrorLog)")
    }

    // MARK: nginx

    /// Generates the configuration and starts nginx in the foreground on a free port.
    private func startNginx() throws {
        port = try nginx.start(
            in: directory, script: "deploy/nginx-local-conf.sh", errorLogPath: nginxErrorLogPath,
            environment: environment)
    }

    /// A TCP port of 127.0.0.1 that was free a moment ago (the kernel's choice for a socket bound to port 0).
    package static func freePort() throws -> UInt16 {
        try LoopbackSocket.freePort()
    }

    // MARK: Stopping

    /// Stops the app and nginx. Safe to call more than once.
    package func stop() {
        _ = try? stopApp(timeout: 5)
        nginx.stop()
    }
}
