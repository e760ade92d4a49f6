import JobsCore
import Testing
@testable import SQLiteStore

@Suite("Migrating a version 1 store to the current schema")
struct MigrationTests {
    /// Everything a store holds, read through the store's own methods.
    struct Contents: Equatable {
        var organizations: [Organization]
        var keys: [APIKeyRecord]
        var projects: [Project]
        var jobs: [Job]
        /// Rows per table, and the last job id handed out (`sqlite_sequence`).
        var counts: [Int64]
    }

    /// A store at schema version 1, as a program of that version left it, with data of every kind: two
    /// organizations, an active and a revoked key, two projects, jobs in every status.
    static func makeVersion1Store(at path: String) throws -> (store: SQLiteJobStore, key: APIKey) {
        let store = try SQLiteConnector(path: path).open(create: true)
        try store.enableWriteAheadLog()
        try store.connection.writeTransaction {
            for statement in Schema.version1.statements {
                try store.connection.execute(statement)
            }
            try store.connection.execute("PRAGMA user_version = 1")
        }
        #expect(try store.schemaVersion() == 1)

        let key = APIKey.generate()
        for (index, name) in ["Acme", "Globex"].enumerated() {
            // As a program of schema version 1 stored it (the current columns include active_job_limit).
            let organizationID = try #require(
                try store.connection.firstRow(
                    "INSERT INTO organizations (name, created_at) VALUES (?1, ?2) RETURNING id",
                    [.text(name), .integer(Int64(index))]
                ) { $0.int64(at: 0) })
            // Keys as a program of schema version 1 stored them (the current columns include expires_at).
            let active = index == 0 ? key : APIKey.generate()
            try store.connection.run(
                "INSERT INTO api_keys (org_id, key_hash, hint, created_at) VALUES (?1, ?2, ?3, 5)",
                [.integer(organizationID), .bytes(active.hash.bytes), .text(active.hint)])
            let revoked = APIKey.generate()
            try store.connection.run(
                "INSERT INTO api_keys (org_id, key_hash, hint, created_at, revoked_at) VALUES (?1, ?2, ?3, 6, 7)",
                [.integer(organizationID), .bytes(revoked.hash.bytes), .text(revoked.hint)])
            let project = try store.createProject(
                organizationID: organizationID, key: ProjectKey.random(), name: "Web \(index)", at: 8)
            for (offset, status) in JobStatus.allCases.enumerated() {
                var job = NewJob.deleteUserData(userID: "user-\(offset)", createdAt: 10, startAt: Int64(20 + offset))
                job.status = status
                if status != .scheduled { job.updatedAt = 30 }
                if status == .failed { job.errors = "exit status 1" }
                try insertVersion1Job(job, projectID: project.id, into: store)
            }
        }
        // A deleted newest job: its id must stay used after the migration.
        try store.connection.execute("DELETE FROM jobs WHERE id = (SELECT max(id) FROM jobs)")
        return (store, key)
    }

    /// Stores `job` as a program of schema version 1 did (the current insert also takes a position).
    static func insertVersion1Job(_ job: NewJob, projectID: Int64, into store: SQLiteJobStore) throws {
        try store.connection.run(
            """
            INSERT INTO jobs (description, status, project_id, action, reference_id, created_at, updated_at,
                start_at, errors)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
            """,
            Array(SQLiteJobStore.insertBindings(job, projectID: projectID, position: 0).dropLast()))
    }

    static func contents(of store: SQLiteJobStore) throws -> Contents {
        // Read with the columns of every version (active_job_limit came with version 9).
        let organizations = try store.connection.rows("SELECT id, name, created_at FROM organizations ORDER BY id") {
            row in Organization(id: row.int64(at: 0), name: row.text(at: 1), createdAt: row.int64(at: 2))
        }
        // Read with the columns of every version (expires_at came with version 5).
        let keys = try store.connection.rows(
            "SELECT id, org_id, hint, created_at, revoked_at FROM api_keys ORDER BY id"
        ) { row in
            APIKeyRecord(
                id: row.int64(at: 0), organizationID: row.int64(at: 1), hint: row.text(at: 2),
                createdAt: row.int64(at: 3), revokedAt: row.optionalInt64(at: 4))
        }
        let projectKeys = try store.connection.rows("SELECT project_key FROM projects ORDER BY id") { $0.text(at: 0) }
        let projects = try projectKeys.compactMap(ProjectKey.init).compactMap { try store.project(key: $0) }
        let jobs = try projects.flatMap { try store.jobs(projectID: $0.id, status: nil, afterID: 0, limit: 100) }
        let counts = try store.connection.rows(
            """
            SELECT (SELECT count(*) FROM organizations), (SELECT count(*) FROM api_keys),
                (SELECT count(*) FROM projects), (SELECT count(*) FROM jobs),
                (SELECT seq FROM sqlite_sequence WHERE name = 'jobs')
            """
        ) { row in (0..<5).map { row.int64(at: Int32($0)) } }
        return Contents(
            organizations: organizations, keys: keys, projects: projects, jobs: jobs, counts: counts.first ?? [])
    }

    @Test("the API refuses a version 1 store, naming the command that migrates it; jobsctl init keeps every row")
    func migrateVersion1() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/v1.sqlite3"
            let (old, key) = try Self.makeVersion1Store(at: path)
            let before = try Self.contents(of: old)
            #expect(before.counts == [2, 4, 2, 9, 10])
            #expect(before.jobs.count == 9)

            let connector = SQLiteConnector(path: path)
            let error = #expect(throws: StoreError.self) { try connector.connect() }
            #expect(error?.kind == .schemaMismatch)
            #expect(
                error?.message
                    == "Job store \(path) is at schema version 1; this program needs \(Schema.currentVersion). "
                    + "Migrate it with: jobsctl init --store \(path)")

            // What `jobsctl init` does.
            let admin = try connector.open(create: false)
            let result = try admin.migrate()
            #expect(result.from == 1)
            #expect(result.to == Schema.currentVersion)
            #expect(try admin.schemaVersion() == Schema.currentVersion)

            #expect(try Self.contents(of: admin) == before)
            #expect(try admin.connection.executeForText("PRAGMA integrity_check") == "ok")
            #expect(try admin.connection.rows("PRAGMA foreign_key_check") { $0.text(at: 0) } == [])
            let leased = try admin.connection.firstRow(
                "SELECT count(*) FROM jobs WHERE lease_owner IS NOT NULL OR lease_expires_at IS NOT NULL"
            ) { $0.int64(at: 0) }
            #expect(leased == 0)
            let indexes = try admin.connection.rows(
                "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'jobs' ORDER BY name"
            ) { $0.text(at: 0) }
            #expect(
                indexes == ["jobs_by_position", "jobs_by_reference", "jobs_by_status", "jobs_due", "jobs_leased"])
            // Positions 1, 2, … per project in id order; each project's last position is its job count.
            for project in before.projects {
                let positions = try admin.connection.rows(
                    "SELECT position FROM jobs WHERE project_id = ?1 ORDER BY id", [.integer(project.id)]
                ) { $0.int64(at: 0) }
                #expect(positions == Array(1...Int64(positions.count)))
                let bounds = try admin.connection.firstRow(
                    "SELECT position_base, last_position FROM projects WHERE id = ?1", [.integer(project.id)]
                ) { [$0.int64(at: 0), $0.int64(at: 1)] }
                #expect(bounds == [0, Int64(positions.count)])
            }

            // The API serves it now, with the keys and jobs it had.
            let api = try connector.connect()
            let principal = try #require(try api.principal(forKeyHash: key.hash, at: 100))
            let project = try #require(before.projects.first)
            #expect(principal.organizationID == project.organizationID)
            let projectJobs = before.jobs.filter { $0.projectID == project.id }
            #expect(try api.jobs(projectID: project.id, limit: 50, offset: 0) == projectJobs)
            guard case .created(let fresh) = try api.createJob(
                .deleteUserData(userID: "new", createdAt: 40, startAt: 50), projectID: project.id)
            else {
                Issue.record("no job created after the migration")
                return
            }
            #expect(fresh.id == 11)
            #expect(try api.jobs(projectID: project.id, limit: 1, offset: Int64(projectJobs.count)) == [fresh])

            // Due scheduled jobs and the running jobs of version 1, which had no worker, are claimed.
            let claimed = try admin.claimDueJobs(
                owner: "w1", now: 100, leaseUntil: 200, limit: 50, actions: [.deleteUserData])
            let active = before.jobs.filter { $0.status == .scheduled || $0.status == .running }
            #expect(active.count == 4)
            #expect(Set(claimed.map(\.job.id)) == Set(active.map(\.id) + [fresh.id]))
            #expect(claimed.map(\.job.startAt) == claimed.map(\.job.startAt).sorted())
        }
    }

    @Test("a version 2 store with a gap in its ids: jobsctl init numbers the jobs, and pages list them as before")
    func migrateVersion2() throws {
        try withTemporaryDirectory { directory in
            let (store, _) = try Self.makeVersion1Store(at: directory + "/v2.sqlite3")
            try store.connection.writeTransaction {
                for statement in Schema.version2.statements {
                    try store.connection.execute(statement)
                }
                try store.connection.execute("PRAGMA user_version = 2")
            }
            try store.connection.execute("DELETE FROM jobs WHERE id = 3")
            let before = try Self.contents(of: store)
            #expect(try store.migrate().from == 2)
            #expect(try Self.contents(of: store) == before)
            for project in before.projects {
                let expected = before.jobs.filter { $0.projectID == project.id }
                var paged: [Job] = []
                for page in 0..<4 {
                    paged += try store.jobs(projectID: project.id, limit: 2, offset: Int64(page * 2))
                }
                #expect(paged == expected)
            }
        }
    }

    @Test("the schema keeps a lease on running jobs only, and keeps both of its parts together")
    func leaseConstraints() throws {
        try StoreFixture.with { fixture in
            let scheduled = try fixture.insertJob(userID: "scheduled")
            let running = try fixture.insertJob(userID: "running", status: .running)
            let attempts: [(sql: String, id: Int64)] = [
                ("UPDATE jobs SET lease_owner = 'w', lease_expires_at = 1 WHERE id = ?1", scheduled.id),
                ("UPDATE jobs SET lease_owner = 'w' WHERE id = ?1", running.id),
                ("UPDATE jobs SET lease_expires_at = 1 WHERE id = ?1", running.id),
            ]
            for attempt in attempts {
                let error = #expect(throws: SQLiteError.self) {
                    try fixture.admin.connection.run(attempt.sql, [.integer(attempt.id)])
                }
                #expect(error?.kind == .invalid, "\(attempt.sql)")
                #expect(error?.message.contains("CHECK constraint failed") == true, "\(attempt.sql)")
            }
            try fixture.admin.connection.run(
                "UPDATE jobs SET lease_owner = 'w', lease_expires_at = 1 WHERE id = ?1", [.integer(running.id)])
            // Leaving `running` without dropping the lease is refused too.
            let error = #expect(throws: SQLiteError.self) {
                try fixture.admin.connection.run(
                    "UPDATE jobs SET status = 'completed' WHERE id = ?1", [.integer(running.id)])
            }
            #expect(error?.kind == .invalid)
        }
    }
}
