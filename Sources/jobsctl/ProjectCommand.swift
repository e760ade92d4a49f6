import ArgumentParser
import JobsCore

/// `jobsctl project …`
struct ProjectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "project", abstract: "Manage projects.", subcommands: [Create.self, Show.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a project of an organization.")

        @OptionGroup var storeOptions: StoreOptions
        @Option(name: .customLong("org"), help: "The organization's id.") var orgID: Int64
        @Option(help: "The public project key: 20 characters of [A-Za-z0-9]. Generated when omitted.")
        var projectKey: String?
        @Argument(help: "The project's name.") var name: String

        func validate() throws {
            if let projectKey, ProjectKey(projectKey) == nil {
                throw ValidationError("--project-key must be exactly 20 characters of [A-Za-z0-9]")
            }
            guard !name.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ValidationError("the name must not be empty")
            }
        }

        func run() throws {
            let store = try storeOptions.administration()
            guard try store.organization(id: orgID) != nil else { throw CLIError("no organization with id \(orgID)") }
            let key = projectKey.flatMap(ProjectKey.init) ?? ProjectKey.random()
            Output.project(try store.createProject(organizationID: orgID, key: key, name: name, at: JobsAPI.now()))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a project by its key.")

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "The project key.") var projectKey: String

        func run() throws {
            Output.project(try storeOptions.administration().existingProject(projectKey))
        }
    }
}

extension StoreAdministration {
    /// The project with this key, or an error naming it.
    func existingProject(_ text: String) throws -> Project {
        guard let key = ProjectKey(text), let project = try project(key: key) else {
            throw CLIError("no project with key \"\(text)\"")
        }
        return project
    }
}
