import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A deliberately small HTTP/1.1 client over a plain TCP socket on 127.0.0.1.
///
/// It sends the request bytes exactly as given, so tests can send what real clients would never produce (`%00`,
/// raw CR or LF, two `Authorization` headers, a 64 KB header line), then reads until the server closes the
/// connection. Each request has a connection of its own: the value is safe to use from many threads at once.
/// ``HTTPConnection`` keeps one connection alive for many requests.
package struct HTTPClient: Sendable {
    /// The server's TCP port on 127.0.0.1.
    package var port: UInt16
    /// Seconds allowed for connecting, and for each wait on the socket while sending or receiving.
    package var timeout: Double

    package init(port: UInt16, timeout: Double = 30) {
        self.port = port
        self.timeout = timeout
    }

    // MARK: Convenience

    /// Sends `method path` with `Host`, `Connection: close`, and `Authorization: Bearer key` when `key` is given.
    package func request(
        _ method: String, _ path: String, key: String? = nil, headers: [(String, String)] = []
    ) throws -> HTTPResponse {
        var fields = [("Host", "127.0.0.1:\(port)")]
        if let key { fields.append(("Authorization", "Bearer \(key)")) }
        fields += headers
        fields.append(("Connection", "close"))
        let head = "\(method) \(path) HTTP/1.1\r\n" + fields.map { "\($0.0): \($0.1)\r\n" }.joined() + "\r\n"
        return try HTTPResponse(parsing: exchange(Array(head.utf8)), toHEAD: method == "HEAD")
    }

    /// `GET path`, authenticated with `key` when given.
    package func get(_ path: String, key: String? = nil) throws -> HTTPResponse {
        try request("GET", path, key: key)
    }

    /// `DELETE path`, authenticated with `key` when given.
    package func delete(_ path: String, key: String? = nil) throws -> HTTPResponse {
        try request("DELETE", path, key: key)
    }

    // MARK: Raw requests

    /// Sends `request` as UTF-8 bytes, exactly as written.
    package func send(_ request: String) throws -> HTTPResponse {
        try send(Array(request.utf8))
    }

    /// Sends exactly `request` and reads the whole response (the server is expected to close the connection, as
    /// `Connection: close` asks).
    package func send(_ request: [UInt8]) throws -> HTTPResponse {
        try HTTPResponse(parsing: exchange(request))
    }

    /// Sends exactly `request` and returns every byte received until the server closed the connection.
    package func exchange(_ request: [UInt8]) throws -> [UInt8] {
        let socket = try connect()
        defer { close(socket) }
        do {
            try sendAll(request, on: socket)
        } catch let error as SocketError where error.code == EPIPE || error.code == ECONNRESET {
            // The server answered and closed before reading everything (nginx does for an oversized header):
            // its answer may still be waiting to be read.
        }
        return try receiveAll(from: socket)
    }

    // MARK: Socket calls

    struct SocketError: Error, CustomStringConvertible {
        var operation: String
        var code: Int32
        var description: String { "\(operation): \(String(cString: strerror(code)))" }
    }

    /// Connects to 127.0.0.1:port within `timeout`, then sets the send and receive timeouts.
    /// The corresponding C functions are `socket`, `connect` and `poll`.
    func connect() throws -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { throw SocketError(operation: "socket", code: errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian

        // Non-blocking connect, so that the wait is bounded by `timeout`.
        let flags = fcntl(socket, F_GETFL)
        _ = fcntl(socket, F_SETFL, flags | O_NONBLOCK)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if result != 0 {
            guard errno == EINPROGRESS else {
                let code = errno
                close(socket)
                throw SocketError(operation: "connect to 127.0.0.1:\(port)", code: code)
            }
            var descriptor = pollfd(fd: socket, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&descriptor, 1, Int32(timeout * 1000))
            var pending: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(socket, SOL_SOCKET, SO_ERROR, &pending, &length)
            guard ready == 1, pending == 0 else {
                close(socket)
                throw SocketError(operation: "connect to 127.0.0.1:\(port)", code: ready == 1 ? pending : ETIMEDOUT)
            }
        }
        _ = fcntl(socket, F_SETFL, flags)

        var limit = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        return socket
    }

    /// The corresponding C function is `send`, with `MSG_NOSIGNAL` so a closed peer is an error, not a SIGPIPE.
    func sendAll(_ bytes: [UInt8], on socket: Int32) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 {
                if errno == EINTR { continue }
                throw SocketError(operation: "send", code: errno == EAGAIN ? ETIMEDOUT : errno)
            }
            offset += sent
        }
    }

    /// Reads until the peer closes the connection. The corresponding C function is `recv`.
    private func receiveAll(from socket: Int32) throws -> [UInt8] {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.recv(socket, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received += buffer[..<count]
            } else if count == 0 {
                return received
            } else if errno == EINTR {
                continue
            } else if errno == ECONNRESET && !received.isEmpty {
                // A reset after a complete answer (the peer closed with unread request bytes): keep the answer.
                return received
            } else {
                let code = errno == EAGAIN ? ETIMEDOUT : errno
                throw SocketError(
                    operation: "recv after \(received.count) bytes (\(String(decoding: received, as: UTF8.self)))",
                    code: code)
            }
        }
    }
}

extension HTTPClient {
    /// Runs `count` requests at the same moment, each on a thread of its own (not the cooperative pool, which has
    /// one thread per core), and returns each one's outcome in order. All threads are started and waiting before
    /// any request is sent.
    package func inParallel(
        _ count: Int, _ request: @escaping @Sendable (HTTPClient, Int) throws -> HTTPResponse
    ) -> [Result<HTTPResponse, any Error>] {
        let results = ParallelResults<Result<HTTPResponse, any Error>>(count: count)
        let startLine = StartLine(count: count)
        let finished = DispatchGroup()
        for index in 0..<count {
            finished.enter()
            let thread = Thread { [self] in
                startLine.arriveAndWait()
                results[index] = Result { try request(self, index) }
                finished.leave()
            }
            thread.start()
        }
        finished.wait()
        return results.values.map { $0! }
    }
}


/// One slot per thread for its result.
final class ParallelResults<Element: Sendable>: @unchecked Sendable {
    // Safe to share: `slots` is only touched with `lock` held.
    private let lock = NSLock()
    private var slots: [Element?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    subscript(index: Int) -> Element? {
        get { lock.withLock { slots[index] } }
        set { lock.withLock { slots[index] = newValue } }
    }

    var values: [Element?] { lock.withLock { slots } }
}
