import Foundation

/// The Jobs API: turns an ``APIRequest`` into an ``APIResponse`` using one store connection.
///
/// Checks run in the contract's order: authentication (401), route and method (404, 405), project (404), then
/// parameters (400), then the job itself. Every failure is an ``APIError`` rendered as `{"error": …}`.
public struct JobsAPI: Sendable {
    /// When new deletion jobs become due.
    public var scheduleDelay: ScheduleDelay
    /// Milliseconds since the Unix epoch; injectable for tests.
    public var clock: @Sendable () -> Int64

    /// Refuses, with 429, a client address that failed authentication too often; `nil` limits nothing.
    public var failedAuthenticationLimiter: FailedAuthenticationLimiter?

    public init(
        scheduleDelay: ScheduleDelay = .nextMidnight, clock: @escaping @Sendable () -> Int64 = JobsAPI.now,
        failedAuthenticationLimiter: FailedAuthenticationLimiter? = nil
    ) {
        self.scheduleDelay = scheduleDelay
        self.clock = clock
        self.failedAuthenticationLimiter = failedAuthenticationLimiter
    }

    /// The wall clock in milliseconds since the Unix epoch.
    @Sendable public static func now() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// What answering one request produced: the response, who asked (for the log) and, for a 5xx, the detail
    /// that the log needs and the client must not see.
    public struct Outcome: Sendable {
        public var response: APIResponse
        public var principal: Principal?
        public var diagnostic: String?
        /// The request's path as a log line may show it: see ``LoggedPath``.
        public var path: LoggedPath = .other
        /// The job a user deletion created, or met in its 409: what traces such a request in the log instead of
        /// its user id.
        public var jobID: Int64?
    }

    /// What a log line may show of a request's path: the route, a project key only when it has a project key's
    /// form (letters and digits), a job id only when it is a number, and never a user id — nor any other text a
    /// client put in a path, which might be one (a path matching no route is not shown at all).
    public enum LoggedPath: Sendable, Equatable {
        case jobs(projectKey: Substring?)
        case job(projectKey: Substring?, jobID: Int64?)
        case user(projectKey: Substring?)
        case other

