import ArgumentParser
import JobsCore

/// `jobsctl init`: creates the store or migrates it to the current schema.
struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the store, or migrate it to the current schema version (idempotent).",
        discussion: """
            Prints {"migratedFrom","schemaVersion"}.

            Example:
              jobsctl init --store /var/lib/jobs-api/jobs.sqlite3
            """)

    @OptionGroup var storeOptions: StoreOptions

    func run() throws {
        let store = try storeOptions.connector().connectForAdministration(create: true)
        let (from, to) = try store.migrate()
        try Output.line(["migratedFrom": from, "schemaVersion": to])
    }
}
