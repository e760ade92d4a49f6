/// What a request asks the API to do, once its route, method and parameters are read.
enum Endpoint: Sendable, Equatable {
    /// `GET` or `HEAD /public/{projectKey}/jobs`: one page of the project's jobs that pass the filter.
    case listJobs(PageQuery, JobFilter)
    /// `GET` or `HEAD /public/{projectKey}/jobs/{jobId}`.
    case readJob(id: Int64)
    /// `DELETE /public/{projectKey}/jobs/{jobId}`.
    case cancelJob(id: Int64)
    /// `DELETE /public/{projectKey}/users/{userId}`.
    case deleteUserData(userID: String)
}

/// The page a list asks for: `limit` 1–200 (otherwise 50) and `page` from 1 (otherwise 1).
struct PageQuery: Sendable, Equatable {
    /// Page size when `limit` is absent or outside 1–``maximumLimit``.
    static let defaultLimit = 50
    static let maximumLimit = 200

    var limit: Int
    var page: Int64

    init(_ query: Substring) {
        self.init(QueryParameters(query))
    }

    init(_ parameters: QueryParameters) {
        limit = parameters.integer("limit").flatMap { (1...Int64(Self.maximumLimit)).contains($0) ? Int($0) : nil }
            ?? Self.defaultLimit
        page = parameters.integer("page").flatMap { $0 >= 1 ? $0 : nil } ?? 1
    }

    /// The jobs to skip; `nil` when `(page - 1) * limit` exceeds `Int64`: such a page is past any end.
    var offset: Int64? {
        let (offset, overflow) = (page - 1).multipliedReportingOverflow(by: Int64(limit))
        return overflow ? nil : offset
    }
}

extension JobFilter {
    /// The filter of a list's query: `status` (statuses separated by commas) and `referenceId` (the rules of a
    /// `userId`), both percent-decoded as query values (`+` is a space). Unlike `limit` and `page`, a filter that
    /// cannot be read is a 400 naming it: ignoring it would answer with jobs the client did not ask for.
    init(_ parameters: QueryParameters) throws(APIError) {
        var statuses: [JobStatus]?
        if let raw = parameters.rawValue("status") {
            guard let text = try? PercentDecoding.decodeQueryComponent(raw.utf8) else {
                throw APIError(status: 400, message: "Invalid status: malformed percent-encoding")
            }
            guard !text.isEmpty else {
                throw APIError(status: 400, message: "Invalid status: empty; expected \(Self.statusNames)")
            }
            var parsed: [JobStatus] = []
            for name in text.split(separator: ",", omittingEmptySubsequences: false) {
                guard let status = JobStatus(rawValue: String(name)) else {
                    throw APIError(
                        status: 400,
                        message: name.isEmpty
                            ? "Invalid status: empty status in the list; expected \(Self.statusNames)"
                            : "Invalid status: unknown status; expected \(Self.statusNames)")
                }
                parsed.append(status)
            }
            statuses = parsed
        }
        var referenceID: String?
        if let raw = parameters.rawValue("referenceId") {
            referenceID = try JobsAPI.referenceID(raw)
        }
        self.init(statuses: statuses, referenceID: referenceID)
    }

    /// The statuses a `status` filter may name, for its 400.
    static let statusNames = "one or more of " + JobStatus.allCases.map(\.rawValue).joined(separator: ", ")
        + ", separated by commas"
}

/// One request read in one pass over its method, path and query: what a log line shows of it, what the store is
/// asked for, and the ``Endpoint``, or the error that answers it instead. Errors wait here until the contract's
/// order reaches them: the route's 404 and the method's 405 right after authentication, the project's 404 after
/// the store's lookup, a parameter's 400 after that.
struct RoutedRequest {
    /// Whether the method is `HEAD`: answered as `GET`, without the body.
    let isHead: Bool
    /// What a log line shows of the path.
    let loggedPath: JobsAPI.LoggedPath
    let target: Target
    /// The `Idempotency-Key` headers of the request, read only by the two `DELETE`s.
    let idempotencyKeys: [String]

    enum Target {
        /// No route (404), or a method the route does not allow (405).
        case refused(APIError)
        /// The project (`nil`: a key no project can have, which answers 404 like an unknown one), then the endpoint
        /// or the 400 of a parameter.
        case project(ProjectKey?, Result<Endpoint, APIError>)
    }

    /// The project the store looks up with the key.
    var projectKey: ProjectKey? {
        guard case .project(let key, _) = target else { return nil }
        return key
    }

    /// The job the store reads with the project: that of a `GET` or `HEAD` of one job.
    var jobID: Int64? {
        guard case .project(_, .success(.readJob(let id))) = target else { return nil }
        return id
    }

