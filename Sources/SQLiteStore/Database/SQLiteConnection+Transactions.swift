extension SQLiteConnection {
    static let beginImmediate = SQLiteQuery("BEGIN IMMEDIATE")
    static let commit = SQLiteQuery("COMMIT")
    static let rollback = SQLiteQuery("ROLLBACK")

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction, committing when it returns and rolling back when it
    /// throws.
    ///
    /// `IMMEDIATE` takes the write lock at the start, waiting up to the busy timeout for it. A deferred
    /// transaction that reads and then writes would instead fail with `SQLITE_BUSY` at its first write,
    /// ignoring the timeout, whenever another connection wrote in between. The whole transaction holds the
    /// ``writeGate``: the process's other threads wait there, not in SQLite's busy handler.
    public func writeTransaction<Result>(_ body: () throws -> Result) throws -> Result {
        try serializingWrites { try inImmediateTransaction(body) }
    }

    /// ``writeTransaction(_:)`` once the gate is held.
    private func inImmediateTransaction<Result>(_ body: () throws -> Result) throws -> Result {
        try run(Self.beginImmediate)
        do {
            let result = try body()
            try run(Self.commit)
            return result
        } catch {
            // SQLite may have rolled back on its own already (after SQLITE_FULL or SQLITE_IOERR, say).
            if isInTransaction {
                // The original error says what went wrong; a failed rollback adds nothing to act on.
                try? run(Self.rollback)
            }
            throw error
        }
    }
}
