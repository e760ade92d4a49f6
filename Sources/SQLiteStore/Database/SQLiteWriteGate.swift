#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The write lock of one process's connections to one store: the threads of a process take turns at it before
/// they ask SQLite for the file's write lock.
///
/// SQLite lets one connection write at a time. A connection that finds the write lock taken calls its busy
/// handler, which for `sqlite3_busy_timeout` sleeps 1, 2, 5, 10, … ms before it looks again: two threads of one
/// process writing in turn spent most of their time asleep although the lock was held for well under a
/// millisecond each time. Threads queued on this mutex wake as soon as the holder is done. Writers in other
/// processes (`jobsctl`, the worker, other `jobs-fcgi` processes) do not see it: against them the busy timeout
/// still applies, to the thread holding the gate only.
///
/// Waiting for the gate has no timeout of its own: the holder waits at most the busy timeout for SQLite's lock,
/// so a thread waits at most that long for each thread ahead of it.
///
/// `@unchecked Sendable`: the mutex is the synchronisation itself; its storage is allocated once in `init`,
/// freed once in `deinit`, and only ever passed to the pthread functions, which are thread-safe.
final class SQLiteWriteGate: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` holding the gate. Not reentrant: ``SQLiteConnection/serializingWrites(_:)`` tracks whether
    /// its connection holds it already.
    func withLock<Result>(_ body: () throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