    init(_ request: APIRequest) {
        idempotencyKeys = request.idempotencyKeys
        let method = Method(request.method)
        isHead = method == .head
        guard let route = Route(path: request.path) else {
            loggedPath = .other
            target = .refused(.routeNotFound)
            return
        }
        // Read whatever the method: the log shows the job of a refused method too.
        let jobID = route.kind == .job ? DecimalInteger.parse(percentEncoded: route.last) : nil
        loggedPath = JobsAPI.LoggedPath(route, jobID: jobID)
        guard route.kind.allows(method) else {
            target = .refused(route.kind.methodNotAllowed)
            return
        }
        let endpoint: Result<Endpoint, APIError>
        switch route.kind {
        case .jobs:
            let parameters = QueryParameters(request.query)
            do {
                endpoint = .success(.listJobs(PageQuery(parameters), try JobFilter(parameters)))
            } catch {
                endpoint = .failure(error)
            }
        case .job:
            if let jobID {
                endpoint = .success(method == .delete ? .cancelJob(id: jobID) : .readJob(id: jobID))
            } else {
                endpoint = .failure(.invalidJobID)
            }
        case .user:
            do {
                endpoint = .success(.deleteUserData(userID: try JobsAPI.userID(route.last)))
            } catch {
                endpoint = .failure(error)
            }
        }
        target = .project(Self.projectKey(route.key), endpoint)
    }

    /// The project key a path segment names, or `nil` when it names none: not percent-decodable, or not
    /// 20 letters and digits once decoded. A key without `%` is read as it is.
    static func projectKey(_ raw: Substring) -> ProjectKey? {
        guard raw.utf8.contains(UInt8(ascii: "%")) else { return ProjectKey(String(raw)) }
        return (try? PercentDecoding.decode(raw.utf8)).flatMap { ProjectKey($0) }
    }

    /// The methods the API knows.
    enum Method {
        case get, head, delete, other

        init(_ text: String) {
            switch text {
            case "GET": self = .get
            case "HEAD": self = .head
            case "DELETE": self = .delete
            default: self = .other
            }
        }
    }

    /// `/public/{projectKey}/jobs`, `/public/{projectKey}/jobs/{jobId}` or `/public/{projectKey}/users/{userId}`,
    /// matched on the raw (still encoded) path, segments split at every `/` (empty ones count).
    struct Route {
        enum Kind {
            case jobs, job, user

            func allows(_ method: Method) -> Bool {
                switch (self, method) {
                case (.jobs, .get), (.jobs, .head), (.job, .get), (.job, .head), (.job, .delete), (.user, .delete):
                    return true
                default:
                    return false
                }
            }

            // Made once: a 405 costs no more than a 404.
            private static let jobsMethodNotAllowed = APIError.methodNotAllowed(allowed: "GET, HEAD")
            private static let jobMethodNotAllowed = APIError.methodNotAllowed(allowed: "GET, HEAD, DELETE")
            private static let userMethodNotAllowed = APIError.methodNotAllowed(allowed: "DELETE")

            var methodNotAllowed: APIError {
                switch self {
                case .jobs: return Self.jobsMethodNotAllowed
                case .job: return Self.jobMethodNotAllowed
                case .user: return Self.userMethodNotAllowed
                }
            }
        }

        let kind: Kind
        /// The raw project key segment.
        let key: Substring
        /// The raw `jobId` or `userId` segment (empty for the list).
        let last: Substring

        init?(path: Substring) {
            // Byte for byte over UTF-8, without splitting into an array (`/` is ASCII: no boundary falls inside a
            // character): this runs on every request.
            let utf8 = path.utf8
            let prefix = "/public/".utf8
            guard utf8.starts(with: prefix) else { return nil }
            let keyStart = utf8.index(utf8.startIndex, offsetBy: prefix.count)
            guard let keyEnd = utf8[keyStart...].firstIndex(of: UInt8(ascii: "/")) else { return nil }
            let nameStart = utf8.index(after: keyEnd)
            let nameEnd = utf8[nameStart...].firstIndex(of: UInt8(ascii: "/")) ?? utf8.endIndex
            let name = utf8[nameStart..<nameEnd]
            key = Substring(utf8[keyStart..<keyEnd])
            if nameEnd == utf8.endIndex {
                guard name.elementsEqual("jobs".utf8) else { return nil }
                kind = .jobs
                last = ""
                return
            }
            let lastStart = utf8.index(after: nameEnd)
            guard !utf8[lastStart...].contains(UInt8(ascii: "/")) else { return nil }  // a sixth segment
            if name.elementsEqual("jobs".utf8) {
                kind = .job
            } else if name.elementsEqual("users".utf8) {
                kind = .user
            } else {
                return nil
            }
            last = Substring(utf8[lastStart...])
        }
    }
}

extension DecimalInteger {
    /// A percent-encoded path segment read as a ``DecimalInteger``; `nil` when it is not one.
    static func parse(percentEncoded raw: Substring) -> Int64? {
        guard raw.utf8.contains(UInt8(ascii: "%")) else { return parse(raw) }
        return (try? PercentDecoding.decode(raw.utf8)).flatMap { parse($0) }
    }
}
