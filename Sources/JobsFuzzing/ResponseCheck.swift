import Foundation
import JobsCore
import JobsFastCGI

/// The promises every API response keeps, whatever the request: a status the contract lists (never a 5xx with a
/// working store), a JSON object body with `data` (200) or a non-empty `error`, the headers that go with the
/// status (`Cache-Control: no-store` and `X-Content-Type-Options: nosniff` on every one), no key echoed, and a CGI head that nothing in the response can break.
enum ResponseCheck {
    static let statuses: Set<Int> = [200, 400, 401, 404, 405, 409, 429]

    /// Checks `response` and returns its body's top-level value (`data` or `error`).
    @discardableResult
    static func check(_ response: APIResponse) throws(FuzzFinding) -> Any {
        let status = response.status
        try require(statuses.contains(status), "status \(status) is not one the contract lists")
        try require(
            response.header("Content-Type") == "application/json", "Content-Type \(response.header("Content-Type") ?? "none")")
        try require(response.header("Cache-Control") == "no-store", "Cache-Control \(response.header("Cache-Control") ?? "none")")
        try require(response.header("X-Content-Type-Options") == "nosniff", "no X-Content-Type-Options: nosniff")
        let json = try? JSONSerialization.jsonObject(with: Data(response.body), options: [])
        guard let object = json as? [String: Any], object.count == 1 else {
            throw FuzzFinding("body is not a JSON object with one key: \(String(decoding: response.body, as: UTF8.self))")
        }
        let value: Any
        if status == 200 {
            guard let data = object["data"] else { throw FuzzFinding("200 without data") }
            value = data
        } else {
            guard let message = object["error"] as? String, !message.isEmpty else {
                throw FuzzFinding("\(status) without an error message")
            }
            value = message
        }
        if status == 401 {
            try require(
                response.header("WWW-Authenticate")?.hasPrefix("Bearer realm=\"jobs-api\"") == true,
                "401 without WWW-Authenticate")
        }
        if status == 405 {
            try require(response.header("Allow").map { !$0.isEmpty } == true, "405 without Allow")
        }
        try require(
            !String(decoding: response.body, as: UTF8.self).contains(FuzzFixture.key), "the body echoes the API key")
        try checkEncoding(response)
        return value
    }

    /// The CGI head is `Status: NNN reason`, header lines of a token, `: ` and a value without control
    /// characters, one matching `Content-Length`, a blank line; then exactly the body.
    static func checkEncoding(_ response: APIResponse) throws(FuzzFinding) {
        var full = response
        full.includesBody = true
        var head = response
        head.includesBody = false
        let bytes = full.cgiEncoded()
        let headOnly = head.cgiEncoded()
        try require(bytes.starts(with: headOnly), "the HEAD encoding is not the head of the full one")
        try require(Array(bytes[headOnly.count...]) == response.body, "the body is not written as it is")
        try require(headOnly.count >= 4 && headOnly.suffix(4).elementsEqual("\r\n\r\n".utf8), "the head does not end with a blank line")
        let lines = String(decoding: headOnly.dropLast(4), as: UTF8.self).components(separatedBy: "\r\n")
        try require(lines.first?.hasPrefix("Status: \(response.status) ") == true, "status line \(lines.first ?? "")")
        var contentLengths: [String] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { throw FuzzFinding("header line without a colon: \(line)") }
            let name = String(line[..<colon])
            try require(isToken(name), "header name \(name) is not a token")
            try require(
                line.utf8.allSatisfy { $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }, "control character in \(line)")
            if name.lowercased() == "content-length" { contentLengths.append(String(line[colon...].dropFirst(2))) }
        }
        try require(contentLengths == [String(response.body.count)], "Content-Length \(contentLengths)")
    }

    /// An HTTP token (RFC 9110 `tchar`s, at least one).
    static func isToken(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A)
                || "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
