import ArgumentParser
import Foundation
import JobsCore

/// `jobsctl org …`
struct Org: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage organizations.",
        discussion: """
            Example:
              jobsctl org create "Acme"
              jobsctl org list
              jobsctl org set-limit 1 --active-jobs 10000
            """,
        subcommands: [Create.self, List.self, Show.self, SetLimit.self])

    struct SetLimit: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-limit",
            abstract: "Limit an organization's active jobs, or remove its limit.",
            discussion: """
                With a limit, a deletion request (the API's DELETE /users/:userId, or jobsctl job create) for one \
                of the organization's projects is refused while its projects hold that many scheduled or running \
                jobs: the API answers 429 {"error": ...}, so that one organization cannot fill the queue and the \
                store's one writer for every other. Imports are not limited. Each refused or accepted request \
                counts the active jobs up to the limit, a cost that grows with it (docs/PERFORMANCE.md). Prints \
                the organization; "activeJobLimit" is absent when it has none.

                Example:
                  jobsctl org set-limit 1 --active-jobs 10000
                  jobsctl org set-limit 1 --none
                """)

        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup(title: "The organization's id") var id: IDArgument
        @Option(help: ArgumentHelp("The most scheduled and running jobs (0 to 1,000,000).", valueName: "count"))
        var activeJobs: Int64?
        @Flag(help: "Remove the limit.") var none = false

        func validate() throws {
            guard (activeJobs != nil) != none else {
                throw ValidationError("give exactly one of --active-jobs and --none")
            }
            if let activeJobs, !(0...1_000_000).contains(activeJobs) {
                throw ValidationError("--active-jobs must be 0 to 1,000,000, not \(activeJobs)")
            }
        }

        func run() throws {
            guard let organization = try storeOptions.administration().setActiveJobLimit(
                organizationID: id.value, limit: activeJobs)
            else {
                throw CLIError("no organization has id \(id.value)")
            }
            try Output.line(OrganizationOutput(organization))
        }
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an organization.",
            discussion: """
                Prints {"createdAt","name","orgId"}. A name another organization has already is accepted, with \
                a warning on standard error naming it.

                Example:
                  jobsctl org create "Acme"
                """)

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "The organization's name.") var name: String

        func validate() throws {
            try checkName(name)
        }

        func run() throws {
            let store = try storeOptions.administration()
            let namesakes = try store.organizations().filter { sameName($0.name, name) }
            let organization = try store.createOrganization(name: name, at: JobsAPI.now())
            try Output.created(
                OrganizationOutput(organization), name: "organization \(organization.id)",
                namesakes: namesakes.map { "organization \($0.id) is named \(Output.quoted($0.name))" })
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every organization, one JSON object per line, in id order.",
            discussion: """
                Example:
                  jobsctl org list
                """)

        @OptionGroup var storeOptions: StoreOptions

        func run() throws {
            try Output.lines(storeOptions.administration().organizations().map(OrganizationOutput.init))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show an organization.",
            discussion: """
                Example:
                  jobsctl org show 1
                """)

        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup(title: "The organization's id") var id: IDArgument

        func run() throws {
            try Output.line(OrganizationOutput(storeOptions.administration().existingOrganization(id.value)))
        }
    }
}

/// Refuses a name that is empty or only spaces.
func checkName(_ name: String) throws {
    guard !name.trimmingCharacters(in: .whitespaces).isEmpty else {
        throw ValidationError("the name must not be empty")
    }
}

/// Whether two names are the same to a reader: equal once trimmed, ignoring case.
func sameName(_ a: String, _ b: String) -> Bool {
    a.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        == b.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
}
