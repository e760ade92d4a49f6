import JobsCore
import Testing

@Suite("Store contract: one lookup of key, project and job per request")
struct RequestLookupTests {
    enum KeyCase: String, CaseIterable, Sendable { case active, revoked, unknown }
    enum ProjectCase: String, CaseIterable, Sendable { case own, otherOrganization, missing, notAsked }
    enum JobCase: String, CaseIterable, Sendable { case inProject, otherProject, missing, notAsked }

    static let grid: [(KeyCase, ProjectCase, JobCase)] = KeyCase.allCases.flatMap { key in
        ProjectCase.allCases.flatMap { project in JobCase.allCases.map { (key, project, $0) } }
    }

    @Test(
        "lookUp finds what principal, project and job find in turn, and nothing past the first miss",
        arguments: StoreKind.allCases, grid)
    func matchesLookupsInTurn(kind: StoreKind, scenario: (KeyCase, ProjectCase, JobCase)) throws {
        let (keyCase, projectCase, jobCase) = scenario
        try ContractFixture.with(kind) { fixture in
            let other = try fixture.makeProject()
            let ownJob = try fixture.insertJob(userID: "user \"quoted\" é")
            let otherJob = try fixture.insertJob(userID: "someone", projectID: other.id)

            let keyHash: APIKeyHash
            switch keyCase {
            case .active: keyHash = fixture.key.hash
            case .revoked:
                keyHash = fixture.key.hash
                try #require(try fixture.admin.revokeAPIKey(id: fixture.keyRecord.id, at: ContractFixture.now) != .notFound)
            case .unknown: keyHash = APIKey.generate().hash
            }
            let projectKey: ProjectKey? =
                switch projectCase {
                case .own: fixture.project.key
                case .otherOrganization: other.key
                case .missing: ProjectKey.random()
                case .notAsked: nil
                }
            let jobID: Int64? =
                switch jobCase {
                case .inProject: ownJob.id
                case .otherProject: otherJob.id
                case .missing: otherJob.id + 1000
                case .notAsked: nil
                }

            let store = try fixture.connector.connect()
            let now = ContractFixture.now + 1
            let lookup = try store.lookUp(keyHash: keyHash, projectKey: projectKey, jobID: jobID, at: now)
            #expect(lookup == (try store.lookUpInTurn(keyHash: keyHash, projectKey: projectKey, jobID: jobID, at: now)))

            let principal = Principal(keyID: fixture.keyRecord.id, organizationID: fixture.organization.id)
            let expectedPrincipal = keyCase == .active ? principal : nil
            let expectedProject = expectedPrincipal != nil && projectCase == .own ? fixture.project.id : nil
            let expectedJob = expectedProject != nil && jobCase == .inProject ? ownJob : nil
            #expect(lookup == RequestLookup(principal: expectedPrincipal, projectID: expectedProject, job: expectedJob))
        }
    }
}
