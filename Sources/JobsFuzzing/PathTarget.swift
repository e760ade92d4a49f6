import Foundation
import JobsCore

/// A method (chosen by the first byte) and raw `REQUEST_URI` bytes with the valid key: routing, percent-decoding
/// of the project key, job id and user id, and every handler, compared with a model of the contract built on
/// ``ReferenceParsing`` and the fixture's known jobs.
enum PathTarget {
    static let methods = ["GET", "HEAD", "DELETE", "POST", "PUT", "OPTIONS", "get", ""]

    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        guard let first = input.first else { return }
        let method = methods[Int(first) % methods.count]
        let uri = Array(input.dropFirst())
        let exchange = try APIExchange(method: method, requestURI: uri)
        let expected = expectation(method: method, uri: uri)
        try require(
            exchange.response.status == expected.status,
            "\(method) \(String(decoding: uri, as: UTF8.self)): status \(exchange.response.status), the model says \(expected.status)")
        if let jobID = expected.jobID {
            let returned = (exchange.job?["jobId"] as? NSNumber)?.int64Value
            try require(returned == jobID, "jobId \(returned.map(String.init) ?? "none"), expected \(jobID)")
        }
        if let status = expected.jobStatus {
            try require(exchange.job?["status"] as? String == status.rawValue, "status \(exchange.job?["status"] ?? "none")")
        }
        if let referenceID = expected.referenceID {
            // The user id as decoded from the path comes back unchanged through the JSON writer.
            let returned = exchange.job?["referenceId"] as? String
            try require(
                returned.map { Array($0.unicodeScalars) } == Array(referenceID.unicodeScalars),
                "referenceId \(exchange.job?["referenceId"] ?? "none"), expected \(referenceID.unicodeScalars.map { $0.value })")
        }
        if let ids = expected.listedIDs {
            try require(exchange.jobIDs == ids, "listed \(exchange.jobIDs ?? []), expected \(ids)")
        }
    }

    struct Expectation {
        var status: Int
        var jobID: Int64?
        var jobStatus: JobStatus?
        var referenceID: String?
        var listedIDs: [Int64]?
    }

    static func expectation(method: String, uri: [UInt8]) -> Expectation {
        let text = ReferenceParsing.uriText(uri)
        let path = Array(text.prefix(while: { $0 != UInt8(ascii: "?") }))
        guard path.first == UInt8(ascii: "/") else { return Expectation(status: 404) }
        let segments = path.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
            .map { Array($0) }
        let kind: String
        switch (segments.count, segments.count >= 3 ? String(decoding: segments[2], as: UTF8.self) : "") {
        case (3, "jobs"): kind = "list"
        case (4, "jobs"): kind = "job"
        case (4, "users"): kind = "user"
        default: return Expectation(status: 404)
        }
        guard segments[0].elementsEqual("public".utf8) else { return Expectation(status: 404) }
        let allowed = ["list": ["GET", "HEAD"], "job": ["GET", "HEAD", "DELETE"], "user": ["DELETE"]][kind]!
        guard allowed.contains(method) else { return Expectation(status: 405) }
        guard ReferenceParsing.decode(segments[1]) == FuzzFixture.projectKey else { return Expectation(status: 404) }

        switch kind {
        case "list":
            let query = text.firstIndex(of: UInt8(ascii: "?")).map { Array(text[($0 + 1)...]) } ?? []
            guard let filter = QueryTarget.filter(query: query) else { return Expectation(status: 400) }
            return Expectation(status: 200, listedIDs: QueryTarget.listedIDs(query: query, filter: filter))
        case "job":
            guard let id = ReferenceParsing.decode(segments[3]).flatMap(ReferenceParsing.decimal) else {
                return Expectation(status: 400)
            }
            guard (1...Int64(FuzzFixture.jobCount)).contains(id) else { return Expectation(status: 404) }
            let status = FuzzFixture.status(ofJob: id)
            if method == "DELETE" {
                guard status.isCancellable else { return Expectation(status: 400) }
                return Expectation(status: 200, jobID: id, jobStatus: .cancelled)
            }
            return Expectation(status: 200, jobID: id, jobStatus: status)
        default:
            guard let userID = ReferenceParsing.decode(segments[3]),
                (1...JobsAPI.maximumUserIDLength).contains(userID.unicodeScalars.count)
            else { return Expectation(status: 400) }
            let active = (1...Int64(FuzzFixture.jobCount)).contains {
                FuzzFixture.userID(ofJob: $0) == userID && FuzzFixture.status(ofJob: $0).isCancellable
            }
            if active { return Expectation(status: 409) }
            return Expectation(status: 200, jobStatus: .scheduled, referenceID: userID)
        }
    }
}
