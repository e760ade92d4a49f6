import JobsCore

extension APIResponse {
    /// The response as the web server reads it from a FastCGI responder: a CGI response (`Status: 200 OK`, the
    /// headers, a blank line, then the body unless ``APIResponse/includesBody`` is false).
    ///
    /// Header names that are not HTTP tokens are left out, and CR, LF and the other control characters (tab
    /// aside) are removed from values, so no value can add a header or end the head early. A `Content-Length`
    /// (the body's, even when the body is not sent) is added when the headers have none. A status outside
    /// 100–599 is written as 500.
    public func cgiEncoded() -> [UInt8] {
        let status = (100...599).contains(self.status) ? self.status : 500
        // Head and body in one buffer, sized once: the server hands it to libfcgi in one `FCGX_PutStr`.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128 + headers.count * 48 + (includesBody ? body.count : 0))
        bytes.append(contentsOf: "Status: ".utf8)
        CGI.appendDecimal(status, to: &bytes)
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: CGI.reasonPhrase(for: status).utf8)
        bytes.append(contentsOf: "\r\n".utf8)
        var hasContentLength = false
        for header in headers {
            guard CGI.isToken(header.name) else { continue }
            if CGI.equalsIgnoringASCIICase(header.name, "status") { continue }
            if CGI.equalsIgnoringASCIICase(header.name, "content-length") { hasContentLength = true }
            bytes.append(contentsOf: header.name.utf8)
            bytes.append(contentsOf: ": ".utf8)
            CGI.appendSanitized(header.value, to: &bytes)
            bytes.append(contentsOf: "\r\n".utf8)
        }
        if !hasContentLength {
            bytes.append(contentsOf: "Content-Length: ".utf8)
            CGI.appendDecimal(body.count, to: &bytes)
            bytes.append(contentsOf: "\r\n".utf8)
        }
        bytes.append(contentsOf: "\r\n".utf8)
        if includesBody {
            bytes.append(contentsOf: body)
        }
        return bytes
    }
}

/// The pieces of a CGI response head.
enum CGI {
    /// Appends a non-negative integer in decimal.
    static func appendDecimal(_ value: Int, to bytes: inout [UInt8]) {
        guard value >= 10 else {
            bytes.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: max(0, value)))
            return
        }
        appendDecimal(value / 10, to: &bytes)
        bytes.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value % 10))
    }

    /// Whether `name` is `lowercase` (itself lowercase ASCII) in any case: `String.lowercased()` without the copy.
    static func equalsIgnoringASCIICase(_ name: String, _ lowercase: StaticString) -> Bool {
        lowercase.withUTF8Buffer { expected in
            name.utf8.count == expected.count
                && zip(name.utf8, expected).allSatisfy { byte, wanted in
                    (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte) == wanted
                }
        }
    }

    /// Appends ``sanitizedValue(_:)`` of `value`, copying nothing when the value is already clean (the usual case).
    static func appendSanitized(_ value: String, to bytes: inout [UInt8]) {
        let utf8 = value.utf8
        let isClean = utf8.allSatisfy { $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }
            && utf8.first.map { $0 != UInt8(ascii: " ") && $0 != 0x09 } ?? true
            && utf8.last.map { $0 != UInt8(ascii: " ") && $0 != 0x09 } ?? true
        bytes.append(contentsOf: isClean ? utf8 : sanitizedValue(value).utf8)
    }

    /// The reason phrase of an HTTP status code (RFC 9110), or a generic one for its class.
    static func reasonPhrase(for status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 101: return "Switching Protocols"
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 206: return "Partial Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 303: return "See Other"
        case 304: return "Not Modified"
        case 307: return "Temporary Redirect"
        case 308: return "Permanent Redirect"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 406: return "Not Acceptable"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 410: return "Gone"
        case 411: return "Length Required"
        case 412: return "Precondition Failed"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 415: return "Unsupported Media Type"
        case 422: return "Unprocessable Content"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        case 100..<200: return "Informational"
        case 200..<300: return "Success"
        case 300..<400: return "Redirection"
        case 400..<500: return "Client Error"
        default: return "Server Error"
        }
    }

    /// An HTTP token (RFC 9110 `tchar`s, at least one).
    static func isToken(_ name: String) -> Bool {
        guard !name.isEmpty else { return false }
        return name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                return true
            default:
                return "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
        }
    }

    /// `value` without control characters other than tab (CR and LF first among them), and without leading or
    /// trailing blanks.
    static func sanitizedValue(_ value: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in value.unicodeScalars where scalar == "\t" || (scalar.value >= 0x20 && scalar.value != 0x7F) {
            scalars.append(scalar)
        }
        let isBlank: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = scalars.firstIndex(where: { !isBlank($0) }),
            let last = scalars.lastIndex(where: { !isBlank($0) })
        else { return "" }
        return String(scalars[first...last])
    }
}
