import Foundation

/// The write lock of one process's connections to one store: the threads of a process take turns at it before
/// they ask SQLite for the file's write lock.
///
/// SQLite lets one connection write at a time, and a connection that finds the write lock taken sleeps in its
/// busy handler (1, 2, 5, 10, … ms) far longer than a write holds it; threads queued here wake as soon as the
/// holder is done. Writers in other processes (`jobsctl`, the worker, other `jobs-fcgi`
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
/// `@unchecked Sendable`: every stored variable is read and written only with `condition` locked.
final class SQLiteWriteGate: @unchecked Sendable {
    /// How long the holder waits for another process's lock before it counts as blocked.
    static let blockedAfter: Duration = .milliseconds(100)

    /// The most threads that wait for the store's write lock while another process holds it, the holder
    /// included; `nil` for no limit.
    let writerLimit: Int?

    private let condition = NSCondition()
    private var held = false
    private var waiting = 0
    private var holderBlocked = false

    init(writerLimit: Int? = nil) {
        self.writerLimit = writerLimit.map { max(1, $0) }
    }

    /// Waits for the gate. Returns false, without holding it, when the writer gives up (see the type's rules).
    func enter(deadline: ContinuousClock.Instant) -> Bool {
        condition.lock()
        defer { condition.unlock() }
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
                condition.wait()
            }
        }
        held = true
        return true
    }

    /// Leaves the gate; the next writer in line takes it.
    func leave() {
        condition.lock()
        held = false
        holderBlocked = false
        condition.broadcast()
        condition.unlock()
    }

    /// Called by the holder when it has waited ``blockedAfter`` for another process's lock: the waiters
    /// re-check whether they may stay.
    func holderIsBlocked() {
        condition.lock()
        if held, !holderBlocked {
            holderBlocked = true
            condition.broadcast()
        }
        condition.unlock()
    }

    /// Waits on the condition until `deadline` at the latest (the callers re-check it). `NSCondition` waits
    /// against the wall clock: one wait lasts a second at most, so that a clock set back cannot stretch it.
    private func wait(until deadline: ContinuousClock.Instant) {
        let remaining = ContinuousClock.now.duration(to: deadline)
        guard remaining > .zero else { return }
        let (seconds, attoseconds) = min(remaining, .seconds(1)).components
        _ = condition.wait(until: Date(timeIntervalSinceNow: Double(seconds) + Double(attoseconds) / 1e18))
    }
}
