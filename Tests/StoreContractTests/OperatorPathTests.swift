import JobsCore
import JobsTesting
import Testing

/// What an operator's commands rely on (issue 13): claims of a worker's own actions only, imports that store all
/// or nothing, purges that see imported jobs, key rotation with a grace period, and listings.
@Suite("Store contract: operator paths")
struct OperatorPathTests {
    static let now = WorkerStoreTests.now

    @Test("a claim takes only jobs of the worker's actions; other jobs stay as they are", arguments: StoreKind.allCases)
    func claimsOnlyItsActions(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let export = JobAction(rawValue: "export_user_data")
            func job(_ user: String, _ action: JobAction, status: JobStatus = .scheduled) throws -> Job {
                var job = NewJob.deleteUserData(userID: user, createdAt: ContractFixture.now, startAt: 0)
                job.action = action
                job.status = status
                guard case .created(let stored) = try fixture.admin.importJob(job, projectID: fixture.project.id)
                else { throw StoreError(.conflict, "unexpected conflict") }
                return stored
            }
            let deletion = try job("ada", .deleteUserData)
            let exported = try job("ada", export)
            // A running job without a lease (its worker released it): claimable, but only by its action's workers.
            let abandonedExport = try job("grace", export, status: .running)

            let store = try fixture.connector.connectForAdministration(create: false)
            #expect(try store.claim("nothing", actions: []) == [])
            #expect(try store.claim("deleter").map(\.job.id) == [deletion.id])
            #expect(try fixture.admin.job(id: exported.id) == exported)
            #expect(try fixture.lease(of: abandonedExport.id) == Lease.unleased)
            #expect(try store.claim("deleter") == [])

            let both = try store.claim("exporter", actions: [.deleteUserData, export])
            #expect(both.map(\.job.id) == [exported.id, abandonedExport.id])
        }
    }

    @Test("an import stores every job in order, at the next positions, with increasing ids", arguments: StoreKind.allCases)
    func importStoresAll(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let before = try fixture.insertJob(userID: "before")
            var jobs: [NewJob] = []
            for (index, status) in JobStatus.allCases.enumerated() {
                var job = NewJob.deleteUserData(userID: "user-\(index)", createdAt: 10, startAt: 20)
                job.status = status
                jobs.append(job)
            }
            guard case .imported(let ids) = try fixture.admin.importJobs(jobs, projectID: fixture.project.id) else {
                Issue.record("not imported")
                return
            }
            #expect(ids.count == jobs.count)
            #expect(ids == ids.sorted() && ids.first ?? 0 > before.id)
            let stored = try fixture.admin.jobs(projectID: fixture.project.id, status: nil, afterID: before.id, limit: 100)
            #expect(stored.map(\.id) == ids)
            #expect(stored.map(\.status) == jobs.map(\.status))
            #expect(try ContractPositionTests.isDense(fixture, projectID: fixture.project.id))
            #expect(try fixture.admin.importJobs([], projectID: fixture.project.id) == .imported(ids: []))
        }
    }

    @Test("an import that conflicts, with a stored job or with itself, stores nothing", arguments: StoreKind.allCases)
    func importIsAllOrNothing(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let active = try fixture.insertJob(userID: "busy")
            let positionsBefore = try ContractPositionTests.bounds(fixture, projectID: fixture.project.id)
            let fine = NewJob.deleteUserData(userID: "fine", createdAt: 10, startAt: 20)
            var finished = NewJob.deleteUserData(userID: "busy", createdAt: 10, startAt: 20)
            finished.status = .completed
            let clash = NewJob.deleteUserData(userID: "busy", createdAt: 10, startAt: 20)

            // The third job clashes with one stored before: the first two are not kept either.
            #expect(
                try fixture.admin.importJobs([fine, finished, clash], projectID: fixture.project.id)
                    == .conflict(index: 2, existingJobID: active.id))
            // The fourth clashes with the second of the same import.
            let twin = NewJob.deleteUserData(userID: "twin", createdAt: 10, startAt: 20)
            #expect(
                try fixture.admin.importJobs([fine, twin, finished, twin], projectID: fixture.project.id)
                    == .duplicate(index: 3, earlierIndex: 1))

            #expect(try fixture.admin.jobs(projectID: fixture.project.id, status: nil, afterID: 0, limit: 100) == [active])
            #expect(try ContractPositionTests.bounds(fixture, projectID: fixture.project.id) == positionsBefore)
            // Nothing half-done is left behind: the same file, without the clash, imports whole.
            guard case .imported(let ids) = try fixture.admin.importJobs([fine, finished, twin], projectID: fixture.project.id)
            else {
                Issue.record("not imported")
                return
            }
            #expect(ids.count == 3)
            #expect(try ContractPositionTests.isDense(fixture, projectID: fixture.project.id))
            let missing = #expect(throws: StoreError.self) {
                try fixture.admin.importJobs([fine], projectID: fixture.project.id + 1000)
            }
            #expect(missing?.kind == .invalid)
        }
    }

    @Test("a job imported finished without updatedAt is purged by its createdAt; the count matches", arguments: StoreKind.allCases)
    func purgeSeesImportedJobs(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            var jobs: [NewJob] = []
            for (index, (status, createdAt, updatedAt)) in [
                (JobStatus.completed, Int64(100), Int64?.none), (.failed, 100, nil), (.cancelled, 900, nil),
                (.completed, 100, 900), (.completed, 900, 100), (.scheduled, 100, nil), (.running, 100, nil),
            ].enumerated() {
                var job = NewJob.deleteUserData(userID: "user-\(index)", createdAt: createdAt, startAt: 20)
                job.status = status
                job.updatedAt = updatedAt
                jobs.append(job)
            }
            guard case .imported(let ids) = try fixture.admin.importJobs(jobs, projectID: fixture.project.id) else {
                Issue.record("not imported")
                return
            }
            #expect(try fixture.admin.countFinishedJobs(before: 500) == 3)
            #expect(try fixture.admin.countFinishedJobs(before: 100) == 0)
            #expect(try fixture.admin.purgeFinishedJobs(before: 500, limit: 10) == 3)
            let left = try fixture.admin.jobs(projectID: fixture.project.id, status: nil, afterID: 0, limit: 100)
            #expect(left.map(\.id) == [ids[2], ids[3], ids[5], ids[6]])
            #expect(try fixture.admin.countFinishedJobs(before: 500) == 0)
            #expect(try ContractPositionTests.isDense(fixture, projectID: fixture.project.id))
        }
    }

    @Test("rotating without a grace period revokes the old key at once; the new one works", arguments: StoreKind.allCases)
    func rotateAtOnce(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let new = APIKey.generate()
            let time = ContractFixture.now + 100
            guard case .rotated(let old, let created) = try fixture.admin.rotateAPIKey(
                id: fixture.keyRecord.id, hash: new.hash, hint: new.hint, at: time, oldKeyExpiresAt: nil)
            else {
                Issue.record("not rotated")
                return
            }
            #expect(old.id == fixture.keyRecord.id && old.revokedAt == time && old.expiresAt == nil)
            #expect(created.organizationID == fixture.organization.id && created.hint == new.hint)
            #expect(created.revokedAt == nil && created.expiresAt == nil && created.createdAt == time)
            let store = try fixture.connector.connect()
            #expect(try store.principal(forKeyHash: fixture.key.hash, at: time) == nil)
            #expect(try store.principal(forKeyHash: new.hash, at: time)?.keyID == created.id)
            #expect(try fixture.admin.apiKeys(organizationID: fixture.organization.id) == [old, created])
            // A revoked key is not rotated again, and no key is made.
            let another = APIKey.generate()
            #expect(
                try fixture.admin.rotateAPIKey(
                    id: old.id, hash: another.hash, hint: another.hint, at: time + 1, oldKeyExpiresAt: nil)
                    == .notActive(old))
            #expect(
                try fixture.admin.rotateAPIKey(
                    id: created.id + 100, hash: another.hash, hint: another.hint, at: time + 1, oldKeyExpiresAt: nil)
                    == .notFound)
            #expect(try fixture.admin.apiKeys(organizationID: fixture.organization.id).count == 2)
        }
    }

    @Test("a rotated key with a grace period works until its expiry, in both lookups, then never again", arguments: StoreKind.allCases)
    func rotateWithGrace(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let new = APIKey.generate()
            let time = ContractFixture.now + 100
            let expiry = time + 60_000
            guard case .rotated(let old, _) = try fixture.admin.rotateAPIKey(
                id: fixture.keyRecord.id, hash: new.hash, hint: new.hint, at: time, oldKeyExpiresAt: expiry)
            else {
                Issue.record("not rotated")
                return
            }
            #expect(old.revokedAt == nil && old.expiresAt == expiry)
            let store = try fixture.connector.connect()
            let principal = Principal(keyID: old.id, organizationID: fixture.organization.id)
            for (at, works) in [(time, true), (expiry - 1, true), (expiry, false), (expiry + 86_400_000, false)] {
                #expect(try store.principal(forKeyHash: fixture.key.hash, at: at) == (works ? principal : nil), "\(at)")
                let lookup = try store.lookUp(
                    keyHash: fixture.key.hash, projectKey: fixture.project.key, jobID: nil, at: at)
                #expect(lookup.principal == (works ? principal : nil), "\(at)")
                #expect(lookup.projectID == (works ? fixture.project.id : nil), "\(at)")
            }
            // Rotating it again within the grace keeps the earlier end; past it, the key is expired.
            let third = APIKey.generate()
            guard case .rotated(let again, _) = try fixture.admin.rotateAPIKey(
                id: old.id, hash: third.hash, hint: third.hint, at: time + 1, oldKeyExpiresAt: expiry + 999_999)
            else {
                Issue.record("not rotated again")
                return
            }
            #expect(again.expiresAt == expiry)
            let fourth = APIKey.generate()
            #expect(
                try fixture.admin.rotateAPIKey(
                    id: old.id, hash: fourth.hash, hint: fourth.hint, at: expiry, oldKeyExpiresAt: nil)
                    == .notActive(again))
            // Revoking an expiring key ends it at once.
            guard case .revoked(let revoked) = try fixture.admin.revokeAPIKey(id: old.id, at: time + 2) else {
                Issue.record("not revoked")
                return
            }
            #expect(revoked.revokedAt == time + 2)
            #expect(try store.principal(forKeyHash: fixture.key.hash, at: time + 2) == nil)
        }
    }

    @Test("organizations and projects are listed in id order; a project is found by id", arguments: StoreKind.allCases)
    func listings(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let other = try fixture.makeProject()
            let second = try fixture.makeProject(organizationID: fixture.organization.id, name: "Second")
            let organizations = try fixture.admin.organizations()
            #expect(organizations.map(\.id) == organizations.map(\.id).sorted())
            #expect(organizations.count == 2 && organizations.first == fixture.organization)
            #expect(try fixture.admin.projects(organizationID: nil) == [fixture.project, other, second])
            #expect(try fixture.admin.projects(organizationID: fixture.organization.id) == [fixture.project, second])
            #expect(try fixture.admin.projects(organizationID: 9999) == [])
            #expect(try fixture.admin.project(id: other.id) == other)
            #expect(try fixture.admin.project(id: second.id + 100) == nil)
        }
    }
}
