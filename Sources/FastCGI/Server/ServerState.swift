#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the workers and their supervisor share: whether the server is stopping, which workers wait for a
/// request (and may be interrupted), how many have ended, the first failure, the requests served.
///
/// `@unchecked Sendable`: every stored property is read and written only while holding `mutex`.
final class ServerState: @unchecked Sendable {
    private let mutex = PThreadMutex()
    private var stopping = false
    private var waiting: [Bool]
    private var ended = 0
    private var failure: (any Error)?
    private var served = 0
    /// When each worker began the request it serves (monotonic milliseconds); `nil` while it serves none.
    private var servingSince: [Int?]

    init(workerCount: Int) {
        waiting = Array(repeating: false, count: workerCount)
        servingSince = Array(repeating: nil, count: workerCount)
    }

    var isStopping: Bool { mutex.withLock { stopping } }
    var endedCount: Int { mutex.withLock { ended } }
    var firstFailure: (any Error)? { mutex.withLock { failure } }
    var requestsServed: Int { mutex.withLock { served } }

    /// Marks the worker as waiting for a request, unless the server is stopping (then returns false).
    func beginWaiting(worker: Int) -> Bool {
        mutex.withLock {
            guard !stopping else { return false }
            waiting[worker] = true
            return true
        }
    }

    /// Marks the worker as no longer waiting. `interruptWaitingWorkers` signals while holding the mutex, so a
    /// worker that has just stopped waiting blocks here until the signal is sent, and handles it while blocked
    /// (a pending signal ends a futex wait): the signal is spent before the request it accepted is served.
    func endWaiting(worker: Int) {
        mutex.withLock { waiting[worker] = false }
    }

    /// Marks the worker as serving a request read just now.
    func beginRequest(worker: Int, at now: Int) {
        mutex.withLock { servingSince[worker] = now }
    }

    /// Counts a request answered; the worker serves none any more.
    func countRequest(worker: Int) {
        mutex.withLock {
            served += 1
            servingSince[worker] = nil
        }
    }

    /// How long the longest request in progress has been served, in milliseconds (0 when none is).
    func longestRequestMilliseconds(now: Int) -> Int {
        mutex.withLock { servingSince.reduce(0) { longest, since in max(longest, since.map { now - $0 } ?? 0) } }
    }

    /// Records a failure that stops the server; the first one is what `run` throws.
    func fail(_ error: any Error) {
        mutex.withLock {
            if failure == nil { failure = error }
        }
    }

    func workerEnded() {
        mutex.withLock { ended += 1 }
    }

    /// From now on no worker starts waiting for a request.
    func beginStopping() {
        mutex.withLock { stopping = true }
    }

    /// Sends `signal` to each worker waiting for a request, to interrupt its `accept` (or its read of a kept
    /// connection). Sent again on every call: a signal that lands just before the worker enters `accept` is
    /// lost (libfcgi checks its shutdown flag right before, but there is a window).
    func interruptWaitingWorkers(_ threads: [pthread_t], with signal: Int32) {
        mutex.withLock {
            for (index, thread) in threads.enumerated() where index < waiting.count && waiting[index] {
                pthread_kill(thread, signal)
            }
        }
    }
}
