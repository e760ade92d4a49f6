/// A query string on `GET /public/{key}/jobs` (as `QUERY_STRING` and in `REQUEST_URI`): the listed ids must be
/// the page a model of `limit` (1–200, else 50) and `page` (≥ 1, else 1) computes, first occurrence winning,
/// names percent-decoded with `+` as a space, values percent-decoded with `+` as a plus; and the filters
/// `status` (statuses separated by commas) and `referenceId` (a user id, `+` a space): the matching jobs, or 400
/// when either cannot be read.
enum QueryTarget {
    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        let uri = Array("/public/\(FuzzFixture.projectKey)/jobs?".utf8) + input
        let exchange = try APIExchange(method: "GET", requestURI: uri, queryString: input)
        let query = ReferenceParsing.uriText(input)
        guard let filter = filter(query: query) else {
            try require(exchange.response.status == 400, "status \(exchange.response.status) for an invalid filter")
            return
        }
        try require(exchange.response.status == 200, "status \(exchange.response.status) for a list")
        let expected = listedIDs(query: query, filter: filter)
        try require(
            exchange.jobIDs == expected,
            "?\(String(decoding: query, as: UTF8.self)): listed \(exchange.jobIDs ?? []), expected \(expected)")
    }

    /// The ids of the fixture's project that the list shows for `query` (as jobs-fcgi passes it on: ASCII).
    static func listedIDs(query: [UInt8], filter: (statuses: Set<String>?, referenceID: String?)) -> [Int64] {
        let limit = integer("limit", in: query).flatMap { (1...200).contains($0) ? Int($0) : nil } ?? 50
        let page = integer("page", in: query).flatMap { $0 >= 1 ? $0 : nil } ?? 1
        let all = (1...Int64(FuzzFixture.jobCount)).filter { id in
            (filter.statuses?.contains(FuzzFixture.status(ofJob: id).rawValue) ?? true)
                && (filter.referenceID.map { $0 == FuzzFixture.userID(ofJob: id) } ?? true)
        }
        let (offset, overflow) = (page - 1).multipliedReportingOverflow(by: Int64(limit))
        return overflow || offset >= all.count ? [] : Array(all[Int(offset)...].prefix(limit))
    }

    /// The first `name=value` pair's value as a decimal integer; `nil` when absent or not one.
    static func integer(_ name: String, in query: [UInt8]) -> Int64? {
        rawValue(name, in: query).flatMap { ReferenceParsing.decode($0).flatMap(ReferenceParsing.decimal) }
    }

    /// The first `name=value` pair's raw value (empty for `name` alone); `nil` when absent.
    static func rawValue(_ name: String, in query: [UInt8]) -> [UInt8]? {
        for pair in query.split(separator: UInt8(ascii: "&")) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard ReferenceParsing.decode(Array(parts[0]), plusIsSpace: true) == name else { continue }
            return parts.count > 1 ? Array(parts[1]) : []
        }
        return nil
    }

    /// The filters of `query`, or `nil` when one cannot be read (the list's 400).
    static func filter(query: [UInt8]) -> (statuses: Set<String>?, referenceID: String?)? {
        var statuses: Set<String>?
        if let raw = rawValue("status", in: query) {
            guard let text = ReferenceParsing.decode(raw, plusIsSpace: true), !text.isEmpty else { return nil }
            let names = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let known = ["scheduled", "running", "completed", "failed", "cancelled"]
            guard names.allSatisfy({ known.contains($0) }) else { return nil }
            statuses = Set(names)
        }
        var referenceID: String?
        if let raw = rawValue("referenceId", in: query) {
            guard let text = ReferenceParsing.decode(raw, plusIsSpace: true),
                (1...256).contains(text.unicodeScalars.count)
            else { return nil }
            referenceID = text
        }
        return (statuses, referenceID)
    }
}
