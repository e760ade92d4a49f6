import JobsCore

extension SQLiteConnector {
    /// Why a store at `storeVersion` cannot be served by a program that needs `currentVersion`; `nil` when the
    /// two agree. The messages name the command that fixes the problem.
    static func schemaError(storeVersion: Int, currentVersion: Int, path: String) -> StoreError? {
        if storeVersion == currentVersion {
            return nil
        }
        if storeVersion == 0 {
            return notInitializedError(path: path)
        }
        if storeVersion < currentVersion {
            return StoreError(
                .schemaMismatch,
                "Job store \(path) is at schema version \(storeVersion); this program needs \(currentVersion). "
                    + "Migrate it with: jobsctl init --store \(path)")
        }
        return StoreError(
            .schemaMismatch,
            "Job store \(path) is at schema version \(storeVersion), newer than this program knows "
                + "(\(currentVersion)). Upgrade the program to one that supports schema version \(storeVersion).")
    }

    /// The store is missing or was never initialised.
    static func notInitializedError(path: String) -> StoreError {
        StoreError(.notInitialized, "No job store at \(path). Create it with: jobsctl init --store \(path)")
    }
}
