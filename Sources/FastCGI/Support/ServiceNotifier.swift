import CFastCGI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Tells the service manager (systemd) how the process is doing, with the `sd_notify` protocol: one datagram per
/// message (`READY=1`, `WATCHDOG=1`, `STATUS=…`) to the unix socket named by `NOTIFY_SOCKET` (a path, or `@name`
/// for the abstract namespace). No libsystemd: the protocol is this datagram.
///
/// A unit with `Type=notify` waits for `READY=1` before it counts as started; one with `WatchdogSec=` sets
/// `WATCHDOG_USEC` and restarts the service when no `WATCHDOG=1` arrives within that time.
public struct ServiceNotifier: Sendable {
    /// The socket's address bytes (`sun_path`, a leading NUL for an abstract name).
    private let address: [UInt8]
    /// How often the service manager wants a `WATCHDOG=1` at the latest; `nil` when it wants none.
    public let watchdogInterval: Duration?

    /// The notifier `environment` describes (`NOTIFY_SOCKET`, `WATCHDOG_USEC`, `WATCHDOG_PID`), or `nil` when the
    /// process is not run by a service manager that listens.
    public init?(environment: [String: String], processID: pid_t = getpid()) {
        guard let socket = environment["NOTIFY_SOCKET"], !socket.isEmpty else { return nil }
        var bytes = Array(socket.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        guard bytes.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path), bytes.first == 0 || bytes.first == UInt8(ascii: "/")
        else { return nil }
        address = bytes
        // The watchdog concerns the process it names, when it names one (the main process of the unit).
        let forThisProcess = environment["WATCHDOG_PID"].map { pid_t($0) == processID } ?? true
        if forThisProcess, let text = environment["WATCHDOG_USEC"], let microseconds = Int64(text), microseconds > 0 {
            watchdogInterval = .microseconds(microseconds)
        } else {
            watchdogInterval = nil
        }
    }

    /// Sends `message` (newline-separated `KEY=value` lines). Returns whether the datagram was sent; a service
    /// manager that went away is no reason to stop serving. The corresponding C function is `sendto`.
    @discardableResult
    public func send(_ message: String) -> Bool {
        let descriptor = cfastcgi_datagram_socket_cloexec()
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var socketAddress = sockaddr_un()
        socketAddress.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &socketAddress.sun_path) { $0.copyBytes(from: address) }
        // An abstract name's length is exact; a path's includes its terminating NUL.
        let length = MemoryLayout<sa_family_t>.size + address.count + (address.first == 0 ? 0 : 1)
        let bytes = Array(message.utf8)
        let sent = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bytes.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), pointer, socklen_t(length)) }
            }
        }
        return sent == bytes.count
    }
}
