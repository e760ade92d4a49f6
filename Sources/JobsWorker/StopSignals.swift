#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGTERM and SIGINT, received by a thread of their own with `sigwait` rather than by a handler: no code runs
/// in signal context, and whatever thread the kernel picks, the signal reaches the watcher.
public enum StopSignals {
    /// Blocks SIGTERM and SIGINT in the calling thread, and so in every thread it starts from now on (with their
    /// default dispositions: an inherited "ignore" would hide them from `sigwait`), ignores SIGPIPE (a program that exits before reading its input must not end the worker), and starts a thread that
    /// calls `handler` with each stop signal received.
    ///
    /// Call it before the process starts any other thread: a thread that does not block the signals could
    /// receive one and die of it. Programs the worker starts get an empty signal mask and default dispositions
    /// back (see ``ActionProcess``).
    public static func watch(_ handler: @escaping @Sendable (_ signal: Int32, _ name: String) -> Void) throws {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        let failure = pthread_sigmask(SIG_BLOCK, &signals, nil)
        guard failure == 0 else { throw WorkerError.system("pthread_sigmask", code: failure) }
        // sigwait never sees a signal whose disposition is "ignore" (a shell starts background commands with
        // SIGINT ignored): take the default back; blocked, it never acts.
        signal(SIGTERM, SIG_DFL)
        signal(SIGINT, SIG_DFL)
        signal(SIGPIPE, SIG_IGN)
        let watched = signals
        try DetachedThread.start {
            var waitedFor = watched
            while true {
                var received: Int32 = 0
                guard sigwait(&waitedFor, &received) == 0 else { continue }
                handler(received, Termination.name(of: received))
            }
        }
    }
}
