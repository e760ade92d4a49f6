#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A thread of its own for work that blocks (a job's program, the signal watcher), started with `pthread_create`
/// and detached: nobody joins it; it reports its end through the state it shares.
enum DetachedThread {
    /// Starts `body` on a new thread. The corresponding C function is `pthread_create`.
    static func start(_ body: @escaping @Sendable () -> Void) throws(WorkerError) {
        let box = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(
            &thread, nil,
            { argument in
                Unmanaged<Body>.fromOpaque(argument!).takeRetainedValue().run()
                return nil
            }, box)
        guard result == 0 else {
            Unmanaged<Body>.fromOpaque(box).release()
            throw WorkerError.system("pthread_create", code: result)
        }
        pthread_detach(thread)
    }

    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }
}
