import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A FastCGI client that speaks records straight to the app's socket, bypassing nginx, to send what no web server
/// would: truncated records, lying lengths, unknown types, management records, a second `BEGIN_REQUEST`.
///
/// Not safe to share between threads: one value is one connection.
package final class RawFastCGIClient {
    /// A record type (FastCGI 1.0, section 8).
    package enum RecordType: UInt8, Sendable {
        case beginRequest = 1, abortRequest, endRequest, params, stdin, stdout, stderr, data, getValues,
            getValuesResult, unknownType
    }

    /// One record as read from the app: its type byte, request id and content (padding dropped).
    package struct Record: Sendable, Equatable, CustomStringConvertible {
        package var type: UInt8
        package var requestID: UInt16
        package var content: [UInt8]
        package var description: String { "record type \(type) id \(requestID), \(content.count) bytes" }
    }

    /// The socket, owned by this value and closed by ``close()`` or `deinit`.
    private var socket: Int32

    /// Connects to the Unix socket at `path`.
    package init(unixSocket path: String) throws {
        socket = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { throw JobsTestingError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        // A failure closes through close(), which marks the socket closed: deinit runs after a throw from a
        // class's initializer too, and must not close the number again (another thread may own it by then).
        guard pathBytes.count < capacity else {
            close()
            throw JobsTestingError("socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: pathBytes + [0]) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            close()
            throw JobsTestingError("connect to \(path): \(String(cString: strerror(code)))")
        }
    }

    deinit { close() }

    /// Closes the connection. Safe to call more than once.
    package func close() {
        if socket >= 0 { Glibc.close(socket) }
        socket = -1
    }

    /// Ends the sending direction (the app reads end of file) and keeps reading possible.
    package func shutdownWrite() {
        if socket >= 0 { Glibc.shutdown(socket, Int32(SHUT_WR)) }
    }

    /// Sends exactly `bytes`. A peer that already closed is not an error: the app may hang up on bad input.
    /// Returns whether every byte was sent.
    @discardableResult
    package func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += sent
        }
        return true
    }

    /// Reads records until the app closes the connection, an `END_REQUEST` arrives when `untilEndRequest`, or
    /// `timeout` passes. Returns them with whether the app closed the connection.
    package func readRecords(timeout: TimeInterval, untilEndRequest: Bool = true) -> (records: [Record], closed: Bool) {
        var received: [UInt8] = []
        var records: [Record] = []
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            records = Self.records(in: received)
            if untilEndRequest, records.contains(where: { $0.type == RecordType.endRequest.rawValue }) {
                return (records, false)
            }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { return (records, false) }
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(max(1, remaining * 1000)))
            if ready < 0, errno == EINTR { continue }
            guard ready > 0 else { return (records, false) }
            let count = buffer.withUnsafeMutableBytes { Glibc.recv(socket, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received += buffer[..<count]
            } else if count < 0, errno == EINTR {
                continue
            } else {
                return (Self.records(in: received), true)
            }
        }
    }

    /// The whole records in `bytes`.
    static func records(in bytes: [UInt8]) -> [Record] {
        var records: [Record] = []
        var index = 0
        while bytes.count - index >= 8 {
            let contentLength = Int(bytes[index + 4]) << 8 | Int(bytes[index + 5])
            let total = 8 + contentLength + Int(bytes[index + 6])
            guard bytes.count - index >= total else { break }
            records.append(Record(
                type: bytes[index + 1], requestID: UInt16(bytes[index + 2]) << 8 | UInt16(bytes[index + 3]),
                content: Array(bytes[(index + 8)..<(index + 8 + contentLength)])))
            index += total
        }
        return records
    }

    // MARK: Building records

    /// A record: version 1, `type`, `requestID`, `content` (at most 65,535 bytes) and `padding` zero bytes.
    /// `declaredLength` overrides the content length written in the header (to lie about it).
    package static func record(
        _ type: UInt8, requestID: UInt16 = 1, content: [UInt8] = [], padding: UInt8 = 0, declaredLength: UInt16? = nil
    ) -> [UInt8] {
        let length = declaredLength ?? UInt16(content.count)
        return [1, type, UInt8(requestID >> 8), UInt8(requestID & 0xFF), UInt8(length >> 8), UInt8(length & 0xFF),
            padding, 0] + content + [UInt8](repeating: 0, count: Int(padding))
    }

    /// A record of a known type.
    package static func record(
        _ type: RecordType, requestID: UInt16 = 1, content: [UInt8] = [], padding: UInt8 = 0,
        declaredLength: UInt16? = nil
    ) -> [UInt8] {
        record(type.rawValue, requestID: requestID, content: content, padding: padding, declaredLength: declaredLength)
    }

    /// `BEGIN_REQUEST` for the responder role; `keepConnection` sets `FCGI_KEEP_CONN`.
    package static func beginRequest(requestID: UInt16 = 1, role: UInt16 = 1, keepConnection: Bool = false) -> [UInt8] {
        record(.beginRequest, requestID: requestID, content: [
            UInt8(role >> 8), UInt8(role & 0xFF), keepConnection ? 1 : 0, 0, 0, 0, 0, 0,
        ])
    }

    /// Name-value pairs as `PARAMS` and `GET_VALUES` carry them: lengths below 128 in one byte, others in four.
    package static func nameValuePairs(_ pairs: [(String, String)]) -> [UInt8] {
        var bytes: [UInt8] = []
        for (name, value) in pairs {
            bytes += length(name.utf8.count) + length(value.utf8.count) + Array(name.utf8) + Array(value.utf8)
        }
        return bytes
    }

    /// A name-value length: one byte below 128, otherwise four with the high bit set (at most 2^31 - 1).
    package static func length(_ count: Int) -> [UInt8] {
        if count < 128 { return [UInt8(count)] }
        let value = UInt32(truncatingIfNeeded: count) | 0x8000_0000
        return [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    /// A whole, valid request: `BEGIN_REQUEST`, its params (then the empty `PARAMS`), an empty `STDIN`.
    package static func request(
        requestID: UInt16 = 1, method: String = "GET", uri: String, authorization: String? = nil,
        keepConnection: Bool = false
    ) -> [UInt8] {
        var params = [("REQUEST_METHOD", method), ("REQUEST_URI", uri), ("REMOTE_ADDR", "127.0.0.1")]
        if let authorization { params.append(("HTTP_AUTHORIZATION", authorization)) }
        return beginRequest(requestID: requestID, keepConnection: keepConnection)
            + record(.params, requestID: requestID, content: nameValuePairs(params))
            + record(.params, requestID: requestID) + record(.stdin, requestID: requestID)
    }

    /// The `STDOUT` bytes of `requestID` in `records`, joined: the CGI response.
    package static func output(of records: [Record], requestID: UInt16 = 1) -> String {
        String(decoding: records.filter { $0.type == RecordType.stdout.rawValue && $0.requestID == requestID }
            .flatMap(\.content), as: UTF8.self)
    }
}
