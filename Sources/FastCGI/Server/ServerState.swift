import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the server threads and their supervisor share: whether the server is stopping, which threads wait for a
/// request (and may be interrupted), how many have ended, the first failure, the requests served.
final class ServerState: Sendable {
    private struct Shared {
        var stopping = false
        var waiting: [Bool]
        var ended = 0
        var failure: (any Error)?
        var served = 0
        /// When each thread began the request it serves (monotonic milliseconds); `nil` while it serves none.
        var servingSince: [Int?]
    }

    private let shared: Mutex<Shared>

    init(threadCount: Int) {
        shared = Mutex(Shared(
            waiting: Array(repeating: false, count: threadCount),
            servingSince: Array(repeating: nil, count: threadCount)))
    }

    var isStopping: Bool { shared.withLock { $0.stopping } }
    var endedCount: Int { shared.withLock { $0.ended } }
    var firstFailure: (any Error)? { shared.withLock { $0.failure } }
    var requestsServed: Int { shared.withLock { $0.served } }

    /// Marks the thread as waiting for a request, unless the server is stopping (then returns false).
    func beginWaiting(thread: Int) -> Bool {
        shared.withLock {
            guard !$0.stopping else { return false }
            $0.waiting[thread] = true
            return true
        }
    }

    /// Marks the thread as no longer waiting. `interruptWaitingThreads` signals while holding the lock, so a
    /// thread that has just stopped waiting blocks here until the signal is sent, and handles it while blocked
    /// (a pending signal ends a futex wait): the signal is spent before the request it accepted is served.
    func endWaiting(thread: Int) {
        shared.withLock { $0.waiting[thread] = false }
    }

    /// Marks the thread as serving a request read just now.
    func beginRequest(thread: Int, at now: Int) {
        shared.withLock { $0.servingSince[thread] = now }
    }

    /// Counts a request answered; the thread serves none any more.
    func countRequest(thread: Int) {
        shared.withLock {
            $0.served += 1
            $0.servingSince[thread] = nil
        }
    }

    /// How long the longest request in progress has been served, in milliseconds (0 when none is).
    func longestRequestMilliseconds(now: Int) -> Int {
        shared.withLock {
            $0.servingSince.reduce(0) { longest, since in max(longest, since.map { now - $0 } ?? 0) }
        }
    }

    /// Records a failure that stops the server; the first one is what `run` throws.
    func fail(_ error: any Error) {
        shared.withLock {
            if $0.failure == nil { $0.failure = error }
        }
    }

    func threadEnded() {
        shared.withLock { $0.ended += 1 }
    }

    /// From now on no thread starts waiting for a request.
    func beginStopping() {
        shared.withLock { $0.stopping = true }
    }

    /// Sends `signal` to each thread waiting for a request, to interrupt its `accept` (or its read of a kept
    /// connection). Sent again on every call: a signal that lands just before the thread enters `accept` is
    /// lost (libfcgi checks its shutdown flag right before, but there is a window).
    func interruptWaitingThreads(_ threads: [pthread_t], with signal: Int32) {
        shared.withLock {
            for (index, thread) in threads.enumerated() where index < $0.waiting.count && $0.waiting[index] {
                pthread_kill(thread, signal)
            }
        }
    }
}
