import ArgumentParser
import JobsCore

/// `jobsctl org …`
struct Org: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage organizations.", subcommands: [Create.self, Show.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an organization.")

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "The organization's name.") var name: String

        func validate() throws {
            guard !name.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ValidationError("the name must not be empty")
            }
        }

        func run() throws {
            let store = try storeOptions.administration()
            Output.organization(try store.createOrganization(name: name, at: JobsAPI.now()))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an organization.")

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "The organization's id.") var orgID: Int64

        func run() throws {
            guard let organization = try storeOptions.administration().organization(id: orgID) else {
                throw CLIError("no organization with id \(orgID)")
            }
            Output.organization(organization)
        }
    }
}
