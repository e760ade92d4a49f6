import CFastCGI
import StandardErrorLog
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A multi-threaded FastCGI responder on libfcgi, built the way libfcgi's `examples/threaded.c` is: a fixed
/// number of threads, each with its own request; idle threads all wait in `accept`, which gives each connection
/// to one of them.
///
/// ```swift
/// let server = FastCGIServer(listener: try FastCGIListener(.inherited), threadCount: 4)
/// try server.run { try MyHandler() }   // returns after SIGTERM, once requests in flight are answered
/// ```
///
/// SIGTERM, SIGINT and SIGUSR1 stop the server gracefully: it stops accepting, lets the requests in flight
/// finish, and `run` returns. SIGPIPE is ignored, so a client that goes away mid-response costs nothing but
/// that response. libfcgi's stop is final, so a process runs a server once.
public final class FastCGIServer: Sendable {
    /// Where connections come from.
    let listener: FastCGIListener
    /// How many requests are served at once: one thread each.
    let threadCount: Int
    /// Where the server's own events go (an accept that keeps failing); one line per call.
    let log: @Sendable (String) -> Void
    /// The service manager to tell that the server is ready (`READY=1`, once every thread runs), alive
    /// (`WATCHDOG=1`, while its threads make progress) and stopping; `nil` for none.
    let notifier: ServiceNotifier?

    /// How `run` ended.
    public struct Shutdown: Sendable {
        /// The signal that stopped the server.
        public var signal: Int32?
        /// Requests answered, across every thread.
        public var requestsServed: Int

        /// The signal's name (`SIGTERM`), or `nil`.
        public var signalName: String? { signal.map(ShutdownSignals.name(of:)) }
    }

    /// The number of processors online, at least 1.
    public static var defaultThreadCount: Int {
        max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }

    /// The most threads a server runs.
    public static let maximumThreadCount = 1024

    /// A server taking connections from `listener` on `threadCount` threads (1...1024).
    ///
    /// With a `notifier` whose service manager wants a watchdog, the server sends `WATCHDOG=1` four times per
    /// watchdog interval as long as no request has been in progress for a whole interval: a thread stuck in one
    /// request (a store that stopped answering, a deadlock) stops the pings, and the service manager restarts the
    /// process. Every wait inside a request is bounded (store timeouts, the input deadline): set the interval
    /// above the longest of them.
    public init(
        listener: FastCGIListener, threadCount: Int = FastCGIServer.defaultThreadCount,
        log: @escaping @Sendable (String) -> Void = StandardError.writeLine, notifier: ServiceNotifier? = nil
    ) {
        self.listener = listener
        self.threadCount = threadCount
        self.log = log
        self.notifier = notifier
    }

    /// Serves requests until a stop signal arrives, then returns once every request in flight is answered.
    ///
    /// Each thread calls `makeHandler` once, on that thread, and answers all its requests with that handler. If
    /// `makeHandler` throws on any thread, or accepting fails for good, the server stops as it does for a
    /// signal and `run` rethrows the first such error.
    @discardableResult
    public func run(makeHandler: @escaping @Sendable () throws -> any FastCGIHandler) throws -> Shutdown {
        guard (1...Self.maximumThreadCount).contains(threadCount) else {
            throw FastCGIError("the thread count must be 1 to \(Self.maximumThreadCount), not \(threadCount)")
        }
        try Self.claimProcess()
        guard let wake = WakePipe.shared else { throw FastCGIError.system("pipe") }
        // Before FCGX_Init: libfcgi installs its own handlers only over default dispositions.
        try ShutdownSignals.ignoreBrokenPipes()
        guard FCGX_Init() == 0 else { throw FastCGIError("FCGX_Init failed") }
        try ShutdownSignals.install(waking: wake)

        let state = ServerState(threadCount: threadCount)
        var threads: [pthread_t] = []
        for index in 0..<threadCount {
            let serverThread = ServerThread(
                index: index, state: state, listener: listener, wake: wake,
                makeHandler: makeHandler, log: log)
            switch serverThread.start() {
            case .success(let thread):
                threads.append(thread)
            case .failure(let error):
                state.fail(error)
            }
            if state.firstFailure != nil { break }
        }

        if state.firstFailure == nil { notifier?.send("READY=1") }
        supervise(threads, state: state, wake: wake)
        for thread in threads {
            pthread_join(thread, nil)
        }
        if let failure = state.firstFailure {
            throw failure
        }
        return Shutdown(signal: ShutdownSignals.received, requestsServed: state.requestsServed)
    }

    /// Waits for a reason to stop (a signal, a failure, a thread that ended), then stops the threads: none starts
    /// waiting for a request any more, and the ones waiting are interrupted until every thread has ended.
    private func supervise(_ threads: [pthread_t], state: ServerState, wake: WakePipe) {
        var stopping = false
        let watchdogMilliseconds = notifier?.watchdogInterval.map { Int($0.components.seconds) * 1000
            + Int($0.components.attoseconds / 1_000_000_000_000_000) }
        let pingEvery = watchdogMilliseconds.map { max(1, $0 / 4) }
        var lastPing = Int.min / 2
        while true {
            if !stopping, ShutdownSignals.received != nil || state.firstFailure != nil || state.endedCount > 0 {
                stopping = true
                state.beginStopping()
                FCGX_ShutdownPending()
                notifier?.send("STOPPING=1")
            }
            if state.endedCount >= threads.count { return }
            if stopping {
                state.interruptWaitingThreads(threads, with: ShutdownSignals.wakeSignal)
            }
            var timeout = stopping ? 50 : -1
            if let watchdogMilliseconds, let pingEvery {
                let now = MonotonicClock.milliseconds()
                if now - lastPing >= pingEvery {
                    // Alive means every thread is waiting for work or on a request younger than the interval.
                    if state.longestRequestMilliseconds(now: now) < watchdogMilliseconds {
                        notifier?.send("WATCHDOG=1")
                    }
                    lastPing = now
                }
                timeout = timeout < 0 ? pingEvery : min(timeout, pingEvery)
            }
            wake.wait(timeoutMilliseconds: Int32(clamping: timeout))
        }
    }

    /// libfcgi's shutdown flag cannot be cleared: once a server has stopped, accepting fails for good.
    private static let processClaimed = Mutex(false)

    private static func claimProcess() throws {
        try processClaimed.withLock { claimed in
            guard !claimed else { throw FastCGIError("a process runs one FastCGI server, once") }
            claimed = true
        }
    }
}
