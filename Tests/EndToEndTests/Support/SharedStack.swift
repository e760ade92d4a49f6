import JobsTesting
import Testing

/// One running stack for a whole suite, with an organization (key and project, the project under the contract's
/// example key) and a second organization whose project the first must not see.
struct StackFixture: Sendable {
    /// The contract's example project key.
    static let exampleProjectKey = "3sWXSsqHgSKnE87YkNJK"

    let stack: Stack
    let tenant: Stack.Tenant
    let otherTenant: Stack.Tenant

    init(_ options: Stack.Options = .init()) throws {
        stack = try Stack(options)
        tenant = try stack.createTenant("Acme", projectKey: Self.exampleProjectKey)
        otherTenant = try stack.createTenant("Globex")
    }

    /// The client for the stack's nginx.
    var client: HTTPClient { stack.client }
    /// The first organization's API key.
    var key: String { tenant.key.secret }
    /// `/public/<the first organization's project key>`.
    var base: String { "/public/\(tenant.project.key)" }

    /// A new project of the first organization, for a test that needs one to itself.
    func newProject(_ name: String) throws -> Stack.Project {
        try stack.createProject(organization: tenant.organization.id, name: name)
    }

    /// The fixture of the suite being run (set by ``SharedStackTrait``).
    @TaskLocal static var current: StackFixture?

    /// The fixture of the suite being run; fails the test if the suite has no `.sharedStack` trait.
    static func require() throws -> StackFixture {
        try #require(current, "the suite needs the .sharedStack trait")
    }
}

/// Starts one ``StackFixture`` before a suite's tests and stops it after the last one, whatever happened.
struct SharedStackTrait: SuiteTrait, TestScoping {
    var options: Stack.Options

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let fixture = try StackFixture(options)
        defer { fixture.stack.stop() }
        try await StackFixture.$current.withValue(fixture) {
            try await function()
        }
    }
}

extension Trait where Self == SharedStackTrait {
    /// Runs the suite's tests against one shared, running stack (``StackFixture/current``).
    static var sharedStack: Self { SharedStackTrait(options: .init()) }
}
