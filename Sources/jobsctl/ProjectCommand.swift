import ArgumentParser
import JobsCore

/// `jobsctl project …`
struct ProjectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "project", abstract: "Manage projects.",
        discussion: """
            Example:
              jobsctl project create --org 1 "Web app"
              jobsctl project list --org 1
            """,
        subcommands: [Create.self, List.self, Show.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a project of an organization.",
            discussion: """
                Prints {"name","orgId","projectId","projectKey"}. A name another project of the organization has \
                already is accepted, with a warning on standard error naming it.

                Example:
                  jobsctl project create --org 1 "Web app"
                """)

        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var organization: OrganizationOption
        @Option(help: "The public project key: 20 characters of [A-Za-z0-9]. Generated when omitted.")
        var projectKey: String?
        @Argument(help: "The project's name.") var name: String

        func validate() throws {
            if let projectKey, ProjectKey(projectKey) == nil {
                throw ValidationError("--project-key must be exactly 20 characters of [A-Za-z0-9]")
            }
            try checkName(name)
        }

        func run() throws {
            let (store, orgID) = try organization.open(storeOptions)
            let namesakes = try store.projects(organizationID: orgID).filter { sameName($0.name, name) }
            let key = projectKey.flatMap(ProjectKey.init) ?? ProjectKey.random()
            let project = try store.createProject(organizationID: orgID, key: key, name: name, at: JobsAPI.now())
            try Output.created(
                ProjectOutput(project), name: "project \(project.id)",
                namesakes: namesakes.map {
                    "project \($0.id) (\($0.key)) of organization \(orgID) is named \(Output.quoted($0.name))"
                })
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List projects, one JSON object per line, in id order: every one, or an organization's.",
            discussion: """
                Example:
                  jobsctl project list --org 1
                """)

        @OptionGroup var storeOptions: StoreOptions
        @Option(name: .customLong("org"), parsing: .unconditional, help: "Only this organization's projects.")
        var orgID: Int64?

        func validate() throws {
            if let orgID { try checkID(orgID, "--org") }
        }

        func run() throws {
            let store = try storeOptions.administration()
            if let orgID { _ = try store.existingOrganization(orgID) }
            try Output.lines(store.projects(organizationID: orgID).map(ProjectOutput.init))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a project by its id or its key.",
            discussion: """
                Example:
                  jobsctl project show 1
                  jobsctl project show 3sWXSsqHgSKnE87YkNJK
                """)

        @OptionGroup var storeOptions: StoreOptions
        // `.allUnrecognized`: `-1` is taken as a value (argument-parser would read it as an option) and refused here.
        @Argument(
            parsing: .allUnrecognized,
            help: ArgumentHelp(
                "The project's id (projectId) or its key (projectKey, 20 characters).", valueName: "project"))
        var arguments: [String] = []

        private var project: String { arguments.first ?? "" }

        func validate() throws {
            guard arguments.count <= 1 else { throw ValidationError("expected one project, got \(arguments.count)") }
            guard !arguments.isEmpty else { throw ValidationError("Missing expected argument '<project>'") }
            guard ProjectKey(project) != nil || (Int64(project).map { $0 >= 1 } ?? false) else {
                throw ValidationError(
                    "\"\(project)\" is neither a project id (1 or more) nor a project key (20 characters of [A-Za-z0-9])")
            }
        }

        func run() throws {
            let store = try storeOptions.administration()
            // A key is 20 characters; an id has at most 19 digits: a text is never both.
            if ProjectKey(project) != nil {
                try Output.line(ProjectOutput(try store.existingProject(project)))
            } else if let id = Int64(project), let found = try store.project(id: id) {
                try Output.line(ProjectOutput(found))
            } else {
                throw CLIError("no project with id \(project)")
            }
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
