#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A non-blocking pipe that wakes the thread supervising the workers: the signal handler and the workers
/// write a byte, the supervisor waits in `poll`.
///
/// One pipe serves the whole process and is never closed: the signal handler keeps its descriptor, and a
/// closed descriptor could be reused by, say, a database file that the handler would then write into.
final class WakePipe: Sendable {
    /// The process's pipe, or `nil` if `pipe` failed (the process is out of descriptors).
    static let shared: WakePipe? = WakePipe()

    let readDescriptor: Int32
    let writeDescriptor: Int32

    private init?() {
        var descriptors: [Int32] = [-1, -1]
        guard pipe(&descriptors) == 0 else { return nil }
        for descriptor in descriptors {
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
            _ = fcntl(descriptor, F_SETFD, fcntl(descriptor, F_GETFD) | FD_CLOEXEC)
        }
        readDescriptor = descriptors[0]
        writeDescriptor = descriptors[1]
    }

    /// Wakes the waiting thread. Never blocks: a full pipe already holds a wake-up.
    func notify() {
        var byte: UInt8 = 1
        _ = write(writeDescriptor, &byte, 1)
    }

    /// Waits until `notify` is called or a signal arrives, at most `timeoutMilliseconds` (-1: no limit), then
    /// empties the pipe.
    func wait(timeoutMilliseconds: Int32) {
        var descriptor = pollfd(fd: readDescriptor, events: Int16(POLLIN), revents: 0)
        _ = poll(&descriptor, 1, timeoutMilliseconds)
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(readDescriptor, &buffer, buffer.count) > 0 {}
    }
}
