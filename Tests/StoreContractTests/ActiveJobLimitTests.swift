import JobsCore
import Testing

/// An organization's limit on active jobs (issue 17 item 6), the same on both stores.
@Suite("Store contract: an organization's active-job limit")
struct ActiveJobLimitTests {
    static func deletion(_ user: String) -> NewJob {
        NewJob.deleteUserData(userID: user, createdAt: ContractFixture.now, startAt: ContractFixture.now + 1000)
    }

    @Test("creations stop at the limit across the organization's projects, resume when a job ends; imports, other organizations and no limit are not held back", arguments: StoreKind.allCases)
    func limit(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let store = try fixture.connector.connect()
            let sibling = try fixture.makeProject(organizationID: fixture.organization.id, name: "Sibling")
            let stranger = try fixture.makeProject()
            #expect(fixture.organization.activeJobLimit == nil)
            let limited = try #require(try fixture.admin.setActiveJobLimit(organizationID: fixture.organization.id, limit: 3))
            #expect(limited.activeJobLimit == 3)
            #expect(try fixture.admin.organization(id: fixture.organization.id)?.activeJobLimit == 3)
            #expect(try fixture.admin.setActiveJobLimit(organizationID: 999_999, limit: 1) == nil)

            // A finished job does not count; two scheduled and one running in two projects do.
            try fixture.insertJob(userID: "done", status: .completed)
            guard case .created(let first) = try store.createJob(Self.deletion("a"), projectID: fixture.project.id),
                case .created = try store.createJob(Self.deletion("b"), projectID: sibling.id)
            else { Issue.record("the first two were refused"); return }
            try fixture.insertJob(userID: "c", status: .running)
            #expect(try store.createJob(Self.deletion("d"), projectID: fixture.project.id) == .limitReached(limit: 3))
            #expect(try store.createJob(Self.deletion("d"), projectID: sibling.id) == .limitReached(limit: 3))
            // The same user's active job is still a conflict, not the limit.
            #expect(try store.createJob(Self.deletion("a"), projectID: fixture.project.id)
                == .conflict(existingJobID: first.id))
            // Another organization has no limit; an import is not limited.
            guard case .created = try store.createJob(Self.deletion("d"), projectID: stranger.id) else {
                Issue.record("another organization was held back"); return
            }
            guard case .created = try fixture.admin.importJob(Self.deletion("imported"), projectID: fixture.project.id)
            else { Issue.record("an import was held back"); return }

            // A cancel makes room for one, but the import made it four: still full until two end.
            _ = try store.cancelJob(id: first.id, projectID: fixture.project.id, at: ContractFixture.now + 1)
            #expect(try store.createJob(Self.deletion("e"), projectID: fixture.project.id) == .limitReached(limit: 3))
            _ = try fixture.admin.setActiveJobLimit(organizationID: fixture.organization.id, limit: 4)
            guard case .created = try store.createJob(Self.deletion("e"), projectID: fixture.project.id) else {
                Issue.record("a raised limit still refused"); return
            }
            // The refused creations used no position: the list stays dense.
            let page = try store.jobs(projectID: fixture.project.id, limit: 100, offset: 0)
            #expect(page.count == 5)

            #expect(try fixture.admin.setActiveJobLimit(organizationID: fixture.organization.id, limit: 0)?.activeJobLimit == 0)
            #expect(try store.createJob(Self.deletion("f"), projectID: sibling.id) == .limitReached(limit: 0))
            #expect(try fixture.admin.setActiveJobLimit(organizationID: fixture.organization.id, limit: nil)?.activeJobLimit == nil)
            guard case .created = try store.createJob(Self.deletion("f"), projectID: sibling.id) else {
                Issue.record("no limit still refused"); return
            }
        }
    }

    @Test("under an Idempotency-Key a refusal for the limit is not stored: the retry runs again", arguments: StoreKind.allCases)
    func keyedRefusalIsNotStored(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let store = try fixture.connector.connect()
            _ = try fixture.admin.setActiveJobLimit(organizationID: fixture.organization.id, limit: 0)
            let request = IdempotentRequest(
                organizationID: fixture.organization.id, key: "k-1", method: "DELETE", path: "/p/users/a",
                time: ContractFixture.now)
            let refused = try store.createJob(
                Self.deletion("a"), projectID: fixture.project.id, idempotency: request, response: ContractIdempotencyTests.response)
            #expect(refused == .performed(.limitReached(limit: 0)))
            _ = try fixture.admin.setActiveJobLimit(organizationID: fixture.organization.id, limit: nil)
            let retried = try store.createJob(
                Self.deletion("a"), projectID: fixture.project.id, idempotency: request, response: ContractIdempotencyTests.response)
            guard case .performed(.created) = retried else { Issue.record("\(retried)"); return }
        }
    }
}
