/// A query string on `GET /public/{key}/jobs` (as `QUERY_STRING` and in `REQUEST_URI`): the listed ids must be
/// the page a model of `limit` (1–200, else 50) and `page` (≥ 1, else 1) computes, first occurrence winning,
/// names percent-decoded with `+` as a space, values percent-decoded with `+` as a plus.
enum QueryTarget {
    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        let uri = Array("/public/\(FuzzFixture.projectKey)/jobs?".utf8) + input
        let exchange = try APIExchange(method: "GET", requestURI: uri, queryString: input)
        try require(exchange.response.status == 200, "status \(exchange.response.status) for a list")
        let query = ReferenceParsing.uriText(input)
        let expected = listedIDs(query: query)
        try require(
            exchange.jobIDs == expected,
            "?\(String(decoding: query, as: UTF8.self)): listed \(exchange.jobIDs ?? []), expected \(expected)")
    }

    /// The ids of the fixture's project that the list shows for `query` (as jobs-fcgi passes it on: ASCII).
    static func listedIDs(query: [UInt8]) -> [Int64] {
        let limit = integer("limit", in: query).flatMap { (1...200).contains($0) ? Int($0) : nil } ?? 50
        let page = integer("page", in: query).flatMap { $0 >= 1 ? $0 : nil } ?? 1
        let all = Array(1...Int64(FuzzFixture.jobCount))
        let (offset, overflow) = (page - 1).multipliedReportingOverflow(by: Int64(limit))
        return overflow || offset >= all.count ? [] : Array(all[Int(offset)...].prefix(limit))
    }

    /// The first `name=value` pair's value as a decimal integer; `nil` when absent or not one.
    static func integer(_ name: String, in query: [UInt8]) -> Int64? {
        for pair in query.split(separator: UInt8(ascii: "&")) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard ReferenceParsing.decode(Array(parts[0]), plusIsSpace: true) == name else { continue }
            let value = parts.count > 1 ? Array(parts[1]) : []
            return ReferenceParsing.decode(value).flatMap(ReferenceParsing.decimal)
        }
        return nil
    }
}
