import JobsCore
import Testing

@Suite("Store contract: Creating and importing jobs")
struct CreateJobTests {
    @Test("a new job is stored as given and returned with its id", arguments: StoreKind.allCases)
    func create(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let store = try fixture.connector.connect()
            let new = NewJob.deleteUserData(userID: "gina@example.com", createdAt: 100, startAt: 200)
            guard case .created(let job) = try store.createJob(new, projectID: fixture.project.id) else {
                Issue.record("not created")
                return
            }
            #expect(job.id > 0)
            #expect(job.description == "Delete user sessions of userId = gina@example.com")
            #expect(job.status == .scheduled)
            #expect(job.projectID == fixture.project.id)
            #expect(job.action == .deleteUserData)
            #expect(job.referenceID == "gina@example.com")
            #expect(job.createdAt == 100)
            #expect(job.updatedAt == nil)
            #expect(job.startAt == 200)
            #expect(job.errors == nil)
            #expect(try store.job(id: job.id, projectID: fixture.project.id) == job)
        }
    }

    @Test("a second job for the same user conflicts only while the first is scheduled or running",
        arguments: StoreKind.allCases, JobStatus.allCases)
    func conflictWhileActive(kind: StoreKind, existingStatus: JobStatus) throws {
        try ContractFixture.with(kind) { fixture in
            let existing = try fixture.insertJob(userID: "hank", status: existingStatus)
            let store = try fixture.connector.connect()
            let outcome = try store.createJob(
                .deleteUserData(userID: "hank", createdAt: 1, startAt: 2), projectID: fixture.project.id)
            if existingStatus.isCancellable {
                #expect(outcome == .conflict(existingJobID: existing.id))
            } else {
                guard case .created(let job) = outcome else {
                    Issue.record("expected a new job, got \(outcome)")
                    return
                }
                #expect(job.id > existing.id)
            }
        }
    }

    @Test("after a cancel, a new job for the same user is created", arguments: StoreKind.allCases)
    func createAfterCancel(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let store = try fixture.connector.connect()
            let new = NewJob.deleteUserData(userID: "ivy", createdAt: 1, startAt: 2)
            guard case .created(let first) = try store.createJob(new, projectID: fixture.project.id) else {
                Issue.record("not created")
                return
            }
            #expect(try store.createJob(new, projectID: fixture.project.id) == .conflict(existingJobID: first.id))
            _ = try store.cancelJob(id: first.id, projectID: fixture.project.id, at: 3)
            guard case .created(let second) = try store.createJob(new, projectID: fixture.project.id) else {
                Issue.record("not created after cancel")
                return
            }
            #expect(second.id > first.id)
        }
    }

    @Test("the one-active rule is per project, action and user", arguments: StoreKind.allCases)
    func ruleScope(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let other = try fixture.makeProject(organizationID: fixture.organization.id)
            try fixture.insertJob(userID: "jane")
            let store = try fixture.connector.connect()
            var differentAction = NewJob.deleteUserData(userID: "jane", createdAt: 1, startAt: 2)
            differentAction.action = JobAction(rawValue: "export_user_data")
            let attempts: [(NewJob, Int64)] = [
                (.deleteUserData(userID: "jane", createdAt: 1, startAt: 2), other.id),
                (.deleteUserData(userID: "Jane", createdAt: 1, startAt: 2), fixture.project.id),
                (differentAction, fixture.project.id),
            ]
            for (job, projectID) in attempts {
                guard case .created = try store.createJob(job, projectID: projectID) else {
                    Issue.record("refused \(job) in project \(projectID)")
                    continue
                }
            }
        }
    }

    @Test("an import of an active job follows the same rule; final ones never conflict", arguments: StoreKind.allCases)
    func importRule(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let running = try fixture.insertJob(userID: "kim", status: .running)
            var job = NewJob.deleteUserData(userID: "kim", createdAt: 1, startAt: 2)
            job.status = .scheduled
            #expect(
                try fixture.admin.importJob(job, projectID: fixture.project.id)
                    == .conflict(existingJobID: running.id))
            job.status = .completed
            guard case .created = try fixture.admin.importJob(job, projectID: fixture.project.id) else {
                Issue.record("a completed job was refused")
                return
            }
        }
    }

    @Test("a job for a project that does not exist is refused as invalid", arguments: StoreKind.allCases)
    func unknownProject(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let store = try fixture.connector.connect()
            let error = #expect(throws: StoreError.self) {
                try store.createJob(.deleteUserData(userID: "lee", createdAt: 1, startAt: 2), projectID: 424_242)
            }
            #expect(error?.kind == .invalid)
            #expect(error?.message == "No project with id 424242")
        }
    }
}
