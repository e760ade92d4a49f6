import Foundation

/// What `jobsctl` prints about the objects it creates.
extension Stack {
    /// An organization as `jobsctl org create` printed it.
    package struct Organization: Sendable {
        package var id: Int64
        package var name: String
    }

    /// An API key as `jobsctl key create` printed it, secret included.
    package struct Key: Sendable {
        package var id: Int64
        package var organizationID: Int64
        package var secret: String
    }

    /// A project as `jobsctl project create` printed it.
    package struct Project: Sendable {
        package var id: Int64
        package var key: String
        package var name: String
        package var organizationID: Int64
    }

    /// An organization with one API key and one project: what most tests start from.
    package struct Tenant: Sendable {
        package var organization: Organization
        package var key: Key
        package var project: Project
    }
}

/// Seeding a running stack's store through `jobsctl`, as an operator would (any ``RunningStack``: the one-host
/// ``Stack`` or the multi-host ``UpstreamStack``).
extension RunningStack {
    /// Runs `jobsctl` on the stack's store with `arguments` (and `input` on stdin) and returns its stdout, one
    /// JSON document per line. A non-zero exit is an error carrying jobsctl's stderr.
    @discardableResult
    package func jobsctl(_ arguments: [String], input: String = "") throws -> [JSONValue] {
        let result = try Command.run(
            BuiltBinaries.jobsctl(), arguments, input: Data(input.utf8), environment: environment)
        guard result.succeeded else {
            throw JobsTestingError(
                "jobsctl \(arguments.joined(separator: " ")) exited with \(result.status): \(result.errorOutput)")
        }
        return try result.output.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
    }

    /// `jobsctl org create NAME`.
    package func createOrganization(_ name: String) throws -> Stack.Organization {
        let printed = try single(jobsctl(["org", "create", name]))
        return Stack.Organization(id: try field(printed, "orgId").int!, name: try field(printed, "name").string!)
    }

    /// `jobsctl key create --org ID`.
    package func createKey(organization: Int64) throws -> Stack.Key {
        let printed = try single(jobsctl(["key", "create", "--org", String(organization)]))
        return Stack.Key(
            id: try field(printed, "keyId").int!, organizationID: try field(printed, "orgId").int!,
            secret: try field(printed, "key").string!)
    }

    /// `jobsctl key revoke ID`.
    package func revokeKey(_ id: Int64) throws {
        try jobsctl(["key", "revoke", String(id)])
    }

    /// `jobsctl project create --org ID NAME [--project-key KEY]`.
    package func createProject(organization: Int64, name: String, key: String? = nil) throws -> Stack.Project {
        var arguments = ["project", "create", "--org", String(organization), name]
        if let key { arguments += ["--project-key", key] }
        let printed = try single(jobsctl(arguments))
        return Stack.Project(
            id: try field(printed, "projectId").int!, key: try field(printed, "projectKey").string!,
            name: try field(printed, "name").string!, organizationID: try field(printed, "orgId").int!)
    }

    /// An organization named `name` with a new key and a project (with `projectKey` when given).
    package func createTenant(_ name: String = "Acme", projectKey: String? = nil) throws -> Stack.Tenant {
        let organization = try createOrganization(name)
        return Stack.Tenant(
            organization: organization, key: try createKey(organization: organization.id),
            project: try createProject(organization: organization.id, name: "\(name) web", key: projectKey))
    }

    /// `jobsctl job create --project KEY --user USER [--start-at MS]`: the job as the API shows it.
    package func createJob(project: String, user: String, startAt: Int64? = nil) throws -> JSONValue {
        var arguments = ["job", "create", "--project", project, "--user", user]
        if let startAt { arguments += ["--start-at", String(startAt)] }
        return try single(jobsctl(arguments))
    }

    /// `jobsctl job import --project KEY` with `lines` (JSON Lines) on stdin: the stored jobs, in order.
    package func importJobs(project: String, lines: [String]) throws -> [JSONValue] {
        try jobsctl(["job", "import", "--project", project], input: lines.joined(separator: "\n") + "\n")
    }

    /// `jobsctl job show ID`.
    package func showJob(_ id: Int64) throws -> JSONValue {
        try single(jobsctl(["job", "show", String(id)]))
    }

    private func single(_ documents: [JSONValue]) throws -> JSONValue {
        guard documents.count == 1 else {
            throw JobsTestingError("expected one JSON document from jobsctl, got \(documents.count): \(documents)")
        }
        return documents[0]
    }

    private func field(_ document: JSONValue, _ key: String) throws -> JSONValue {
        guard let value = document[key], !value.isNull else {
            throw JobsTestingError("jobsctl printed no \"\(key)\": \(document)")
        }
        return value
    }
}
