/// A failure of the store, classified so that the API can answer it properly.
///
/// The message may carry the engine's own code and text: it is written to the log, never shown to API clients.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    /// How the API treats a store failure.
    public enum Kind: Sendable, Equatable {
        /// Temporarily unable to serve: busy past the timeout, disk full, read-only, connection lost. The API
        /// answers 503 and the next request tries again.
        case unavailable
        /// The store does not exist or was never initialised.
        case notInitialized
        /// The store's schema is not the version this program needs.
        case schemaMismatch
        /// A uniqueness rule refused the change (an administrative operation).
        case conflict
        /// A value was refused by the store's rules.
        case invalid
        /// Anything else: a bug or a damaged store.
        case `internal`
    }

    /// How the API treats this failure.
    public var kind: Kind
    /// What failed, for the log.
    public var message: String

    /// A failure of `kind`, explained by `message` (for the log).
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
