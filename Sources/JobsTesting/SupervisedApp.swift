import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A stack's FastCGI application run the way the shipped systemd unit runs it (`deploy/systemd/jobs-api.service`:
/// `spawn-fcgi -n` on the stack's socket, `Restart=always`): one jobs-fcgi process which, whenever it dies, is
/// started again `restartDelay` seconds later by a supervising thread, on the same socket path (spawn-fcgi
/// replaces a socket file nobody listens on any more).
///
/// Taking over a stack stops the processes spawn-fcgi `-F` started for it. Stopped by ``stop()`` or, at the
/// latest, when the value is released.
package final class SupervisedApp: @unchecked Sendable {
    // Safe to share: the mutable state (`process`, `restarts`, `stopping`, `held`) is only touched with `lock`
    // held.
    private let stack: Stack
    private let restartDelay: TimeInterval
    private let lock = NSLock()
    private var process: ChildProcess?
    private var restarts = 0
    private var stopping = false
    /// Whether restarts wait for ``releaseRestarts()``.
    private var held = false
    /// Whether the supervising thread was started (and will signal `supervisorDone` when it ends).
    private var supervising = false
    private let supervisorDone = DispatchSemaphore(value: 0)

    /// Stops the stack's spawn-fcgi `-F` processes, starts the supervised one and waits until it serves.
    package init(stack: Stack, restartDelay: TimeInterval = 0.1) throws {
        self.stack = stack
        self.restartDelay = restartDelay
        try stack.stopApp()
        try start()
        lock.withLock { supervising = true }
        Thread.detachNewThread { [self] in supervise() }
        try stack.waitUntilServing()
    }

    deinit {
        stop()
    }

    /// The pid of the jobs-fcgi process running now, if one runs.
    package var pid: pid_t? {
        lock.withLock { process.flatMap { $0.isRunning ? $0.pid : nil } }
    }

    /// How many times the process was started again after it died.
    package var restartCount: Int { lock.withLock { restarts } }

    /// Sends SIGKILL to the running process (as a crash would end it) and returns its pid; `nil` when none runs
    /// at this moment (it is being restarted).
    @discardableResult
    package func killProcess() -> pid_t? {
        lock.withLock {
            guard let process, process.isRunning else { return nil }
            process.send(SIGKILL)
            return process.pid
        }
    }

    /// Makes the supervisor start no new process until ``releaseRestarts()``: a test that must change something
    /// while the app is down (remount its filesystem) does so without racing the restart delay.
    package func holdRestarts() {
        lock.withLock { held = true }
    }

    /// Lets the supervisor restart the process again (after the restart delay, as always).
    package func releaseRestarts() {
        lock.withLock { held = false }
    }

    /// Ends supervision and stops the process (SIGTERM, then SIGKILL after 5 s). Safe to call more than once.
    package func stop() {
        let (wasStopping, wasSupervising) = lock.withLock {
            defer { stopping = true }
            return (stopping, supervising)
        }
        guard !wasStopping else { return }
        if wasSupervising { supervisorDone.wait() }
        lock.withLock { process }?.stop(SIGTERM, grace: 5)
    }

    /// `spawn-fcgi -n -s SOCKET -M 0666 -- /bin/sh -c 'exec … 2>>LOG' jobs-fcgi --store STORE OPTIONS`: spawn-fcgi
    /// binds the socket and execs the shell, which execs jobs-fcgi, so the pid is jobs-fcgi's throughout.
    private func start() throws {
        var appArguments = [try BuiltBinaries.jobsFCGI(), "--store", stack.storePath]
        if let threads = stack.options.threads { appArguments += ["--threads", String(threads)] }
        if let delay = stack.options.scheduleDelay { appArguments += ["--schedule-delay", delay] }
        appArguments += ["--auth-failure-limit", String(stack.options.authFailureLimit)]
        let keepLog = "exec \"$0\" \"$@\" 2>>'\(stack.appLogPath)'"
        let started = try ChildProcess.spawn(
            try BuiltBinaries.system("spawn-fcgi"),
            ["-n", "-b", "4096", "-s", stack.socketPath, "-M", "0666", "--", "/bin/sh", "-c", keepLog] + appArguments,
            environment: stack.environment, logPath: stack.appLogPath)
        lock.withLock { process = started }
    }

    /// Restarts the process whenever it has exited, until ``stop()``.
    private func supervise() {
        defer { supervisorDone.signal() }
        while true {
            let (done, exited, onHold) = lock.withLock { (stopping, process?.isRunning == false, held) }
            if done { return }
            if exited && !onHold {
                // systemd's RestartSec: the delay is the behaviour being reproduced, not a wait for anything.
                Thread.sleep(forTimeInterval: restartDelay)
                let (stopped, heldMeanwhile) = lock.withLock { (stopping, held) }
                if stopped { return }
                if heldMeanwhile { continue }
                do {
                    try start()
                    lock.withLock { restarts += 1 }
                } catch {
                    // As systemd would, try again after the delay.
                    continue
                }
            }
            usleep(5_000)  // the supervisor's poll interval
        }
    }
}
