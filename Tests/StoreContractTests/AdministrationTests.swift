import JobsCore
import Testing

@Suite("Store contract: Administration: organizations, keys, projects, jobs by id")
struct ContractAdministrationTests {
    @Test("organizations are created and read back", arguments: StoreKind.allCases)
    func organizations(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let created = try fixture.admin.createOrganization(name: "Globex", at: 7)
            #expect(created.name == "Globex")
            #expect(created.createdAt == 7)
            #expect(try fixture.admin.organization(id: created.id) == created)
            #expect(try fixture.admin.organization(id: created.id + 100) == nil)
        }
    }

    @Test("keys are listed oldest first with their hints", arguments: StoreKind.allCases)
    func listKeys(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let second = APIKey.generate()
            let record = try fixture.admin.createAPIKey(
                organizationID: fixture.organization.id, hash: second.hash, hint: second.hint, at: 9)
            let listed = try fixture.admin.apiKeys(organizationID: fixture.organization.id)
            #expect(listed == [fixture.keyRecord, record])
            #expect(listed.map(\.hint) == [fixture.key.hint, second.hint])
            #expect(listed[1].revokedAt == nil)
            #expect(try fixture.admin.apiKeys(organizationID: 9999) == [])
        }
    }

    @Test("a key whose hash is stored already conflicts; one for a missing organization is invalid", arguments: StoreKind.allCases)
    func keyErrors(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let duplicate = #expect(throws: StoreError.self) {
                try fixture.admin.createAPIKey(
                    organizationID: fixture.organization.id, hash: fixture.key.hash, hint: "x", at: 1)
            }
            #expect(duplicate?.kind == .conflict)
            let orphan = #expect(throws: StoreError.self) {
                try fixture.admin.createAPIKey(organizationID: 777, hash: APIKey.generate().hash, hint: "x", at: 1)
            }
            #expect(orphan?.kind == .invalid)
            #expect(orphan?.message == "No organization with id 777")
        }
    }

    @Test("revoking says whether the key was revoked before, and keeps the first revocation time", arguments: StoreKind.allCases)
    func revoke(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            guard case .revoked(let first) = try fixture.admin.revokeAPIKey(id: fixture.keyRecord.id, at: 50) else {
                Issue.record("not revoked")
                return
            }
            #expect(first.revokedAt == 50)
            #expect(first.hint == fixture.keyRecord.hint)
            var expected = first
            expected.revokedAt = 50
            #expect(try fixture.admin.revokeAPIKey(id: fixture.keyRecord.id, at: 60) == .alreadyRevoked(expected))
            #expect(try fixture.admin.revokeAPIKey(id: fixture.keyRecord.id + 100, at: 70) == .notFound)
            #expect(try fixture.admin.principal(forKeyHash: fixture.key.hash, at: 10) == nil)
            #expect(try fixture.admin.apiKey(id: fixture.keyRecord.id) == expected)
            #expect(try fixture.admin.apiKey(id: fixture.keyRecord.id + 100) == nil)
        }
    }

    @Test("a taken project key conflicts; a missing organization is invalid", arguments: StoreKind.allCases)
    func projectErrors(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let taken = #expect(throws: StoreError.self) {
                try fixture.admin.createProject(
                    organizationID: fixture.organization.id, key: fixture.project.key, name: "Again", at: 1)
            }
            #expect(taken?.kind == .conflict)
            #expect(taken?.message == "Project key \(fixture.project.key) is taken")
            let orphan = #expect(throws: StoreError.self) {
                try fixture.admin.createProject(organizationID: 555, key: ProjectKey.random(), name: "x", at: 1)
            }
            #expect(orphan?.kind == .invalid)
            #expect(orphan?.message == "No organization with id 555")
        }
    }

    @Test("a project is found by key whatever its organization", arguments: StoreKind.allCases)
    func projectByKey(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let other = try fixture.makeProject()
            #expect(try fixture.admin.project(key: fixture.project.key) == fixture.project)
            #expect(try fixture.admin.project(key: other.key) == other)
            #expect(try fixture.admin.project(key: ProjectKey.random()) == nil)
            #expect(other.organizationID != fixture.organization.id)
        }
    }

    @Test("a job is found by id whatever its project", arguments: StoreKind.allCases)
    func jobByID(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let other = try fixture.makeProject()
            let job = try fixture.insertJob(userID: "mia", projectID: other.id)
            #expect(try fixture.admin.job(id: job.id) == job)
            #expect(try fixture.admin.job(id: job.id + 1) == nil)
        }
    }

    @Test("jobs after an id, optionally of one status, in id order", arguments: StoreKind.allCases)
    func jobsAfter(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let other = try fixture.makeProject()
            let statuses: [JobStatus] = [.scheduled, .completed, .failed, .completed, .cancelled, .completed]
            var jobs: [Job] = []
            for (index, status) in statuses.enumerated() {
                jobs.append(try fixture.insertJob(userID: "u\(index)", status: status))
                try fixture.insertJob(userID: "u\(index)", status: status, projectID: other.id)
            }
            let admin = fixture.admin
            let id = fixture.project.id
            #expect(try admin.jobs(projectID: id, status: nil, afterID: 0, limit: 100) == jobs)
            #expect(try admin.jobs(projectID: id, status: nil, afterID: jobs[1].id, limit: 2) == [jobs[2], jobs[3]])
            #expect(
                try admin.jobs(projectID: id, status: .completed, afterID: 0, limit: 100)
                    == [jobs[1], jobs[3], jobs[5]])
            #expect(try admin.jobs(projectID: id, status: .completed, afterID: jobs[1].id, limit: 1) == [jobs[3]])
            #expect(try admin.jobs(projectID: id, status: .running, afterID: 0, limit: 100) == [])
            #expect(try admin.jobs(projectID: id, status: nil, afterID: Int64.max, limit: 100) == [])
            #expect(try admin.jobs(projectID: id, status: nil, afterID: Int64.min, limit: 0) == [])
            #expect(try admin.jobs(projectID: id, status: nil, afterID: Int64.min, limit: Int.max) == jobs)
        }
    }
}
