import Foundation
import JobsCore
import JobsTesting
import Testing

@testable import SQLiteStore

@Suite("Opening stores, schema versions and migrations")
struct SchemaTests {
    @Test("connect() on a missing file: not initialized, with the command that creates it")
    func missingFile() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/absent.sqlite3"
            let connector = SQLiteConnector(path: path)
            let error = #expect(throws: StoreError.self) { try connector.connect() }
            #expect(error?.kind == .notInitialized)
            #expect(error?.message == "No job store at \(path). Create it with: jobsctl init --store \(path)")
            let adminError = #expect(throws: StoreError.self) { try connector.connectForAdministration(create: false) }
            #expect(adminError?.kind == .notInitialized)
            // Neither call created the file.
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }

    @Test("connect() on a created but never migrated store (version 0): not initialized")
    func versionZero() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/empty.sqlite3"
            let connector = SQLiteConnector(path: path)
            let admin = try connector.connectForAdministration(create: true)
            #expect(try admin.schemaVersion() == 0)
            let error = #expect(throws: StoreError.self) { try connector.connect() }
            #expect(error?.kind == .notInitialized)
            #expect(error?.message == "No job store at \(path). Create it with: jobsctl init --store \(path)")
        }
    }

    @Test("a store older than the program: schema mismatch, with the command that migrates it")
    func olderStore() {
        let error = SQLiteConnector.schemaError(storeVersion: 1, currentVersion: 2, path: "/srv/jobs.db")
        #expect(error?.kind == .schemaMismatch)
        #expect(
            error?.message
                == "Job store /srv/jobs.db is at schema version 1; this program needs 2. "
                + "Migrate it with: jobsctl init --store /srv/jobs.db")
        #expect(SQLiteConnector.schemaError(storeVersion: 2, currentVersion: 2, path: "x") == nil)
        #expect(SQLiteConnector.schemaError(storeVersion: 0, currentVersion: 2, path: "x")?.kind == .notInitialized)
    }

    @Test("a store newer than the program: schema mismatch telling to upgrade the program; migrate() refuses it")
    func newerStore() throws {
        try StoreFixture.with { fixture in
            let newer = Schema.currentVersion + 1
            try fixture.admin.connection.execute("PRAGMA user_version = \(newer)")
            let error = #expect(throws: StoreError.self) { try fixture.connector.connect() }
            #expect(error?.kind == .schemaMismatch)
            #expect(error?.message.contains("schema version \(newer), newer than this program") == true)
            #expect(error?.message.contains("Upgrade the program") == true)
            let migrateError = #expect(throws: StoreError.self) { try fixture.admin.migrate() }
            #expect(migrateError?.kind == .schemaMismatch)
            #expect(try fixture.admin.schemaVersion() == newer)
        }
    }

    @Test("migrate() creates the schema once; running it again changes nothing")
    func migrateTwice() throws {
        try withTemporaryDirectory { directory in
            let connector = SQLiteConnector(path: directory + "/jobs.sqlite3")
            let admin = try connector.connectForAdministration(create: true)
            let first = try admin.migrate()
            #expect(first.from == 0)
            #expect(first.to == Schema.currentVersion)
            let organization = try admin.createOrganization(name: "Kept", at: 1)
            let second = try admin.migrate()
            #expect(second.from == Schema.currentVersion)
            #expect(second.to == Schema.currentVersion)
            #expect(try admin.organization(id: organization.id) == organization)
            #expect(try admin.schemaVersion() == Schema.currentVersion)
            _ = try connector.connect()
        }
    }

    @Test("two connections migrating at once: one migrates, the other finds the store current")
    func concurrentMigrations() throws {
        try withTemporaryDirectory { directory in
            let connector = SQLiteConnector(path: directory + "/jobs.sqlite3")
            _ = try connector.connectForAdministration(create: true)
            let results = concurrently(threads: 4) { startLine in
                let admin = Result { try connector.connectForAdministration(create: false) }
                startLine.arriveAndWait()
                return Result { try admin.get().migrate() }.map { [$0.from, $0.to] }
            }
            let outcomes = try results.map { try $0.get() }
            let current = Schema.currentVersion
            #expect(outcomes.filter { $0 == [0, current] }.count == 1)
            #expect(outcomes.filter { $0 == [current, current] }.count == 3)
        }
    }

    @Test("a created store and its -wal and -shm files are readable by their owner only")
    func fileMode() throws {
        try StoreFixture.with { fixture in
            // The administrative connection is open and has written: the -wal and -shm files exist now.
            for suffix in ["", "-wal", "-shm"] {
                let attributes = try FileManager.default.attributesOfItem(atPath: fixture.path + suffix)
                let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue
                #expect(mode == 0o600, "mode of \(fixture.path + suffix)")
            }
        }
    }

    @Test("creating a store in a missing directory fails cleanly")
    func missingDirectory() throws {
        try withTemporaryDirectory { directory in
            let connector = SQLiteConnector(path: directory + "/no/such/dir/jobs.sqlite3")
            let error = #expect(throws: StoreError.self) { try connector.connectForAdministration(create: true) }
            #expect(error?.kind == .unavailable)
        }
    }

    @Test("a file that is not a database gives a store error, not a crash")
    func notADatabase() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/garbage.sqlite3"
            try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: path))
            let error = #expect(throws: StoreError.self) { try SQLiteConnector(path: path).connect() }
            #expect(error?.kind == .internal)
            #expect(error?.message.contains("SQLITE_NOTADB") == true)
        }
    }

    @Test("the journal mode is WAL after migrate, and connect() restores it")
    func journalMode() throws {
        try StoreFixture.with { fixture in
            #expect(try fixture.admin.connection.executeForText("PRAGMA journal_mode") == "wal")
            try withTemporaryDirectory { directory in
                // A copy in rollback mode, as a restore from a plain file copy might leave it.
                let path = directory + "/copy.sqlite3"
                try fixture.admin.connection.execute("VACUUM INTO '\(path)'")
                let copy = try SQLiteConnector(path: path).open(create: false)
                #expect(try copy.connection.executeForText("PRAGMA journal_mode") == "delete")
                // Group commit syncs the log only: out of WAL mode, SQLite's own FULL stays.
                #expect(try copy.connection.executeForText("PRAGMA synchronous") == "2")
                #expect(!copy.connection.syncsLog)
                let store = try #require(try SQLiteConnector(path: path).connect() as? SQLiteJobStore)
                #expect(try store.connection.executeForText("PRAGMA journal_mode") == "wal")
            }
        }
    }

    @Test("each connection sets its busy timeout, durability and foreign keys",
        arguments: [SQLiteOptions.Synchronous.full, .normal])
    func connectionSettings(synchronous: SQLiteOptions.Synchronous) throws {
        try StoreFixture.with(options: .init(synchronous: synchronous, busyTimeoutMilliseconds: 1234)) { fixture in
            let store = try #require(try fixture.connector.connect() as? SQLiteJobStore)
            let connection = store.connection
            // The connection's own busy handler (a write's whole wait bounded), not SQLite's busy_timeout.
            #expect(connection.busyTimeoutMilliseconds == 1234)
            // FULL is kept by the group commit (commits with NORMAL, then the log synced before answering).
            #expect(try connection.executeForText("PRAGMA synchronous") == "1")
            #expect(connection.syncsLog == (synchronous == .full))
            #expect(try connection.executeForText("PRAGMA foreign_keys") == "1")
        }
    }

    @Test("the defaults are synchronous FULL and a 5 s busy timeout")
    func defaults() {
        #expect(SQLiteOptions().synchronous == .full)
        #expect(SQLiteOptions().busyTimeoutMilliseconds == 5000)
    }

    /// Each query the API runs per request, with what SQLite's plan for it must say.
    static let plans: [(name: String, sql: String, expected: String)] = [
        ("list jobs", SQLiteJobStore.statements.jobsPage.text,
            "SEARCH jobs USING INDEX jobs_by_position (project_id=? AND position>?)"),
        ("reference page", SQLiteJobStore.statements.jobsOfReference.text,
            "SEARCH jobs USING INDEX jobs_by_reference (project_id=? AND reference_id=?)"),
        ("status page", SQLiteJobStore.statements.jobsOfStatus.text,
            "SEARCH jobs USING INDEX jobs_by_status (project_id=? AND status=?)"),
        ("get job", SQLiteJobStore.statements.jobInProject.text, "SEARCH jobs USING INTEGER PRIMARY KEY (rowid=?)"),
        ("cancel job", SQLiteJobStore.statements.cancelJob.text, "SEARCH jobs USING INTEGER PRIMARY KEY (rowid=?)"),
        ("active job", SQLiteJobStore.statements.activeJobID.text,
            "SEARCH jobs USING INDEX jobs_by_reference (project_id=? AND reference_id=?)"),
        ("principal", SQLiteJobStore.statements.principal.text, "USING INDEX sqlite_autoindex_api_keys_1 (key_hash=?)"),
        ("project", SQLiteJobStore.statements.projectInOrganization.text,
            "USING INDEX sqlite_autoindex_projects_1 (project_key=?)"),
        ("next position", SQLiteJobStore.statements.takePosition.text, "SEARCH projects USING INTEGER PRIMARY KEY (rowid=?)"),
        ("purge delete", SQLiteJobStore.SQL.purgeDelete.text,
            "SEARCH jobs USING INDEX jobs_by_status (project_id=? AND status=? AND rowid<?)"),
        ("purge survivors", SQLiteJobStore.SQL.purgeSurvivors.text,
            "SEARCH jobs USING COVERING INDEX jobs_by_position (project_id=? AND position<?)"),
    ]

    /// The API's writes, with the temporary b-trees SQLite may build for them: one for `RETURNING`, one for the
    /// `CHECK` on `status`. Schema 3's partial indexes, conditioned with `IN`, added one per evaluation of their
    /// condition (cancel 4, create 3).
    static let writes: [(name: String, sql: String, maximum: Int)] = [
        ("cancel job", SQLiteJobStore.statements.cancelJob.text, 2),
        ("create job", SQLiteJobStore.statements.insertJob.text, 2),
    ]

    @Test("the API's writes build no temporary b-tree for a partial index's condition", arguments: writes)
    func writesWithoutEphemeralTables(write: (name: String, sql: String, maximum: Int)) throws {
        try StoreFixture.with { fixture in
            let opcodes = try fixture.admin.connection.rows("EXPLAIN " + write.sql) { $0.text(at: 1) }
            #expect(opcodes.contains("IdxInsert"), "\(write.name): \(opcodes)")
            #expect(opcodes.filter { $0 == "OpenEphemeral" }.count <= write.maximum, "\(write.name): \(opcodes)")
        }
    }

    @Test("the API's queries use their index and sort nothing", arguments: plans)
    func queryPlans(plan: (name: String, sql: String, expected: String)) throws {
        try StoreFixture.with { fixture in
            let details = try fixture.admin.connection.rows("EXPLAIN QUERY PLAN " + plan.sql) { $0.text(at: 3) }
            #expect(details.contains { $0.contains(plan.expected) }, "\(plan.name): \(details)")
            #expect(!details.contains { $0.contains("TEMP B-TREE") }, "\(plan.name): \(details)")
            #expect(!details.contains { $0.hasPrefix("SCAN") }, "\(plan.name): \(details)")
        }
    }

    /// Several statuses: each branch reads its own range of `jobs_by_status` in id order, up to offset plus
    /// limit entries, so a first page reads a page per status however many jobs match; the merge sorts only
    /// what the branches read (the temporary b-trees are the merge's, never the table's).
    @Test(
        "a page of several statuses, the purge's candidates and the administrator's list read one bounded range of jobs_by_status per status",
        arguments: [
            (SQLiteJobStore.statements.jobsOfStatuses.text, "(project_id=? AND status=?)", JobStatus.allCases.count),
            (SQLiteJobStore.SQL.purgeCandidates.text, "(project_id=? AND status=?)", 3),
            (SQLiteJobStore.statements.jobsAfter.text, "(project_id=? AND status=? AND rowid>?)", JobStatus.allCases.count),
        ])
    func mergedRangesPlan(sql: String, search: String, branches: Int) throws {
        try StoreFixture.with { fixture in
            let details = try fixture.admin.connection.rows("EXPLAIN QUERY PLAN " + sql) { $0.text(at: 3) }
            #expect(details.first == "MERGE (UNION ALL)", "\(details)")
            #expect(
                details.filter { $0.hasPrefix("SEARCH jobs USING") && $0.hasSuffix("INDEX jobs_by_status " + search) }
                    .count == branches, "\(details)")
            #expect(!details.contains { $0.hasPrefix("SCAN jobs") }, "\(details)")
        }
    }
}
