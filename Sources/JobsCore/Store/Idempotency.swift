/// An `Idempotency-Key` with the request it came with, as the store keeps it: the key belongs to the
/// organization of the API key that sent it, and is bound to the request's method and path.
public struct IdempotentRequest: Sendable, Equatable {
    /// How long a stored outcome is replayed: 24 hours, in milliseconds.
    public static let lifetime: Int64 = 24 * 60 * 60 * 1000

    /// The organization whose key this is: another organization's identical key is another key.
    public var organizationID: Int64
    /// The key's value.
    public var key: String
    /// The request's method, e.g. `DELETE`.
    public var method: String
    /// The request's path, in a canonical form (the decoded user id, the job id as a number).
    public var path: String
    /// When the request came (milliseconds since the epoch): a key stored `lifetime` or longer before is gone.
    public var time: Int64

    /// A keyed request.
    public init(organizationID: Int64, key: String, method: String, path: String, time: Int64) {
        self.organizationID = organizationID
        self.key = key
        self.method = method
        self.path = path
        self.time = time
    }
}

/// The answer stored with a key: its status and its JSON body.
public struct StoredResponse: Sendable, Equatable {
    public var status: Int
    public var body: [UInt8]

    /// A stored answer.
    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

/// What became of a keyed request.
public enum IdempotentOutcome<Outcome: Sendable>: Sendable {
    /// The key was new (or expired): the operation ran, and its answer was stored with the key in the same
    /// transaction, unless the answer was not one to store.
    case performed(Outcome)
    /// The key had been used with the same method and path: this is the answer then, and nothing changed.
    case replayed(StoredResponse)
    /// The key had been used with another method or path; nothing changed.
    case keyReused
    /// The key's first request is still being processed; nothing changed.
    case inProgress
}

extension IdempotentOutcome: Equatable where Outcome: Equatable {}
