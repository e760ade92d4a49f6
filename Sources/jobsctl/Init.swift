import ArgumentParser
import JobsCore

/// `jobsctl init`: creates the store or migrates it to the current schema.
struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the store, or migrate it to the current schema version (idempotent).",
        discussion: """
            Prints {"schemaVersion","migratedFrom"}.

            Example:
              jobsctl init --store /var/lib/jobs-api/jobs.sqlite3
            """)

    @OptionGroup var storeOptions: StoreOptions

    func run() throws {
        let store = try storeOptions.connector().connectForAdministration(create: true)
        let (from, to) = try store.migrate()
        Output.line { writer in
            writer.raw("{"); writer.key("schemaVersion"); writer.integer(Int64(to))
            writer.raw(","); writer.key("migratedFrom"); writer.integer(Int64(from))
            writer.raw("}")
        }
    }
}
