import JobsCore

/// A migrated store of one kind with one organization, one active API key and one project.
struct ContractFixture {
    static let now: Int64 = 1_700_000_000_000

    let kind: StoreKind
    let connector: any JobStoreConnector
    let admin: any StoreAdministration
    let organization: Organization
    let key: APIKey
    let keyRecord: APIKeyRecord
    let project: Project

    /// Runs `body` with a fresh fixture on a store of `kind`; the store is removed afterwards.
    static func with<Result>(_ kind: StoreKind, _ body: (ContractFixture) throws -> Result) throws -> Result {
        let (connector, keepAlive) = try kind.makeStore()
        defer { withExtendedLifetime(keepAlive) {} }
        let admin = try connector.connectForAdministration(create: true)
        try admin.migrate()
        let organization = try admin.createOrganization(name: "Acme", at: now)
        let key = APIKey.generate()
        let keyRecord = try admin.createAPIKey(organizationID: organization.id, hash: key.hash, hint: key.hint, at: now)
        let project = try admin.createProject(
            organizationID: organization.id, key: ProjectKey.random(), name: "Web", at: now)
        let fixture = ContractFixture(
            kind: kind, connector: connector, admin: admin, organization: organization, key: key,
            keyRecord: keyRecord, project: project)
        return try body(fixture)
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
