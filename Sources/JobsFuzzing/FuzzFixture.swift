import JobsCore
import JobsTesting

/// The store every API input runs against, made fresh for each input so that runs do not depend on each other:
/// one organization with a valid and a revoked key, another organization, a project each, and jobs in every
/// state.
enum FuzzFixture {
    static let now: Int64 = 1_700_000_000_000
    static let key = "jobs_FuzzFuzzFuzzFuzzFuzzFuzzFuzzFuzzFuzzFuzz"
    static let revokedKey = "jobs_RevokedRevokedRevokedRevokedRevokedRe"
    static let otherOrganizationKey = "jobs_OtherOtherOtherOtherOtherOtherOtherOthe"
    static let projectKey = "FuzzProjectKey000001"
    static let otherProjectKey = "OtherProjectKey00002"
    /// Jobs of the first project, ids 1 through this.
    static let jobCount = 12

    static let api = JobsAPI(scheduleDelay: .nextMidnight, clock: { now })

    // Hashed once: SHA-256 per input would dominate the cheaper targets.
    private static let keys: [InMemoryJobStore.Key] = [
        .init(hash: APIKeyHash(of: key), principal: Principal(keyID: 1, organizationID: 1), revoked: false),
        .init(hash: APIKeyHash(of: revokedKey), principal: Principal(keyID: 2, organizationID: 1), revoked: true),
        .init(
            hash: APIKeyHash(of: otherOrganizationKey), principal: Principal(keyID: 3, organizationID: 2),
            revoked: false),
    ]

    /// The jobs of project 1: the user id of job `n` (1-based) is `user-n`, except job 3's, which needs decoding.
    static func userID(ofJob id: Int64) -> String { id == 3 ? "ü/%+ x" : "user-\(id)" }

    /// The status of job `n` of project 1: every state, in turn.
    static func status(ofJob id: Int64) -> JobStatus {
        JobStatus.allCases[Int(id - 1) % JobStatus.allCases.count]
    }

    static func store() -> InMemoryJobStore {
        let store = InMemoryJobStore()
        store.keys = keys
        store.projects = [
            Project(id: 1, organizationID: 1, key: ProjectKey(projectKey)!, name: "fuzz", createdAt: 0),
            Project(id: 2, organizationID: 2, key: ProjectKey(otherProjectKey)!, name: "other", createdAt: 0),
        ]
        for id in 1...Int64(jobCount) {
            var job = NewJob.deleteUserData(userID: userID(ofJob: id), createdAt: 1_000 + id, startAt: 2_000)
            job.status = status(ofJob: id)
            store.insert(job, projectID: 1)
        }
        store.insert(.deleteUserData(userID: "other-user", createdAt: 1, startAt: 2), projectID: 2)
        return store
    }
}
