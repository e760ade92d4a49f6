import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Several app hosts behind one nginx, on one machine: N `jobs-fcgi` instances on TCP ports of 127.0.0.1 sharing one
/// store, and nginx with the shipped multi-host site (`nginx/jobs-api-upstream.conf`, through
/// `deploy/nginx-local-upstream-conf.sh`) whose upstream lists them.
///
/// The instances are started both ways a host may run the app: even-numbered ones with
/// `spawn-fcgi -n -a 127.0.0.1 -p PORT -- jobs-fcgi …`, odd-numbered ones with `jobs-fcgi --listen 127.0.0.1:PORT`.
/// Each logs to a file of its own. A test may kill one (``kill(_:signal:)``) and start it again on its port
/// (``start(_:)``). Everything is stopped by ``stop()`` or, at the latest, when the value is released.
package final class UpstreamStack: RunningStack, @unchecked Sendable {
    // Safe to share: the mutable state (`processes`) is only touched with `lock` held; the rest is set
    // once, in `init`.

    /// How the stack is run.
    package struct Options: Sendable {
        /// App instances, each on a port of its own.
        package var instances: Int
        /// Request threads per instance (`jobs-fcgi --threads`).
        package var threads: Int
        /// `jobs-fcgi --schedule-delay`; `nil` keeps the app's default (`next-midnight`).
        package var scheduleDelay: String?
        /// The store every instance, worker and `jobsctl` uses (`--store`, `JOBS_STORE`): a PostgreSQL URL, or
        /// `nil` for a SQLite file in the stack's directory. It is initialised (`jobsctl init`) by the stack.
        package var store: String?
        /// More upstream servers put before the instances: peers a test runs itself, as `HOST:PORT`, optionally
        /// followed by nginx server parameters (`127.0.0.1:9003 max_fails=0`).
        package var extraServers: [String]

        package init(
            instances: Int = 2, threads: Int = 4, scheduleDelay: String? = nil, store: String? = nil,
            extraServers: [String] = []
        ) {
            self.instances = instances
            self.threads = threads
            self.scheduleDelay = scheduleDelay
            self.store = store
            self.extraServers = extraServers
        }
    }

    /// How an instance was started.
    package enum Launcher: Sendable {
        /// `spawn-fcgi -n -a HOST -p PORT -- jobs-fcgi …`: spawn-fcgi binds the port and execs the app in place.
        case spawnFCGI
        /// `jobs-fcgi --listen HOST:PORT …`.
        case listen
    }

    /// One app instance: a "host".
    package struct Instance: Sendable {
        /// Its index in ``instances``.
        package var index: Int
        /// Its TCP port on 127.0.0.1.
        package var port: UInt16
        /// How it is started.
        package var launcher: Launcher
        /// Its stderr: one line per request, across restarts.
        package var logPath: String

        /// `127.0.0.1:PORT`, as nginx's upstream names it.
        package var address: String { "127.0.0.1:\(port)" }
    }

    package let options: Options
    package let directory: TemporaryDirectory
    /// The store: a PostgreSQL URL or a SQLite path.
    package let store: String
    /// The app instances, in upstream order (after ``Options/extraServers``).
    package let instances: [Instance]
    /// nginx's error log.
    package let nginxErrorLogPath: String
    /// nginx's port on 127.0.0.1.
    package private(set) var port: UInt16 = 0

    private let lock = NSLock()
    private var processes: [Int: ChildProcess] = [:]
    private let nginx = NginxProcess()

    /// Initialises the store, starts every instance and nginx, and returns once every instance answers through
    /// nginx.
    package init(_ options: Options = Options()) throws {
        precondition(options.instances >= 1)
        self.options = options
        directory = try TemporaryDirectory(prefix: "jobs-e2e-upstream")
        store = options.store ?? directory.appending("jobs.sqlite3")
        nginxErrorLogPath = directory.appending("error.log")
        // nginx's workers keep their temporary files in this directory.
        try NginxProcess.openToWorkers(directory)
        var instances: [Instance] = []
        var taken: Set<UInt16> = []
        for index in 0..<options.instances {
            var port = try LoopbackSocket.freePort()
            while taken.contains(port) { port = try LoopbackSocket.freePort() }
            taken.insert(port)
            instances.append(
                Instance(
                    index: index, port: port, launcher: index.isMultiple(of: 2) ? .spawnFCGI : .listen,
                    logPath: directory.appending("jobs-fcgi-\(index).log")))
        }
        self.instances = instances
        try bringUp {
            try jobsctl(["init"])
            for instance in instances { try start(instance.index) }
            try startNginx()
            try waitUntilServing()
        }
    }

    deinit {
        stop()
    }

    /// The environment of every command the stack runs: this process's, with `JOBS_STORE` set to the store.
    package var environment: [String: String] { Stack.environment(store: store) }

    // MARK: Instances

    /// Starts instance `index` on its port (again, after ``kill(_:signal:)``) and waits until it listens.
    package func start(_ index: Int) throws {
        let instance = instances[index]
        let listeningBefore = listeningLines(of: index)
        var app = [try BuiltBinaries.jobsFCGI()]
        if instance.launcher == .listen { app += ["--listen", instance.address] }
        app += ["--store", store, "--threads", String(options.threads), "--auth-failure-limit", "0"]
        if let delay = options.scheduleDelay { app += ["--schedule-delay", delay] }
        let (executable, arguments): (String, [String])
        switch instance.launcher {
        case .spawnFCGI:
            executable = try BuiltBinaries.system("spawn-fcgi")
            arguments = ["-n", "-b", "4096", "-a", "127.0.0.1", "-p", String(instance.port), "--"] + app
        case .listen:
            executable = app[0]
            arguments = Array(app.dropFirst())
        }
        let process = try ChildProcess.spawn(
            executable, arguments, environment: environment, logPath: instance.logPath)
        lock.withLock { processes[index] = process }

        let deadline = Date().addingTimeInterval(patientTimeout)
        while listeningLines(of: index) == listeningBefore {
            if process.exitStatus != nil || Date() > deadline {
                process.stop(SIGKILL, grace: 1)
                throw JobsTestingError("jobs-fcgi \(index) did not start on \(instance.address):\n\(log(of: index))")
            }
            usleep(10_000)
        }
    }

    /// Sends `signal` to instance `index` and waits until it exited (SIGKILL: the host dies at once, requests in
    /// flight included). Returns its exit status.
    @discardableResult
    package func kill(_ index: Int, signal: Int32 = SIGKILL, timeout: TimeInterval = patientTimeout) throws -> Int32 {
        guard let process = lock.withLock({ processes[index] }) else {
            throw JobsTestingError("jobs-fcgi \(index) is not running")
        }
        let status = try process.end(signal, timeout: timeout, name: "jobs-fcgi \(index)")
        lock.withLock { processes[index] = nil }
        return status
    }

    /// The pid of instance `index`, while it runs.
    package func pid(of index: Int) -> pid_t? {
        lock.withLock { processes[index]?.pid }
    }

    /// Whether instance `index` runs.
    package func isRunning(_ index: Int) -> Bool {
        lock.withLock { processes[index]?.isRunning ?? false }
    }

    /// Instance `index`'s log so far.
    package func log(of index: Int) -> String {
        (try? String(contentsOfFile: instances[index].logPath, encoding: .utf8)) ?? ""
    }

    /// The request lines of instance `index`'s log (`METHOD PATH STATUS …`), across its restarts.
    package func requestLines(of index: Int) -> [String] {
        log(of: index).split(separator: "\n").compactMap { line in
            guard let body = line.firstRange(of: "]: ").map({ line[$0.upperBound...] }) else { return nil }
            let method = body.prefix { $0 != " " }
            return !method.isEmpty && method.allSatisfy(\.isUppercase) ? String(body) : nil
        }
    }

    /// nginx's error log so far.
    package var nginxErrorLog: String { (try? String(contentsOfFile: nginxErrorLogPath, encoding: .utf8)) ?? "" }

    private func listeningLines(of index: Int) -> Int {
        log(of: index).components(separatedBy: ": listening on ").count - 1
    }

    /// Waits until requests through nginx reach the app on every instance: 2 × N unauthenticated requests in a row
    /// get the app's 401 (round robin sends some to each).
    package func waitUntilServing(timeout: TimeInterval = patientTimeout) throws {
        let deadline = Date().addingTimeInterval(timeout)
        var inARow = 0
        var last = "no answer"
        while inARow < 2 * instances.count {
            do {
                let response = try client.get("/public/00000000000000000000/jobs")
                if response.status == 401 {
                    inARow += 1
                    continue
                }
                last = response.description
            } catch {
                last = "\(error)"
            }
            inARow = 0
            guard Date() < deadline else {
                throw JobsTestingError("the upstream stack is not serving: \(last)\nnginx error log:\n\(nginxErrorLog)")
            }
            usleep(20_000)
        }
    }

    // MARK: nginx

    /// Generates the configuration and starts nginx on a free port.
    private func startNginx() throws {
        port = try nginx.start(
            in: directory, script: "deploy/nginx-local-upstream-conf.sh",
            arguments: options.extraServers + instances.map(\.address), errorLogPath: nginxErrorLogPath,
            environment: environment)
    }

    // MARK: Stopping

    /// Stops nginx and every instance (SIGTERM, SIGKILL after 5 s). Safe to call more than once.
    package func stop() {
        nginx.stop()
        let running = lock.withLock { () -> [ChildProcess] in
            defer { processes = [:] }
            return Array(processes.values)
        }
        for process in running { process.send(SIGTERM) }
        for process in running { process.stop(SIGTERM, grace: 5) }
    }
}
