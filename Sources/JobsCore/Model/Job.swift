/// The life-cycle state of a job.
///
/// `scheduled → running → completed | failed`; `scheduled → cancelled`; `running → cancelled`.
/// `completed`, `failed` and `cancelled` are final.
public enum JobStatus: String, Sendable, CaseIterable, Codable {
    case scheduled
    case running
    case completed
    case failed
    case cancelled

    /// Whether a job in this state may still be cancelled (`scheduled` or `running`).
    public var isCancellable: Bool { self == .scheduled || self == .running }

    /// Whether no further transition leaves this state.
    package var isFinal: Bool { !isCancellable }
}

/// What a job does. The API knows one action today; the store keeps the name as text so that imported jobs of
/// other kinds survive a round trip.
public struct JobAction: RawRepresentable, Hashable, Sendable, Codable {
    /// The action's name, as the store keeps it (`delete_user_data`).
    public var rawValue: String
    /// The action named `rawValue`, known or not.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Deletes every piece of data the product holds about one user.
    public static let deleteUserData = JobAction(rawValue: "delete_user_data")

    /// The description the API shows for a job of this action on `referenceID`.
    public func description(referenceID: String) -> String {
        if self == .deleteUserData {
            return "Delete user sessions of userId = \(referenceID)"
        }
        return "\(rawValue) of \(referenceID)"
    }
}

/// A job as the store keeps it and the API shows it.
public struct Job: Sendable, Equatable {
    /// Unique across the whole store, increasing in creation order.
    public var id: Int64
    /// What the job does, in words, as the API shows it.
    public var description: String
    /// Where the job is in its life cycle.
    public var status: JobStatus
    /// The internal id of the project the job belongs to.
    public var projectID: Int64
    /// What the job does.
    public var action: JobAction
    /// The user id the action applies to.
    public var referenceID: String
    /// Milliseconds since the Unix epoch.
    public var createdAt: Int64
    /// The last status change; `nil` until the first one.
    public var updatedAt: Int64?
    /// The earliest time the job may run.
    public var startAt: Int64
    /// Why the job failed; `nil` otherwise.
    public var errors: String?

    /// A job with every field given.
    public init(
        id: Int64, description: String, status: JobStatus, projectID: Int64, action: JobAction,
        referenceID: String, createdAt: Int64, updatedAt: Int64?, startAt: Int64, errors: String?
    ) {
        self.id = id
        self.description = description
        self.status = status
        self.projectID = projectID
        self.action = action
        self.referenceID = referenceID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.startAt = startAt
        self.errors = errors
    }
}

/// A job that is not stored yet: everything but its id, which the store assigns.
public struct NewJob: Sendable, Equatable {
    /// What the job does, in words.
    public var description: String
    /// The status to store: `scheduled` for a new job, any for an import.
    public var status: JobStatus
    /// What the job does.
    public var action: JobAction
    /// The user id the action applies to.
    public var referenceID: String
    /// Milliseconds since the Unix epoch.
    public var createdAt: Int64
    /// The last status change; `nil` until the first one.
    public var updatedAt: Int64?
    /// The earliest time the job may run.
    public var startAt: Int64
    /// Why the job failed; `nil` otherwise.
    public var errors: String?

    /// A job to store with every field given.
    public init(
        description: String, status: JobStatus, action: JobAction, referenceID: String,
        createdAt: Int64, updatedAt: Int64?, startAt: Int64, errors: String?
    ) {
        self.description = description
        self.status = status
        self.action = action
        self.referenceID = referenceID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.startAt = startAt
        self.errors = errors
    }

    /// A fresh `delete_user_data` job for `userID`, as the users endpoint and `jobsctl job create` make it.
    public static func deleteUserData(userID: String, createdAt: Int64, startAt: Int64) -> NewJob {
        NewJob(
            description: JobAction.deleteUserData.description(referenceID: userID), status: .scheduled,
            action: .deleteUserData, referenceID: userID, createdAt: createdAt, updatedAt: nil,
            startAt: startAt, errors: nil)
    }
}
