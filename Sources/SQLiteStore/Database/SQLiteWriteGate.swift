#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The write lock of one process's connections to one store: the threads of a process take turns at it before
/// they ask SQLite for the file's write lock.
///
/// SQLite lets one connection write at a time. A connection that finds the write lock taken calls its busy
/// handler, which sleeps 1, 2, 5, 10, … ms before it looks again: two threads of one process writing in turn spent
/// most of their time asleep although the lock was held for well under a millisecond each time. Threads queued
/// here wake as soon as the holder is done. Writers in other processes (`jobsctl`, the worker, other `jobs-fcgi`
/// processes) do not see the gate: against them the busy timeout applies, to the thread holding the gate.
///
/// Waiting is bounded, so that a write's whole wait (here, then for SQLite's lock) stays within one busy timeout
/// and writers never take every thread while another process holds the lock:
/// - each writer has a deadline, its arrival plus the busy timeout, which it carries into SQLite's busy handler
///   once it holds the gate; while the holder is *blocked* (it has waited ``blockedAfter`` for another process's
///   lock), a waiter whose deadline has passed gives up;
/// - while the holder is blocked, at most ``writerLimit`` threads (the holder included) wait at all: the others
///   give up at once, leaving the rest of the process's threads to readers.
/// While the holder makes progress, waiters stay in line past their deadline: the process's own writes are short.
///
/// `@unchecked Sendable`: every stored variable is read and written only with `mutex` held; the mutex and the
/// condition are allocated once in `init`, freed once in `deinit`, and only passed to the pthread functions.
final class SQLiteWriteGate: @unchecked Sendable {
    /// How long the holder waits for another process's lock before it counts as blocked.
    static let blockedAfter: Duration = .milliseconds(100)

    /// The most threads that wait for the store's write lock while another process holds it, the holder
    /// included; `nil` for no limit.
    let writerLimit: Int?

    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var held = false
    private var waiting = 0
    private var holderBlocked = false

    init(writerLimit: Int? = nil) {
        self.writerLimit = writerLimit.map { max(1, $0) }
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        // Timed waits measure against CLOCK_MONOTONIC, which a change of the wall clock does not move.
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deinitialize(count: 1)
        condition.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Waits for the gate. Returns false, without holding it, when the writer gives up (see the type's rules).
    func enter(deadline: ContinuousClock.Instant) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        waiting += 1
        defer { waiting -= 1 }
        while held {
            if holderBlocked {
                if ContinuousClock.now >= deadline { return false }
                if let writerLimit, 1 + waiting > writerLimit { return false }
                wait(until: deadline)
            } else if ContinuousClock.now < deadline {
                wait(until: deadline)
            } else {
                // Past the deadline behind a holder that is not blocked: wait for it to leave or to block.
                pthread_cond_wait(condition, mutex)
            }
        }
        held = true
        return true
    }

    /// Leaves the gate; the next writer in line takes it.
    func leave() {
        pthread_mutex_lock(mutex)
        held = false
        holderBlocked = false
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Called by the holder when it has waited ``blockedAfter`` for another process's lock: the waiters
    /// re-check whether they may stay.
    func holderIsBlocked() {
        pthread_mutex_lock(mutex)
        if held, !holderBlocked {
            holderBlocked = true
            pthread_cond_broadcast(condition)
        }
        pthread_mutex_unlock(mutex)
    }

    /// `pthread_cond_timedwait` until `deadline` (a `ContinuousClock` instant, converted to CLOCK_MONOTONIC).
    private func wait(until deadline: ContinuousClock.Instant) {
        let remaining = ContinuousClock.now.duration(to: deadline)
        guard remaining > .zero else { return }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let (seconds, attoseconds) = remaining.components
        var nanoseconds = now.tv_nsec + Int(attoseconds / 1_000_000_000)
        var absolute = timespec(tv_sec: now.tv_sec + Int(min(seconds, 86_400)), tv_nsec: 0)
        if nanoseconds >= 1_000_000_000 {
            nanoseconds -= 1_000_000_000
            absolute.tv_sec += 1
        }
        absolute.tv_nsec = nanoseconds
        pthread_cond_timedwait(condition, mutex, &absolute)
    }
}
