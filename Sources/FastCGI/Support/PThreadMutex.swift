#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `pthread_mutex_t` on the heap, where it never moves (a mutex must not be copied once in use).
///
/// `@unchecked Sendable`: the mutex is the synchronisation itself; its storage is allocated once in `init`,
/// freed once in `deinit`, and only ever passed to the pthread functions, which are thread-safe.
final class PThreadMutex: @unchecked Sendable {
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

    /// Blocks until the calling thread holds the mutex. The corresponding C function is `pthread_mutex_lock`.
    func lock() {
        pthread_mutex_lock(mutex)
    }

    /// The corresponding C function is `pthread_mutex_unlock`.
    func unlock() {
        pthread_mutex_unlock(mutex)
    }

    /// Runs `body` holding the mutex.
    func withLock<Result>(_ body: () throws -> Result) rethrows -> Result {
        lock()
        defer { unlock() }
        return try body()
    }
}
