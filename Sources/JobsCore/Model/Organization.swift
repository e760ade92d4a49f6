/// An organization: it owns API keys and projects.
public struct Organization: Sendable, Equatable {
    /// Unique across the store.
    public var id: Int64
    /// The name an operator gave it.
    public var name: String
    /// Milliseconds since the Unix epoch.
    public var createdAt: Int64
    /// The most active (`scheduled` or `running`) jobs its projects may hold for a new one to be created through
    /// the API (`jobsctl org set-limit`); `nil`: no limit.
    public var activeJobLimit: Int64?

    /// An organization with every field given.
    public init(id: Int64, name: String, createdAt: Int64, activeJobLimit: Int64? = nil) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.activeJobLimit = activeJobLimit
    }
}

/// A project of an organization. `key` is the public 20-character identifier used in URLs.
public struct Project: Sendable, Equatable {
    /// Unique across the store (internal: the API shows ``key``).
    public var id: Int64
    /// The organization that owns the project.
    public var organizationID: Int64
    /// The public key, unique across the store.
    public var key: ProjectKey
    /// The name an operator gave it.
    public var name: String
    /// Milliseconds since the Unix epoch.
    public var createdAt: Int64

    /// A project with every field given.
    public init(id: Int64, organizationID: Int64, key: ProjectKey, name: String, createdAt: Int64) {
        self.id = id
        self.organizationID = organizationID
        self.key = key
        self.name = name
        self.createdAt = createdAt
    }
}

/// What the store keeps about an API key: never the key itself.
public struct APIKeyRecord: Sendable, Equatable {
    /// Unique across the store.
    public var id: Int64
    /// The organization the key authenticates as.
    public var organizationID: Int64
    /// The first characters of the key (its prefix and four more), enough to recognise it in a list.
    public var hint: String
    /// Milliseconds since the Unix epoch.
    public var createdAt: Int64
    /// When the key was revoked: from then on it authenticates nothing.
    public var revokedAt: Int64?
    /// When the key stops working by itself (set by a rotation with a grace period); `nil` for never.
    public var expiresAt: Int64?

    /// A key record with every field given.
    public init(
        id: Int64, organizationID: Int64, hint: String, createdAt: Int64, revokedAt: Int64?, expiresAt: Int64? = nil
    ) {
        self.id = id
        self.organizationID = organizationID
        self.hint = hint
        self.createdAt = createdAt
        self.revokedAt = revokedAt
        self.expiresAt = expiresAt
    }
}

/// The identity a valid bearer key stands for.
public struct Principal: Sendable, Equatable {
    /// The id of the key that authenticated.
    public var keyID: Int64
    /// The organization the key belongs to.
    public var organizationID: Int64

    /// The principal of key `keyID` of organization `organizationID`.
    public init(keyID: Int64, organizationID: Int64) {
        self.keyID = keyID
        self.organizationID = organizationID
    }
}
