import JobsCore

extension SQLJobStore {
    /// Writes the worker's row (an upsert on its id) after deleting the rows of workers not seen for a day.
    @inlinable
    public func registerWorker(_ worker: WorkerRecord) throws {
        try guarded("registering worker \(worker.id)") {
            try connection.writeTransaction {
                try connection.run(
                    Self.statements.deleteForgottenWorkers, [.integer(worker.lastSeenAt - Self.forgetWorkersAfter)])
                try connection.run(
                    Self.statements.registerWorker,
                    [
                        .text(worker.id), .text(worker.host), .integer(worker.pid), .text(worker.version),
                        .text(worker.actions.map(\.rawValue).joined(separator: " ")),
                        .integer(Int64(worker.concurrency)), .integer(worker.startedAt), .integer(worker.lastSeenAt),
                        .integer(worker.staleAfter),
                    ])
            }
        }
    }

    /// How long the row of a worker not seen stays in the table: a day, in milliseconds.
    @inlinable
    static var forgetWorkersAfter: Int64 { 86_400_000 }

    /// One conditional update of the worker's row; `false` when there is none.
    @inlinable
    public func refreshWorker(id: String, at time: Int64) throws -> Bool {
        try guarded("refreshing worker \(id)") {
            try connection.firstRow(Self.statements.refreshWorker, [.text(id), .integer(time)], decode: Self.decodeID)
                != nil
        }
    }

    /// Deletes the worker's row.
    @inlinable
    public func unregisterWorker(id: String) throws {
        try guarded("unregistering worker \(id)") {
            try connection.run(Self.statements.unregisterWorker, [.text(id)])
        }
    }

    /// The queue at `time`, in five reads: the count per status, the due range of `jobs_due`, the expired and
    /// lease-less ranges of `jobs_leased`, the running jobs per owner (as many as the workers run), the workers.
    @inlinable
    public func queueSummary(at time: Int64) throws -> QueueSummary {
        try guarded("reading the queue's figures") {
            var byStatus: [JobStatus: Int64] = [:]
            for status in JobStatus.allCases { byStatus[status] = 0 }
            try connection.forEachRow(Self.statements.jobsByStatus, []) { row in
                if let status = JobStatus(rawValue: row.text(at: 0)) { byStatus[status] = row.int64(at: 1) }
            }
            let due = try connection.firstRow(Self.statements.dueJobs, [.integer(time)]) { row in
                (row.int64(at: 0), row.optionalInt64(at: 1))
            }
            let expired = try connection.firstRow(Self.statements.expiredLeases, [.integer(time)], decode: Self.decodeID)
            var runningByOwner: [String: Int64] = [:]
            try connection.forEachRow(Self.statements.runningByOwner, []) { row in
                runningByOwner[row.text(at: 0)] = row.int64(at: 1)
            }
            let workers = try connection.rows(Self.statements.workers, [], decode: Self.decodeWorker)
            return QueueSummary(
                at: time, jobsByStatus: byStatus, dueNow: due?.0 ?? 0, oldestDueStartAt: due?.1,
                expiredLeases: expired ?? 0, workers: workers, runningByOwner: runningByOwner,
                webhookDeliveries: try countWebhookDeliveries())
        }
    }

    /// The due jobs grouped by action: one pass over the due range of `jobs_due`, reading each job's action.
    @inlinable
    public func dueActions(at time: Int64) throws -> [DueAction] {
        try guarded("reading the due jobs' actions") {
            try connection.rows(Self.statements.dueActions, [.integer(time)]) { row in
                DueAction(
                    action: JobAction(rawValue: row.text(at: 0)), count: row.int64(at: 1),
                    oldestStartAt: row.int64(at: 2))
            }
        }
    }

    /// A worker from ``SQLStatements/workers``'s columns.
    @inlinable
    static func decodeWorker(_ row: Connection.Row) -> WorkerRecord {
        WorkerRecord(
            id: row.text(at: 0), host: row.text(at: 1), pid: row.int64(at: 2), version: row.text(at: 3),
            actions: row.text(at: 4).split(separator: " ").map { JobAction(rawValue: String($0)) },
            concurrency: Int(clamping: row.int64(at: 5)), startedAt: row.int64(at: 6), lastSeenAt: row.int64(at: 7),
            staleAfter: row.int64(at: 8))
    }
}
