import Foundation

/// An HTTP/1.x response as it came off the wire: status, headers in their order, and the body (de-chunked).
package struct HTTPResponse: Sendable, CustomStringConvertible {
    /// The status code, e.g. 200.
    package var status: Int
    /// The header fields in the order received, names as sent.
    package var headers: [(name: String, value: String)]
    /// The body, with any chunked transfer coding removed.
    package var body: [UInt8]

    /// The body as UTF-8 text (invalid bytes replaced).
    package var text: String { String(decoding: body, as: UTF8.self) }

    /// The value of the first header named `name` (case-insensitive).
    package func header(_ name: String) -> String? {
        headers(named: name).first
    }

    /// The values of every header named `name` (case-insensitive), in order.
    package func headers(named name: String) -> [String] {
        let lowered = name.lowercased()
        return headers.filter { $0.name.lowercased() == lowered }.map(\.value)
    }

    /// The body parsed as JSON, keeping the order of object keys.
    package func json() throws -> JSONValue {
        try JSONValue(parsing: body)
    }

    /// `Content-Type` without parameters, lowercased (`application/json`).
    package var mediaType: String? {
        header("Content-Type").map {
            String($0.split(separator: ";", maxSplits: 1)[0]).trimmingCharacters(in: .whitespaces).lowercased()
        }
    }

    package var description: String {
        "HTTP \(status) " + headers.map { "\($0.name): \($0.value)" }.joined(separator: "; ") + " | " + text
    }

    /// Parses a complete response: status line, headers, blank line, body (to the end of `bytes`, or as
    /// `Content-Length` or the chunked coding delimits it). The answer to a HEAD request has no body, whatever its
    /// `Content-Length` says.
    package init(parsing bytes: [UInt8], toHEAD: Bool = false) throws {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let headEnd = bytes.firstRange(of: separator) else {
            throw JobsTestingError("incomplete HTTP response (no end of headers): \(String(decoding: bytes, as: UTF8.self))")
        }
        let head = String(decoding: bytes[..<headEnd.lowerBound], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let statusParts = statusLine.split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            throw JobsTestingError("malformed HTTP status line: \(statusLine)")
        }
        self.status = status
        headers = try lines.map { line in
            guard let colon = line.firstIndex(of: ":") else { throw JobsTestingError("malformed header: \(line)") }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }

        let rest = Array(bytes[headEnd.upperBound...])
        if toHEAD {
            body = rest
        } else if headers.contains(where: { $0.name.lowercased() == "transfer-encoding" && $0.value.lowercased() == "chunked" }) {
            body = try Self.dechunk(rest)
        } else if let length = headers.first(where: { $0.name.lowercased() == "content-length" }).flatMap({ Int($0.value) }) {
            guard rest.count >= length else {
                throw JobsTestingError("truncated body: \(rest.count) of \(length) bytes")
            }
            body = Array(rest.prefix(length))
        } else {
            body = rest
        }
    }

    /// Removes the chunked transfer coding (RFC 9112 §7.1); trailers are ignored.
    static func dechunk(_ bytes: [UInt8]) throws -> [UInt8] {
        var body: [UInt8] = []
        var index = 0
        let crlf: [UInt8] = [13, 10]
        while true {
            guard let lineEnd = bytes[index...].firstRange(of: crlf) else {
                throw JobsTestingError("truncated chunked body")
            }
            let sizeText = String(decoding: bytes[index..<lineEnd.lowerBound], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";")[0], radix: 16) else {
                throw JobsTestingError("malformed chunk size: \(sizeText)")
            }
            index = lineEnd.upperBound
            if size == 0 { return body }
            guard index + size + 2 <= bytes.count else { throw JobsTestingError("truncated chunk") }
            body += bytes[index..<index + size]
            index += size + 2
        }
    }
}
