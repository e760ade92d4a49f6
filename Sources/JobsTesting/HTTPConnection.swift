import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One kept-alive HTTP/1.1 connection to 127.0.0.1: requests are sent one after another on the same socket, each
/// answer read exactly as far as its `Content-Length` or chunked coding goes, so the next request can follow.
///
/// Not safe to share between threads: one connection carries one request at a time.
package final class HTTPConnection {
    /// The socket, owned by this value and closed by ``close()`` or `deinit`.
    private var socket: Int32
    private let client: HTTPClient
    /// Bytes received past the end of the last answer.
    private var pending: [UInt8] = []
    /// Requests sent on this connection so far.
    package private(set) var requestCount = 0

    /// Connects to `client`'s port.
    package init(_ client: HTTPClient) throws {
        self.client = client
        socket = try client.connect()
    }

    deinit { close() }

    /// Closes the connection. Safe to call more than once.
    package func close() {
        if socket >= 0 { Glibc.close(socket) }
        socket = -1
    }

    /// Sends `method path` with `Host` (and `Authorization: Bearer key` when given), without `Connection: close`,
    /// and reads its answer. `body`, when given, goes with a `Content-Length`.
    package func request(
        _ method: String, _ path: String, key: String? = nil, headers: [(String, String)] = [], body: [UInt8] = []
    ) throws -> HTTPResponse {
        var fields = [("Host", "127.0.0.1:\(client.port)")]
        if let key { fields.append(("Authorization", "Bearer \(key)")) }
        fields += headers
        if !body.isEmpty { fields.append(("Content-Length", String(body.count))) }
        let head = "\(method) \(path) HTTP/1.1\r\n" + fields.map { "\($0.0): \($0.1)\r\n" }.joined() + "\r\n"
        return try send(Array(head.utf8) + body, toHEAD: method == "HEAD")
    }

    /// Sends exactly `request` and reads one answer.
    package func send(_ request: [UInt8], toHEAD: Bool = false) throws -> HTTPResponse {
        guard socket >= 0 else { throw JobsTestingError("the connection is closed") }
        requestCount += 1
        try client.sendAll(request, on: socket)
        while true {
            if let end = Self.endOfResponse(in: pending, toHEAD: toHEAD) {
                let response = try HTTPResponse(parsing: Array(pending[..<end]), toHEAD: toHEAD)
                pending.removeFirst(end)
                return response
            }
            var buffer = [UInt8](repeating: 0, count: 16 * 1024)
            let count = buffer.withUnsafeMutableBytes { Glibc.recv(socket, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                pending += buffer[..<count]
            } else if count == 0 {
                throw JobsTestingError(
                    "the server closed the connection after \(requestCount) requests, mid-answer: "
                        + String(decoding: pending, as: UTF8.self))
            } else if errno != EINTR {
                throw HTTPClient.SocketError(operation: "recv on request \(requestCount)", code: errno)
            }
        }
    }

    /// Where the first complete answer in `bytes` ends, or `nil` while it is incomplete.
    static func endOfResponse(in bytes: [UInt8], toHEAD: Bool) -> Int? {
        guard let headEnd = bytes.firstRange(of: Array("\r\n\r\n".utf8)) else { return nil }
        let head = String(decoding: bytes[..<headEnd.lowerBound], as: UTF8.self).lowercased()
        let lines = head.components(separatedBy: "\r\n").dropFirst()
        func value(_ name: String) -> String? {
            lines.first { $0.hasPrefix(name + ":") }.map {
                String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces)
            }
        }
        let bodyStart = headEnd.upperBound
        if toHEAD { return bodyStart }
        if value("transfer-encoding") == "chunked" {
            // Walk the chunks to the last (size 0) one and the blank line after it (no trailers expected).
            var index = bodyStart
            let crlf: [UInt8] = [13, 10]
            while true {
                guard let lineEnd = bytes[index...].firstRange(of: crlf) else { return nil }
                let sizeText = String(decoding: bytes[index..<lineEnd.lowerBound], as: UTF8.self)
                guard let size = Int(sizeText.split(separator: ";").first ?? "", radix: 16) else { return nil }
                index = lineEnd.upperBound + size + 2
                guard index <= bytes.count else { return nil }
                if size == 0 { return index }
            }
        }
        let length = value("content-length").flatMap { Int($0) } ?? 0
        return bytes.count >= bodyStart + length ? bodyStart + length : nil
    }
}
