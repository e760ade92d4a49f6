import ArgumentParser
import Foundation
import JobsCore
import StoreConnectors

/// `--store`, shared by every command.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The store: a SQLite file path (or sqlite:PATH), or a postgresql:// URL. Defaults to $JOBS_STORE.", valueName: "DSN"))
    var store: String?

    /// The connector for the store named by `--store` or `JOBS_STORE`.
    func connector() throws -> any JobStoreConnector {
        try StoreLocation.resolve(option: store).connector()
    }

    /// A connection to an existing store on the current schema, for administration.
    func administration() throws -> any StoreAdministration {
        let connector = try connector()
        // connect() checks that the store exists and is on the current schema, with a message naming the fix.
        _ = try connector.connect()
        return try connector.connectForAdministration(create: false)
    }
}

/// An error the command reports as it is.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
