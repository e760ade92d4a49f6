import Foundation
import JobsTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `jobs-fcgi` under a service manager (`Type=notify`, `WatchdogSec=`), played by a unix datagram socket the test
/// binds as `NOTIFY_SOCKET`: `READY=1` once serving, then `WATCHDOG=1` pings, which stop while the only thread is
/// stuck in one request for longer than the watchdog interval and resume once it is answered.
@Suite(.serialized)
struct WatchdogTests {
    /// `WATCHDOG_USEC`: pings come every quarter of it.
    static let watchdog: TimeInterval = 1

    @Test func pingsStopWhileTheThreadIsStuckAndResumeAfterwards() throws {
        let receiver = try NotifyReceiver()
        // One thread, and a busy timeout far longer than the test: a write waiting for another process's lock
        // holds the only thread until the lock is released.
        let stack = try Stack(
            .init(processes: 1, threads: 1, store: .sqlite,
                appArguments: ["--sqlite-busy-timeout", "60000"],
                appEnvironment: ["NOTIFY_SOCKET": receiver.path, "WATCHDOG_USEC": String(Int(Self.watchdog * 1_000_000))]))
        let tenant = try stack.createTenant("Watched")
        let base = "/public/\(tenant.project.key)"
        let key = tenant.key.secret

        #expect(receiver.next(timeout: 30) == "READY=1")
        #expect(receiver.next(timeout: 10) == "WATCHDOG=1")
        #expect(receiver.next(timeout: 10) == "WATCHDOG=1")

        let lock = try SQLiteWriteLock(store: stack.storePath)
        let answered = DispatchSemaphore(value: 0)
        let status = Locked<Int?>(nil)
        Thread {
            let answer = (try? stack.client.delete("\(base)/users/stuck@example.com", key: key))?.status
            status.withLock { $0 = answer }
            answered.signal()
        }.start()

        // Pings stop: within a few intervals of the request's start comes a silence of three intervals.
        let silence = receiver.waitForSilence(of: 3 * Self.watchdog, within: 20)
        #expect(silence, "the pings never stopped while the thread was stuck")
        #expect(status.current == nil, "the request ended before the lock was released")

        lock.release()
        #expect(answered.wait(timeout: .now() + 30) == .success)
        #expect(status.current == 200)
        #expect(receiver.next(timeout: 10) == "WATCHDOG=1", "the pings did not resume")
        expectAppAlive(stack)
    }
}

/// A unix datagram socket standing in for systemd's notification socket.
final class NotifyReceiver {
    let path: String
    private let descriptor: Int32

    init() throws {
        path = "/tmp/jobs-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw JobsTestingError("socket: \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else {
            close(descriptor)
            throw JobsTestingError("bind \(path): \(errno)")
        }
        // The app may run as another user.
        chmod(path, 0o666)
    }

    deinit {
        close(descriptor)
        unlink(path)
    }

    /// The next message, or `nil` when none arrives within `timeout` seconds.
    func next(timeout: TimeInterval) -> String? {
        var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&waiting, 1, Int32(timeout * 1000)) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        return count < 0 ? nil : String(decoding: buffer[..<count], as: UTF8.self)
    }

    /// Reads messages until none has come for `silence` seconds (true), or `within` seconds pass first (false).
    func waitForSilence(of silence: TimeInterval, within: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(within)
        while deadline.timeIntervalSinceNow >= silence {
            if next(timeout: silence) == nil { return true }
        }
        return false
    }
}
