import Foundation

/// The Jobs API: turns an ``APIRequest`` into an ``APIResponse`` using one store connection.
///
/// A request is read once (``RoutedRequest``), looked up in the store once, and answered once. Checks run in
/// the contract's order: authentication (401), route and method (404, 405), project (404), then parameters
/// (400), then the job itself. Every failure is an ``APIError`` rendered as `{"error": …}`.
public struct JobsAPI: Sendable {
    /// When new deletion jobs become due.
    public var scheduleDelay: ScheduleDelay
    /// Milliseconds since the Unix epoch; injectable for tests.
    public var clock: @Sendable () -> Int64

    /// Refuses, with 429, a client address that failed authentication too often; `nil` limits nothing.
    public var failedAuthenticationLimiter: FailedAuthenticationLimiter?

    /// An API whose deletion jobs become due after `scheduleDelay`, reading the time from `clock`.
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
        /// What the client gets.
        public var response: APIResponse
        /// The key that authenticated the request; `nil` when none did.
        public var principal: Principal?
        /// For a 5xx, what went wrong, for the log only.
        public var diagnostic: String?
        /// The request's path as a log line may show it: see ``LoggedPath``.
        public var path: LoggedPath
        /// The job a user deletion created, or met in its 409: what traces such a request in the log instead of
        /// its user id.
        public var jobID: Int64?
    }

    /// What a log line may show of a request's path: the route, a project key only when it has a project key's
    /// form (letters and digits), a job id only when it is a number, and never a user id — nor any other text a
    /// client put in a path, which might be one (a path matching no route is not shown at all).
    public enum LoggedPath: Sendable, Equatable {
        /// `/public/{projectKey}/jobs`.
        case jobs(projectKey: Substring?)
        /// `/public/{projectKey}/jobs/{jobId}`.
        case job(projectKey: Substring?, jobID: Int64?)
        /// `/public/{projectKey}/users/{userId}`.
        case user(projectKey: Substring?)
        /// Any other path.
        case other

        init(_ route: RoutedRequest.Route, jobID: Int64?) {
            let key = route.key
            let shownKey = (1...64).contains(key.utf8.count)
                && key.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) }
                ? key : nil
            switch route.kind {
            case .jobs: self = .jobs(projectKey: shownKey)
            case .job: self = .job(projectKey: shownKey, jobID: jobID)
            case .user: self = .user(projectKey: shownKey)
            }
        }
    }

    /// Answers one request. Never throws: every failure becomes an error response.
    public func respond(to request: APIRequest, store: any JobStore) -> Outcome {
        let routed = RoutedRequest(request)
        var principal: Principal?
        var jobID: Int64?
        var diagnostic: String?
        var response: APIResponse
        do {
            let lookup = try limitedLookup(request, routed: routed, store: store)
            principal = lookup.principal
            response = try answer(routed, lookup: lookup, store: store, jobID: &jobID)
        } catch let error as APIError {
            response = error.response
        } catch let error as StoreError {
            response = (error.kind == .unavailable ? APIError.storeUnavailable : .internalError).response
            diagnostic = "store: \(error.message)"
        } catch {
            response = APIError.internalError.response
            diagnostic = "\(error)"
        }
        response.includesBody = !routed.isHead
        return Outcome(
            response: response, principal: principal, diagnostic: diagnostic, path: routed.loggedPath, jobID: jobID)
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

    /// ``authenticatedLookup(_:routed:store:)``, counting failures per client network: a failure from a network
    /// over its limit is answered 429 instead of 401. A valid key is never refused, whoever else shares its address.
    func limitedLookup(_ request: APIRequest, routed: RoutedRequest, store: any JobStore) throws -> RequestLookup {
        guard let limiter = failedAuthenticationLimiter, let address = request.clientAddress else {
            return try authenticatedLookup(request, routed: routed, store: store)
        }
        do {
            return try authenticatedLookup(request, routed: routed, store: store)
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

    /// The store's ``RequestLookup`` for the request's key, project and job, or 401 when the key is missing,
    /// malformed, unknown or revoked. One store call reads the three together.
    func authenticatedLookup(_ request: APIRequest, routed: RoutedRequest, store: any JobStore) throws
        -> RequestLookup
    {
        switch BearerCredentials(header: request.authorization) {
        case .missing: throw Self.missingCredentials
        case .malformed: throw Self.malformedCredentials
        case .token(let token):
            guard BearerCredentials.isWellFormed(token) else { throw Self.invalidKey }
            let lookup = try store.lookUp(
                keyHash: APIKeyHash(of: token), projectKey: routed.projectKey, jobID: routed.jobID, at: clock())
            guard lookup.principal != nil else { throw Self.invalidKey }
            return lookup
        }
    }

    // MARK: Answering

    /// Answers an authenticated request; a user deletion sets `jobID` to the job it created or met.
    func answer(_ routed: RoutedRequest, lookup: RequestLookup, store: any JobStore, jobID: inout Int64?) throws
        -> APIResponse
    {
        switch routed.target {
        case .refused(let error):
            throw error
        case .project(_, let endpoint):
            guard let projectID = lookup.projectID else { throw APIError.projectNotFound }
            switch try endpoint.get() {
            case .listJobs(let page, let filter):
                return try listJobs(projectID: projectID, page: page, filter: filter, store: store)
            case .readJob:
                // Read with the project, by the same lookup.
                guard let job = lookup.job else { throw APIError.jobNotFound }
                return .success { job.write(to: &$0) }
            case .cancelJob(let id):
                if let key = try IdempotencyKey(headers: routed.idempotencyKeys), let projectKey = routed.projectKey {
                    let request = IdempotentRequest(
                        organizationID: lookup.principal?.organizationID ?? 0, key: key.value, method: "DELETE",
                        path: "/public/\(projectKey.rawValue)/jobs/\(id)", time: clock())
                    return try Self.answer(
                        store.cancelJob(id: id, projectID: projectID, at: request.time, idempotency: request) {
                            outcome in
                            // A missing job is the route's 404, not the operation's answer: not stored.
                            outcome == .notFound ? nil : Self.stored(Result { try cancelResponse(outcome) })
                        }, respond: cancelResponse)
                }
                return try cancelJob(id: id, projectID: projectID, store: store)
            case .deleteUserData(let userID):
                if let key = try IdempotencyKey(headers: routed.idempotencyKeys), let projectKey = routed.projectKey {
                    let now = clock()
                    let job = NewJob.deleteUserData(
                        userID: userID, createdAt: now, startAt: scheduleDelay.startAt(createdAt: now))
                    let request = IdempotentRequest(
                        organizationID: lookup.principal?.organizationID ?? 0, key: key.value, method: "DELETE",
                        path: "/public/\(projectKey.rawValue)/users/\(userID)", time: now)
                    return try Self.answer(
                        store.createJob(job, projectID: projectID, idempotency: request) { outcome in
                            Self.stored(Result { try Self.deletionResponse(outcome, jobID: &jobID) })
                        },
                        respond: { try Self.deletionResponse($0, jobID: &jobID) })
                }
                return try requestUserDeletion(userID: userID, projectID: projectID, store: store, jobID: &jobID)
            }
        }
    }

    func listJobs(projectID: Int64, page: PageQuery, filter: JobFilter, store: any JobStore) throws -> APIResponse {
        // Written by the store straight from its rows; room for typical jobs of about 300 bytes each.
        try .success(capacity: 64 + page.limit * 320) { writer in
            if let offset = page.offset {
                if filter.isNone {
                    try store.writeJobs(projectID: projectID, limit: page.limit, offset: offset, to: &writer)
                } else {
                    try store.writeJobs(
                        projectID: projectID, filter: filter, limit: page.limit, offset: offset, to: &writer)
                }
            } else {
                writer.raw("[]")
            }
        }
    }

    func cancelJob(id: Int64, projectID: Int64, store: any JobStore) throws -> APIResponse {
        try cancelResponse(store.cancelJob(id: id, projectID: projectID, at: clock()))
    }

    func cancelResponse(_ outcome: CancelOutcome) throws -> APIResponse {
        switch outcome {
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
        return try Self.deletionResponse(store.createJob(job, projectID: projectID), jobID: &jobID)
    }

    static func deletionResponse(_ outcome: CreateOutcome, jobID: inout Int64?) throws -> APIResponse {
        switch outcome {
        case .created(let job):
            jobID = job.id
            return .success { job.write(to: &$0) }
        case .conflict(let existing):
            jobID = existing
            throw APIError(
                status: 409,
                message: "A deletion job for this user is already scheduled or running (jobId \(existing))")
        case .limitReached(let limit):
            throw APIError(
                status: 429,
                message: "This organization has \(limit) scheduled or running jobs, its limit: retry once some have "
                    + "ended, or ask the operator to raise it")
        }
    }

    // MARK: Idempotency keys

    /// The answer of a keyed request: the operation's own when it ran, the stored one replayed (with
    /// `Idempotent-Replayed: true`), 422 for a key used with another request, 409 for one still being processed.
    static func answer<Outcome>(_ outcome: IdempotentOutcome<Outcome>, respond: (Outcome) throws -> APIResponse)
        throws -> APIResponse
    {
        switch outcome {
        case .performed(let outcome):
            return try respond(outcome)
        case .replayed(let stored):
            return APIResponse(
                status: stored.status, headers: APIResponse.jsonHeaders + [("Idempotent-Replayed", "true")],
                body: stored.body)
        case .keyReused:
            throw APIError(
                status: 422, message: "This Idempotency-Key was used with another request (method or path)")
        case .inProgress:
            throw APIError(
                status: 409, message: "A request with this Idempotency-Key is still being processed; retry later")
        }
    }

    /// What is stored with a key: the answer, success or the operation's error; `nil` for a 5xx (never stored).
    static func stored(_ response: Result<APIResponse, any Error>) -> StoredResponse? {
        switch response {
        case .success(let response): return StoredResponse(status: response.status, body: response.body)
        // A 429 is not the operation's answer but a refusal to run it now: a retry with the key runs it again.
        case .failure(let error as APIError) where error.status < 500 && error.status != 429:
            return StoredResponse(status: error.status, body: error.response.body)
        case .failure: return nil
        }
    }

    // MARK: Parameters

    /// Longest user id accepted, in Unicode scalar values (a job's `referenceId`: ``Job/maximumReferenceIDLength``).
    public static let maximumUserIDLength = Job.maximumReferenceIDLength

    /// A `userId` path segment: percent-decoded UTF-8 without NUL, 1–256 Unicode scalars, or 400.
    static func userID(_ raw: Substring) throws(APIError) -> String {
        try userID(raw, name: "userId", plusIsSpace: false)
    }

    /// A list's `referenceId` query value: a user id by the same rules, decoded as a query value (`+` is a
    /// space), or 400 naming the parameter.
    static func referenceID(_ raw: Substring) throws(APIError) -> String {
        try userID(raw, name: "referenceId", plusIsSpace: true)
    }

    static func userID(_ raw: Substring, name: String, plusIsSpace: Bool) throws(APIError) -> String {
        let decoded: String
        do {
            decoded = try PercentDecoding.decode(raw.utf8, plusIsSpace: plusIsSpace)
        } catch {
            switch error {
            case .malformedEscape: throw APIError(status: 400, message: "Invalid \(name): malformed percent-encoding")
            case .invalidUTF8: throw APIError(status: 400, message: "Invalid \(name): not valid UTF-8")
            case .nulCharacter: throw APIError(status: 400, message: "Invalid \(name): contains a NUL character")
            }
        }
        let length = decoded.unicodeScalars.count
        guard length >= 1 else { throw APIError(status: 400, message: "Invalid \(name): empty") }
        guard length <= maximumUserIDLength else {
            throw APIError(status: 400, message: "Invalid \(name): longer than \(maximumUserIDLength) characters")
        }
        return decoded
    }
}
