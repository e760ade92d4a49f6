/// An `Authorization` header value on `GET /public/{key}/jobs/1`: 200 exactly when it is `Bearer` (any case),
/// one or more spaces, the valid key and nothing but spaces after it (RFC 6750); the other organization's key
/// gets the project's 404; everything else 401.
enum AuthorizationTarget {
    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        let exchange = try APIExchange(
            method: "GET", requestURI: Array("/public/\(FuzzFixture.projectKey)/jobs/1".utf8), authorization: input)
        // The app reads the header as UTF-8 with invalid sequences replaced; so does the model.
        let header = Array(String(decoding: input, as: UTF8.self).utf8)
        let expected: Int
        switch token(in: header) {
        case FuzzFixture.key?: expected = 200
        case FuzzFixture.otherOrganizationKey?: expected = 404
        default: expected = 401
        }
        try require(
            exchange.response.status == expected,
            "Authorization \(String(decoding: input, as: UTF8.self).debugDescription): status \(exchange.response.status), expected \(expected)")
    }

    /// The token of `Bearer <token>` with only spaces around it; `nil` for anything else.
    static func token(in header: [UInt8]) -> String? {
        let scheme = Array("bearer".utf8)
        guard header.count > scheme.count,
            zip(header, scheme).allSatisfy({ ($0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0) == $1 }),
            header[scheme.count] == UInt8(ascii: " ")
        else { return nil }
        var rest = header[scheme.count...].drop(while: { $0 == UInt8(ascii: " ") })
        while rest.last == UInt8(ascii: " ") { rest = rest.dropLast() }
        guard !rest.isEmpty, !rest.contains(UInt8(ascii: " ")) else { return nil }
        return String(decoding: rest, as: UTF8.self)
    }
}
