/// Which of a project's jobs a list shows: those in one of `statuses` (any status when `nil`) and, when
/// `referenceID` is given, only that user's. ``none`` shows every job.
public struct JobFilter: Sendable, Equatable {
    /// The statuses a listed job may have, each once, in ``JobStatus/allCases`` order; `nil` for any.
    public var statuses: [JobStatus]?
    /// The one `referenceId` a listed job must have; `nil` for any.
    public var referenceID: String?

    /// A filter on `statuses` (duplicates dropped, put in ``JobStatus/allCases`` order; empty means none) and
    /// `referenceID`.
    public init(statuses: [JobStatus]? = nil, referenceID: String? = nil) {
        self.statuses = statuses.map { chosen in JobStatus.allCases.filter { chosen.contains($0) } }
        self.referenceID = referenceID
    }

    /// No filter: every job of the project.
    public static let none = JobFilter()

    /// Whether this filter lets every job through.
    public var isNone: Bool { statuses == nil && referenceID == nil }

    /// Whether `job` passes this filter.
    public func matches(_ job: Job) -> Bool {
        (statuses?.contains(job.status) ?? true) && (referenceID.map { $0 == job.referenceID } ?? true)
    }
}
