/// One step in the store's schema history: the statements that bring a store from `version - 1` to `version`.
///
/// Steps are applied in order inside one `BEGIN IMMEDIATE` transaction together with the `PRAGMA user_version`
/// that records them, so a store is never left half-migrated.
struct SchemaMigration: Sendable {
    /// The schema version the store has once this step is applied (`PRAGMA user_version`).
    var version: Int
    /// DDL run in order. Never edit a released step: add a new one.
    var statements: [String]
}
