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
            """,
        subcommands: [Create.self, List.self, Show.self])

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
