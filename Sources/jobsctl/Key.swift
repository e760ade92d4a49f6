import ArgumentParser
import JobsCore

/// `jobsctl key …`: organization API keys. A key is shown once, when created; the store keeps only its hash.
struct Key: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage organization API keys.", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an API key. The key is printed this once: store it safely.")

        @OptionGroup var storeOptions: StoreOptions
        @Option(name: .customLong("org"), help: "The organization's id.") var orgID: Int64

        func run() throws {
            let store = try storeOptions.administration()
            guard try store.organization(id: orgID) != nil else { throw CLIError("no organization with id \(orgID)") }
            let key = APIKey.generate()
            let record = try store.createAPIKey(organizationID: orgID, hash: key.hash, hint: key.hint, at: JobsAPI.now())
            Output.line { writer in
                writer.raw("{"); writer.key("keyId"); writer.integer(record.id)
                writer.raw(","); writer.key("orgId"); writer.integer(record.organizationID)
                writer.raw(","); writer.key("key"); writer.string(key.secret)
                writer.raw("}")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List an organization's keys, one JSON object per line (no secrets).")

        @OptionGroup var storeOptions: StoreOptions
        @Option(name: .customLong("org"), help: "The organization's id.") var orgID: Int64

        func run() throws {
            let store = try storeOptions.administration()
            guard try store.organization(id: orgID) != nil else { throw CLIError("no organization with id \(orgID)") }
            for record in try store.apiKeys(organizationID: orgID) { Output.key(record) }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a key: the next request with it is refused, in every process.")

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "The key's id (keyId).") var keyID: Int64

        func run() throws {
            guard let record = try storeOptions.administration().revokeAPIKey(id: keyID, at: JobsAPI.now()) else {
                throw CLIError("no API key with id \(keyID)")
            }
            Output.key(record)
        }
    }
}
