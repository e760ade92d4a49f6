import Foundation
import JobsTesting
import Testing

/// A stack of its own (a worker claims every due job of its store, so tests that run workers never share one),
/// whose app schedules new deletions as due at once (`--schedule-delay 0s`), and a folder for the test's action
/// programs and what they leave behind.
struct WorkerFixture {
    let stackFixture: StackFixture
    /// The action programs and their traces.
    let folder: TemporaryDirectory

    init() throws {
        stackFixture = try StackFixture(.init(processes: 1, scheduleDelay: "0s"))
        folder = try TemporaryDirectory(prefix: "jobs-e2e-actions")
    }

    var stack: Stack { stackFixture.stack }
    var client: HTTPClient { stackFixture.client }
    var key: String { stackFixture.key }
    var base: String { stackFixture.base }
    var projectKey: String { stackFixture.tenant.project.key }

    /// Writes a `/bin/sh` action program and returns `--action delete_user_data=PATH`. In the script, `$DIR` is
    /// the fixture's folder.
    func action(_ body: String, name: String = "action") throws -> [String] {
        let path = try folder.writeExecutable(name, "#!/bin/sh\nDIR='\(folder.path)'\n\(body)\n")
        return ["--action", "delete_user_data=\(path)"]
    }

    /// `DELETE /public/PROJECT/users/USER` through nginx: the job it created (`scheduled`).
    func requestDeletion(_ user: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
        let encoded = user.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? user
        let job = try expectData(try client.delete("\(base)/users/\(encoded)", key: key), sourceLocation: sourceLocation)
        #expect(job["status"]?.string == "scheduled", sourceLocation: sourceLocation)
        return job
    }

    /// The job through nginx.
    func job(_ id: Int64) throws -> JSONValue {
        try expectData(try client.get("\(base)/jobs/\(id)", key: key))
    }

    /// Cancels the job through nginx; the cancelled job.
    @discardableResult
    func cancel(_ id: Int64) throws -> JSONValue {
        let job = try expectData(try client.delete("\(base)/jobs/\(id)", key: key))
        #expect(job["status"]?.string == "cancelled")
        return job
    }

    /// Waits until the job has `status` (through nginx) and returns it.
    @discardableResult
    func waitForJob(_ id: Int64, status: String, timeout: TimeInterval = patientTimeout) throws -> JSONValue {
        try stack.waitForJob(id, project: projectKey, key: key, status: status, timeout: timeout)
    }

    /// The lines of the file `name` in the folder (empty when it does not exist).
    func lines(of name: String) -> [String] {
        (folder.contents(of: name) ?? "").split(separator: "\n").map(String.init)
    }

    /// The pid written (by `echo $$ > "$DIR/NAME"`) into the file `name`, once it is there.
    func pid(in name: String, timeout: TimeInterval = patientTimeout) throws -> pid_t {
        var pid: pid_t?
        _ = eventually(timeout: timeout) {
            pid = pid_t((folder.contents(of: name) ?? "").trimmingCharacters(in: .whitespacesAndNewlines))
            return pid != nil
        }
        return try #require(pid, "no pid in \(name)")
    }

    /// When the lease of job `id` expires (milliseconds since 1970, the store's `lease_expires_at`), read from the
    /// store itself (the API does not show leases); `nil` when the job has no lease.
    func leaseExpiresAt(_ id: Int64) throws -> Int64? {
        let sql = "SELECT lease_expires_at FROM jobs WHERE id = \(id)"
        if let database = stack.postgresDatabase {
            return Int64(try database.server.psql(sql, database: database.name)
                .trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return try stack.query(sql).first?["lease_expires_at"]?.int
    }

    /// The name of the worker holding job `id` (the store's `lease_owner`); `nil` when the job has no lease.
    func leaseOwner(_ id: Int64) throws -> String? {
        let sql = "SELECT lease_owner FROM jobs WHERE id = \(id)"
        if let database = stack.postgresDatabase {
            let text = try database.server.psql(sql, database: database.name)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? nil : text
        }
        return try stack.query(sql).first?["lease_owner"]?.string
    }

    /// Writes `owner` as the lease owner of job `id`, keeping its lease's end: what the store holds when a
    /// worker of another host claimed the job.
    func setLeaseOwner(_ id: Int64, to owner: String) throws {
        let sql = "UPDATE jobs SET lease_owner = '\(owner)' WHERE id = \(id)"
        if let database = stack.postgresDatabase {
            _ = try database.server.psql(sql, database: database.name)
        } else {
            _ = try stack.query(sql)
        }
    }
}
