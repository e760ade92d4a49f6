/// An organization: it owns API keys and projects.
public struct Organization: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var createdAt: Int64

    public init(id: Int64, name: String, createdAt: Int64) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
    }
}

/// A project of an organization. `key` is the public 20-character identifier used in URLs.
public struct Project: Sendable, Equatable {
    public var id: Int64
    public var organizationID: Int64
    public var key: ProjectKey
    public var name: String
    public var createdAt: Int64

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
    public var id: Int64
    public var organizationID: Int64
    /// The first characters of the key (its prefix and four more), enough to recognise it in a list.
    public var hint: String
    public var createdAt: Int64
    /// When the key was revoked: from then on it authenticates nothing.
    public var revokedAt: Int64?
    /// When the key stops working by itself (set by a rotation with a grace period); `nil` for never.
    public var expiresAt: Int64?

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
    public var keyID: Int64
    public var organizationID: Int64

    public init(keyID: Int64, organizationID: Int64) {
        self.keyID = keyID
        self.organizationID = organizationID
    }
}
