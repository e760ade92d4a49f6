import CSQLite3

extension SQLiteConnection {
    /// Log frames past which a write checkpoints: SQLite's own default (`wal_autocheckpoint`).
    static let checkpointFrames: Int32 = 1000

    /// Turns SQLite's automatic checkpoint off and records the log's size after each commit instead: the
    /// automatic one runs inside commits, and under back-to-back writers in every commit once the log cannot
    /// restart. ``finishWrites()`` checkpoints instead. The hook's context is this object, unretained: the
    /// hook goes away with the handle, which the object closes.
    func moveCheckpointsOutOfCommits() {
        sqlite3_wal_hook(
            handle,
            { context, _, _, frames in
                if let context {
                    Unmanaged<SQLiteConnection>.fromOpaque(context).takeUnretainedValue().logFrames = frames
                }
                return SQLITE_OK
            },
            Unmanaged.passUnretained(self).toOpaque())
    }

    /// Ends an operation that wrote, after its write gate was released: syncs the log when ``syncsLog`` (group
    /// commit, see ``SQLiteLogSync``), then checkpoints when one is due
    /// (``SQLiteLogSync/beginCheckpointIfDue(frames:)``). Nothing when nothing was written.
    ///
    /// The checkpoint is `PASSIVE` (it never waits for readers, nor for other processes' writers), in two
    /// passes: the first, without the write gate, copies the frames and syncs the database file while the other
    /// threads write; the second, holding the gate, copies what they wrote meanwhile. No writer of this process
    /// begins during the second, so the next one finds every frame copied and restarts the log from its
    /// beginning, which keeps it near 1000 frames.
    ///
    /// Under steady reads from many connections, and writers in other processes, a passive checkpoint rarely
    /// finds the moment when no reader still uses the log, which then keeps growing. Once it holds
    /// ``restartFrames`` frames, the second pass is `RESTART` instead: it waits (up to the busy timeout) for the
    /// readers that still use the log to finish — milliseconds, each reads one request's rows — so that the
    /// next writer starts the log over.
    func finishWrites() throws {
        guard wroteSinceFinish, let logSync else { return }
        if syncsLog { try logSync.syncLog(atPath: logPath) }
        wroteSinceFinish = false
        guard logSync.beginCheckpointIfDue(frames: logFrames) else { return }
        defer { logSync.endCheckpoint() }
        let checkpoint = { (mode: Int32) in
            // A failure (another process checkpointing, readers past the busy timeout) leaves the log as it was,
            // for a later attempt.
            _ = sqlite3_wal_checkpoint_v2(self.handle, nil, mode, nil, nil)
        }
        checkpoint(SQLITE_CHECKPOINT_PASSIVE)
        let secondMode = logFrames >= Self.restartFrames ? SQLITE_CHECKPOINT_RESTART : SQLITE_CHECKPOINT_PASSIVE
        // A write lock held elsewhere for the whole busy timeout skips this pass: a later checkpoint does it.
        if let writeGate { _ = try? holding(writeGate) { checkpoint(secondMode) } } else { checkpoint(secondMode) }
    }

    /// Log frames past which the checkpoint waits for readers so that the log restarts (about 8 MiB of 4 KiB
    /// pages).
    static let restartFrames: Int32 = 2 * checkpointFrames
}
