import Foundation
import FastCGI
import JobsCore
import JobsFastCGI

/// One request through what jobs-fcgi runs for it: the FastCGI params → ``APIRequest`` → ``JobsAPI`` against a
/// fresh ``FuzzFixture`` store, with the response checked by ``ResponseCheck``.
struct APIExchange {
    var request: APIRequest
    var response: APIResponse
    /// The body's `data` (200) or `error` message.
    var value: Any

    init(_ fastCGIRequest: FastCGIRequest) throws(FuzzFinding) {
        request = APIRequest(fastCGIRequest)
        response = FuzzFixture.api.respond(to: request, store: FuzzFixture.store()).response
        value = try ResponseCheck.check(response)
    }

    /// A request with these params, the valid key's `Authorization` unless `authorization` says otherwise.
    init(
        method: String, requestURI: [UInt8], queryString: [UInt8]? = nil,
        authorization: [UInt8]? = Array("Bearer \(FuzzFixture.key)".utf8)
    ) throws(FuzzFinding) {
        var params: [FastCGIRequest.Param] = [
            .init(name: "REQUEST_METHOD", value: Array(method.utf8)),
            .init(name: "REQUEST_URI", value: requestURI),
            .init(name: "REMOTE_ADDR", value: Array("127.0.0.1".utf8)),
        ]
        if let queryString { params.append(.init(name: "QUERY_STRING", value: queryString)) }
        if let authorization { params.append(.init(name: "HTTP_AUTHORIZATION", value: authorization)) }
        try self.init(FastCGIRequest(params: params))
    }

    /// The `data` as a job object.
    var job: [String: Any]? { value as? [String: Any] }

    /// The `data` as a list of job ids.
    var jobIDs: [Int64]? {
        (value as? [[String: Any]])?.compactMap { ($0["jobId"] as? NSNumber)?.int64Value }
    }
}
