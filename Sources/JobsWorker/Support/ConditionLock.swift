#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `pthread_mutex_t` with a `pthread_cond_t` on the heap, where they never move: the lock that guards the
/// worker's shared state, and the way one thread wakes another that waits on it.
///
/// `@unchecked Sendable`: these are the synchronisation itself; their storage is allocated once in `init`, freed
/// once in `deinit`, and only ever passed to the pthread functions, which are thread-safe.
final class ConditionLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        // Timed waits measure against CLOCK_MONOTONIC, which a change of the wall clock does not move.
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
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

    /// Runs `body` holding the lock.
    func withLock<Result>(_ body: () throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// With the lock held (inside ``withLock(_:)``): releases it until another thread calls ``broadcast()`` or
    /// `deadline` passes (never, when `nil`), then holds it again. Wake-ups can be spurious: callers check their
    /// condition again. The corresponding C function is `pthread_cond_timedwait`.
    func wait(until deadline: ContinuousClock.Instant?) {
        guard let deadline else {
            pthread_cond_wait(condition, mutex)
            return
        }
        let remaining = ContinuousClock.now.duration(to: deadline)
        guard remaining > .zero else { return }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let (seconds, attoseconds) = remaining.components
        // Waits longer than a day are cut to a day: the caller loops and waits again.
        let wholeSeconds = Int(min(seconds, 86_400))
        var nanoseconds = now.tv_nsec + Int(attoseconds / 1_000_000_000)
        var absolute = timespec(tv_sec: now.tv_sec + wholeSeconds, tv_nsec: 0)
        if nanoseconds >= 1_000_000_000 {
            nanoseconds -= 1_000_000_000
            absolute.tv_sec += 1
        }
        absolute.tv_nsec = nanoseconds
        pthread_cond_timedwait(condition, mutex, &absolute)
    }

    /// Wakes every thread waiting in ``wait(until:)``. Call it with the lock held, right after changing what
    /// they wait for. The corresponding C function is `pthread_cond_broadcast`.
    func broadcast() {
        pthread_cond_broadcast(condition)
    }
}
