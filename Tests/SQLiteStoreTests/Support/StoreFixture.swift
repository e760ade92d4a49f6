import JobsCore
@testable import SQLiteStore

/// A migrated store in a temporary directory with one organization, one active API key and one project.
struct StoreFixture {
    static let now: Int64 = 1_700_000_000_000

    let directory: String
    let path: String
    let connector: SQLiteConnector
    /// The administrative connection, typed so tests can reach the raw connection underneath.
    let admin: SQLiteJobStore
    let organization: Organization
    let key: APIKey
    let keyRecord: APIKeyRecord
    let project: Project

    /// Runs `body` with a fresh fixture; the directory is removed afterwards.
    static func with<Result>(
        options: SQLiteOptions = .init(), _ body: (StoreFixture) throws -> Result
    ) throws -> Result {
        try withTemporaryDirectory { directory in
            let path = directory + "/jobs.sqlite3"
            let connector = SQLiteConnector(path: path, options: options)
            let admin = try connector.open(create: true)
            try admin.migrate()
            let organization = try admin.createOrganization(name: "Acme", at: now)
            let key = APIKey.generate()
            let keyRecord = try admin.createAPIKey(
                organizationID: organization.id, hash: key.hash, hint: key.hint, at: now)
            let project = try admin.createProject(
                organizationID: organization.id, key: ProjectKey.random(), name: "Web", at: now)
            let fixture = StoreFixture(
                directory: directory, path: path, connector: connector, admin: admin, organization: organization,
                key: key, keyRecord: keyRecord, project: project)
            return try body(fixture)
        }
    }

    /// A second project, in a second organization unless `organizationID` is given.
    func makeProject(organizationID: Int64? = nil, name: String = "Other") throws -> Project {
        let owner = try organizationID ?? admin.createOrganization(name: "Other org", at: Self.now).id
        return try admin.createProject(organizationID: owner, key: ProjectKey.random(), name: name, at: Self.now)
    }

    /// Stores a job as it is and returns it, failing the test on a conflict. It may start 1 s after its
    /// creation unless `startAt` says otherwise.
    @discardableResult
    func insertJob(
        userID: String, status: JobStatus = .scheduled, projectID: Int64? = nil, createdAt: Int64 = now,
        startAt: Int64? = nil
    ) throws -> Job {
        var job = NewJob.deleteUserData(userID: userID, createdAt: createdAt, startAt: startAt ?? createdAt + 1000)
        job.status = status
        switch try admin.importJob(job, projectID: projectID ?? project.id) {
        case .created(let stored): return stored
        case .conflict(let id): throw StoreError(.conflict, "unexpected conflict with job \(id)")
        case .limitReached(let limit): throw StoreError(.conflict, "an import met the limit \(limit)")
        }
    }
}
