import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An app host that dies with every request: it listens on a TCP port of 127.0.0.1, accepts each connection,
/// reads the request nginx sends (its FastCGI records) and closes the connection without answering, as a host does
/// that crashes after a request reached it. Put in an upstream, it shows which requests nginx replays on another
/// host after they may have been applied.
package final class HangUpPeer: @unchecked Sendable {
    // Safe to share: `requests` and `stopping` are only touched with `lock` held; `socket` and `port` are set in
    // `init`.
    private let socket: Int32
    /// The port it listens on.
    package let port: UInt16
    private let lock = NSLock()
    private var received: [[UInt8]] = []
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)

    /// Listens on a free port and starts accepting on a thread of its own.
    package init() throws {
        (socket, port) = try LoopbackSocket.bind(listening: 64)
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    deinit {
        stop()
    }

    /// `127.0.0.1:PORT`.
    package var address: String { "127.0.0.1:\(port)" }

    /// The bytes of each request received so far (FastCGI records), in order.
    package var requests: [[UInt8]] { lock.withLock { received } }

    /// The `REQUEST_METHOD` and `REQUEST_URI` of each request received, read from the FastCGI params (short names
    /// and values only, which is what nginx sends for these), e.g. `DELETE /public/…/users/u1`.
    package var requestLines: [String] {
        requests.map { bytes in
            "\(Self.param("REQUEST_METHOD", in: bytes) ?? "?") \(Self.param("REQUEST_URI", in: bytes) ?? "?")"
        }
    }

    /// Stops accepting and closes the socket. Calling it again does nothing.
    package func stop() {
        let first = lock.withLock { () -> Bool in
            defer { stopping = true }
            return !stopping
        }
        guard first else { return }
        // Wakes the accepting thread (accept returns EINVAL on a socket shut down for reading).
        shutdown(socket, Int32(SHUT_RDWR))
        _ = finished.wait(timeout: .now() + patientTimeout)
        close(socket)
    }

    private func acceptLoop() {
        defer { finished.signal() }
        while true {
            let connection = accept(socket, nil, nil)
            if connection < 0 {
                if errno == EINTR { continue }
                return
            }
            _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
            let bytes = readUntilQuiet(connection)
            close(connection)
            let keep = lock.withLock { () -> Bool in
                if !stopping { received.append(bytes) }
                return !stopping
            }
            if !keep { return }
        }
    }

    /// Reads until nothing more arrives for 200 ms (nginx sends a whole FastCGI request at once) or the peer closes.
    private func readUntilQuiet(_ connection: Int32) -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            var descriptor = pollfd(fd: connection, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 200) == 1 else { return bytes }
            let count = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return bytes }
            bytes += buffer[..<count]
        }
    }

    /// The value of the FastCGI param `name` in `bytes`, when both its name and value are shorter than 128 bytes
    /// (one length byte each, followed by the name and the value).
    static func param(_ name: String, in bytes: [UInt8]) -> String? {
        let nameBytes = Array(name.utf8)
        guard bytes.count > nameBytes.count + 2 else { return nil }
        for start in 2...(bytes.count - nameBytes.count) where bytes[start - 2] == UInt8(nameBytes.count) {
            guard bytes[start..<start + nameBytes.count].elementsEqual(nameBytes) else { continue }
            let valueLength = Int(bytes[start - 1])
            let valueStart = start + nameBytes.count
            guard valueLength < 128, valueStart + valueLength <= bytes.count else { return nil }
            return String(decoding: bytes[valueStart..<valueStart + valueLength], as: UTF8.self)
        }
        return nil
    }
}