        init(_ target: Target) {
            guard let route = target.route else {
                self = .other
                return
            }
            let key = route.projectKey
            let shownKey = (1...64).contains(key.utf8.count)
                && key.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) }
                ? key : nil
            switch route {
            case .jobs: self = .jobs(projectKey: shownKey)
            case .job(_, let rawID): self = .job(projectKey: shownKey, jobID: target.jobID ?? (try? JobsAPI.jobID(rawID)))
            case .user: self = .user(projectKey: shownKey)
            }
        }
    }

    /// Answers one request. Never throws: every failure becomes an error response.
    public func respond(to request: APIRequest, store: any JobStore) -> Outcome {
        let target = Target(request)
        var outcome = Outcome(response: APIError.internalError.response, path: LoggedPath(target))
        do {
            let lookup = try limitedLookup(request, target: target, store: store)
            outcome.principal = lookup.principal
            outcome.response = try route(request, target: target, lookup: lookup, store: store, jobID: &outcome.jobID)
        } catch let error as APIError {
            outcome.response = error.response
        } catch let error as StoreError {
            outcome.response = (error.kind == .unavailable ? APIError.storeUnavailable : .internalError).response
            outcome.diagnostic = "store: \(error.message)"
        } catch {
            outcome.diagnostic = "\(error)"
        }
        return outcome
    }

    // MARK: Authentication

    static let realm = "jobs-api"

    // Made once: a 401 is the cheapest answer there is, and should stay so.
    static let missingCredentials = APIError(
        status: 401, message: "Missing Authorization header; expected 'Authorization: Bearer <API key>'",
        headers: [("WWW-Authenticate", "Bearer realm=\"\(realm)\"")])
    static let malformedCredentials = APIError(
        status: 401, message: "Malformed Authorization header; expected 'Authorization: Bearer <API key>'",
        headers: [("WWW-Authenticate", "Bearer realm=\"\(realm)\"")])
    static let invalidKey = APIError(
        status: 401, message: "Invalid or revoked API key",
        headers: [("WWW-Authenticate", "Bearer realm=\"\(realm)\", error=\"invalid_token\"")])

    /// ``authenticatedLookup(_:target:store:)``, counting failures per client network: a failure from a network
    /// over its limit is answered 429 instead of 401. A valid key is never refused, whoever else shares its address.
    func limitedLookup(_ request: APIRequest, target: Target, store: any JobStore) throws -> RequestLookup {
        guard let limiter = failedAuthenticationLimiter, let address = request.clientAddress else {
            return try authenticatedLookup(request, target: target, store: store)
        }
        do {
            return try authenticatedLookup(request, target: target, store: store)
        } catch let error as APIError where error.status == 401 {
            let now = clock()
            if let wait = limiter.retryAfter(address: address, now: now) {
                throw APIError(
                    status: 429,
                    message: "Too many failed authentication attempts from this address; retry in \(wait) s",
                    headers: [("Retry-After", String(wait))])
            }
            limiter.recordFailure(address: address, now: now)
            throw error
        }
    }

    /// The store's ``RequestLookup`` for the request's key and target, or 401 when the key is missing, malformed,
    /// unknown or revoked. One store call reads the key, the project and the job together; what the target asked
    /// for is judged afterwards, in the contract's order (see ``route(_:target:lookup:store:jobID:)``).
    func authenticatedLookup(_ request: APIRequest, target: Target, store: any JobStore) throws -> RequestLookup {
        switch BearerCredentials(header: request.authorization) {
        case .missing: throw Self.missingCredentials
        case .malformed: throw Self.malformedCredentials
        case .token(let token):
            let invalid = Self.invalidKey
            guard BearerCredentials.isWellFormed(token) else { throw invalid }
            let lookup = try store.lookUp(
                keyHash: APIKeyHash(of: token), projectKey: target.projectKey, jobID: target.jobID, at: clock())
            guard lookup.principal != nil else { throw invalid }
            return lookup
        }
    }

    // MARK: Routing

    /// The routes of the API, matched on raw (still encoded) path segments.
    enum Route {
        case jobs(projectKey: Substring)
        case job(projectKey: Substring, jobID: Substring)
        case user(projectKey: Substring, userID: Substring)

        // Built once: an array literal in `allowedMethods` would be allocated on every request.
        private static let jobsMethods = ["GET", "HEAD"]
        private static let jobMethods = ["GET", "HEAD", "DELETE"]
        private static let userMethods = ["DELETE"]

        var allowedMethods: [String] {
            switch self {
            case .jobs: return Self.jobsMethods
            case .job: return Self.jobMethods
            case .user: return Self.userMethods
            }
        }

        /// Matches `/public/{projectKey}/jobs`, `/public/{projectKey}/jobs/{jobId}` and
        /// `/public/{projectKey}/users/{userId}`, segments split at every `/` (empty ones count).
        init?(path: String) {
            // Split over the UTF-8 bytes (`/` is ASCII, so no boundary falls inside a character), stopping past
            // five segments, and compare the fixed ones byte for byte: `split` and `Substring ==` on characters
            // cost several times more on every request.
            let utf8 = path.utf8
            guard utf8.first == UInt8(ascii: "/") else { return nil }
            var start = utf8.index(after: utf8.startIndex)
            var segments: [Substring] = []
            segments.reserveCapacity(4)
            while true {
                guard segments.count < 4 else { return nil }  // a sixth segment
                let end = utf8[start...].firstIndex(of: UInt8(ascii: "/")) ?? utf8.endIndex
                segments.append(Substring(utf8[start..<end]))
                guard end != utf8.endIndex else { break }
                start = utf8.index(after: end)
            }
            // segments holds the path's segments after the leading empty one.
            guard segments.count >= 3, Self.segment(segments[0], is: "public") else { return nil }
            switch segments.count {
            case 3 where Self.segment(segments[2], is: "jobs"):
                self = .jobs(projectKey: segments[1])
            case 4 where Self.segment(segments[2], is: "jobs"):
                self = .job(projectKey: segments[1], jobID: segments[3])
            case 4 where Self.segment(segments[2], is: "users"):
                self = .user(projectKey: segments[1], userID: segments[3])
            default:
                return nil
            }
        }

        private static func segment(_ segment: Substring, is literal: StaticString) -> Bool {
            literal.withUTF8Buffer { segment.utf8.elementsEqual($0) }
        }

        var projectKey: Substring {
            switch self {
            case .jobs(let key), .job(let key, _), .user(let key, _): return key
            }
        }
    }

    /// What the path and the method ask the store for, worked out before authentication so that one store call
    /// can read the key, the project and the job together. Nothing here is judged yet: a path that matches no
    /// route or a method it does not allow asks for no project, a malformed job id for no job, and the errors are
    /// raised by ``route(_:target:lookup:store:jobID:)`` after authentication, in the contract's order.
    struct Target {
        let route: Route?
        /// The decoded project key, when the route and method are right and the key is well formed.
        let projectKey: ProjectKey?
        /// The job to read with the project: a `GET` or `HEAD` of one job with a well-formed id.
        let jobID: Int64?

        init(_ request: APIRequest) {
            route = Route(path: request.path)
            guard let route, route.allowedMethods.contains(request.method) else {
                projectKey = nil
                jobID = nil
                return
            }
            let rawKey = route.projectKey
            // A key is 20 letters and digits: one without `%` is read as it is, without decoding.
            projectKey = rawKey.utf8.contains(UInt8(ascii: "%"))
                ? (try? PercentDecoding.decode(rawKey.utf8)).flatMap { ProjectKey($0) } : ProjectKey(String(rawKey))
            if case .job(_, let rawID) = route, request.method != "DELETE" {
                jobID = try? JobsAPI.jobID(rawID)
            } else {
                jobID = nil
            }
        }
    }

    /// Answers the request the target describes; a user deletion sets `jobID` to the job it created or met.
    func route(
        _ request: APIRequest, target: Target, lookup: RequestLookup, store: any JobStore, jobID: inout Int64?
    ) throws -> APIResponse {
        guard let route = target.route else { throw APIError.routeNotFound }
        let method = request.method == "HEAD" ? "GET" : request.method
        guard route.allowedMethods.contains(request.method) else {
            throw APIError.methodNotAllowed(allowed: route.allowedMethods)
        }
        guard let projectID = lookup.projectID else { throw APIError.projectNotFound }

        switch (route, method) {
        case (.jobs, _):
            return try listJobs(projectID: projectID, query: QueryParameters(request.query), store: store)
        case (.job, "GET"):
            // The id was parsed with the target (no id: malformed) and looked up with the project.
            guard target.jobID != nil else { throw APIError.invalidJobID }
            guard let job = lookup.job else { throw APIError.jobNotFound }
            return .success { job.write(to: &$0) }
        case (.job(_, let rawID), _):
            return try cancelJob(id: Self.jobID(rawID), projectID: projectID, store: store)
        case (.user(_, let rawUserID), _):
            return try requestUserDeletion(
                userID: Self.userID(rawUserID), projectID: projectID, store: store, jobID: &jobID)
        }
    }

    // MARK: Parameters

    /// A `jobId` path segment: a ``DecimalInteger`` after percent-decoding, or 400.
    static func jobID(_ raw: Substring) throws -> Int64 {
        let decoded = raw.utf8.contains(UInt8(ascii: "%")) ? try? PercentDecoding.decode(raw.utf8) : String(raw)
        guard let decoded, let id = DecimalInteger.parse(decoded) else { throw APIError.invalidJobID }
        return id
    }

    /// Longest user id accepted, in Unicode scalar values (a job's `referenceId`: ``Job/maximumReferenceIDLength``).
    public static let maximumUserIDLength = Job.maximumReferenceIDLength

    /// A `userId` path segment: percent-decoded UTF-8 without NUL, 1–256 Unicode scalars, or 400.
    static func userID(_ raw: Substring) throws -> String {
        let decoded: String
        do {
            decoded = try PercentDecoding.decode(raw.utf8)
        } catch .malformedEscape {
            throw APIError(status: 400, message: "Invalid userId: malformed percent-encoding")
        } catch .invalidUTF8 {
            throw APIError(status: 400, message: "Invalid userId: not valid UTF-8")
        } catch .nulCharacter {
            throw APIError(status: 400, message: "Invalid userId: contains a NUL character")
        }
        let length = decoded.unicodeScalars.count
        guard length >= 1 else { throw APIError(status: 400, message: "Invalid userId: empty") }
        guard length <= maximumUserIDLength else {
            throw APIError(status: 400, message: "Invalid userId: longer than \(maximumUserIDLength) characters")
        }
        return decoded
    }

    /// Page size when `limit` is absent or outside 1–200.
    public static let defaultLimit = 50
    public static let maximumLimit = 200

    // MARK: Handlers

    func listJobs(projectID: Int64, query: QueryParameters, store: any JobStore) throws -> APIResponse {
        let limit = query.integer("limit").flatMap { (1...Int64(Self.maximumLimit)).contains($0) ? Int($0) : nil }
            ?? Self.defaultLimit
        let page = query.integer("page").flatMap { $0 >= 1 ? $0 : nil } ?? 1
        // (page - 1) * limit can exceed Int64 for a huge page: such a page is past any end.
        let (offset, overflow) = (page - 1).multipliedReportingOverflow(by: Int64(limit))
        // Written by the store straight from its rows; room for typical jobs of about 300 bytes each.
        return try .success(capacity: 64 + limit * 320) { writer in
            if overflow {
                writer.raw("[]")
            } else {
                try store.writeJobs(projectID: projectID, limit: limit, offset: offset, to: &writer)
            }
        }
    }

    func cancelJob(id: Int64, projectID: Int64, store: any JobStore) throws -> APIResponse {
        switch try store.cancelJob(id: id, projectID: projectID, at: clock()) {
        case .cancelled(let job):
            return .success { job.write(to: &$0) }
        case .notCancellable(let job):
            throw APIError(status: 400, message: "Job \(job.id) is \(job.status.rawValue) and cannot be cancelled")
        case .notFound:
            throw APIError.jobNotFound
        }
    }

    func requestUserDeletion(userID: String, projectID: Int64, store: any JobStore, jobID: inout Int64?) throws
        -> APIResponse
    {
        let now = clock()
        let job = NewJob.deleteUserData(userID: userID, createdAt: now, startAt: scheduleDelay.startAt(createdAt: now))
        switch try store.createJob(job, projectID: projectID) {
        case .created(let job):
            jobID = job.id
            return .success { job.write(to: &$0) }
        case .conflict(let existing):
            jobID = existing
            throw APIError(
                status: 409,
                message: "A deletion job for this user is already scheduled or running (jobId \(existing))")
        }
    }
}
