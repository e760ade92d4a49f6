import CSQLite3
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Group commit for one process's connections to one store: one `fdatasync` of the write-ahead log makes every
/// commit written before it durable, so threads that committed while a sync was under way share the next one.
///
/// With `synchronous = FULL`, SQLite syncs the log inside each commit, under the write lock, so writers would wait
/// for the disk one at a time. Connections of a connector set to
/// ``SQLiteOptions/Synchronous-swift.enum/full`` instead commit with `synchronous = NORMAL` (frames written, not
/// synced; checkpoints still sync) and, once the write lock is released and before the operation returns, call
/// ``syncLog(atPath:)``: the operation is acknowledged only once its commit is on disk, as with `FULL`. A sync of
/// the log file covers whatever frames the file holds, other processes' included, so an answer built on what
/// another writer committed (a conflict, a job already cancelled) is durable too. Only plain reads may see a
/// commit up to one sync before its writer is answered.
///
/// `@unchecked Sendable`: the sync's state is touched only with `condition` locked, the checkpoint's lives in a
/// `Mutex`.
final class SQLiteLogSync: @unchecked Sendable {
    /// Guards the sync's state; threads whose ticket is not synced yet wait on it.
    private let condition = NSCondition()
    /// Tickets handed out: one per call to ``syncLog(atPath:)``.
    private var requested: UInt64 = 0
    /// Every ticket up to this one is durable.
    private var synced: UInt64 = 0
    /// Whether a thread is in `fdatasync` now.
    private var syncing = false
    /// `fdatasync` calls that succeeded.
    private var syncs = 0

    /// The turn to checkpoint (see ``beginCheckpointIfDue(frames:)``).
    private struct CheckpointTurn {
        /// Whether a thread is checkpointing now.
        var running = false
        /// The log's size in frames at the last checkpoint attempt.
        var framesAtLastAttempt: Int32 = 0
    }
    private let checkpoint = Mutex(CheckpointTurn())

    /// Returns once an `fdatasync` of the log at `path` that started after this call has finished: everything
    /// committed before the call is then on disk. The thread that finds no sync under way runs one for every
    /// ticket handed out so far; the others wait for it, and run the next one if theirs came too late. Throws
    /// `SQLITE_IOERR_FSYNC` when the sync fails (the waiters then try their own).
    func syncLog(atPath path: String) throws {
        condition.lock()
        defer { condition.unlock() }
        requested += 1
        let ticket = requested
        while synced < ticket {
            if syncing {
                condition.wait()
                continue
            }
            syncing = true
            let covered = requested
            condition.unlock()
            let failure = Self.dataSync(path: path)
            condition.lock()
            syncing = false
            condition.broadcast()
            if let failure { throw failure }
            synced = max(synced, covered)
            syncs += 1
        }
    }

    /// How many syncs of the log have run (for tests: one sync may cover several commits).
    var syncCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return syncs
    }

    /// Whether a checkpoint is due with the log at `frames` frames, claiming the turn to run it when it is (then
    /// ``endCheckpoint()`` must follow). Due once the log has grown ``SQLiteConnection/checkpointFrames`` past
    /// the size at the last attempt (0 once the log restarted): at most one attempt per that many frames, even
    /// when an attempt could not copy everything because a reader still needed old frames. One thread at a
    /// time; one that finds another checkpointing goes back to its request.
    func beginCheckpointIfDue(frames: Int32) -> Bool {
        checkpoint.withLock { turn in
            if frames < turn.framesAtLastAttempt { turn.framesAtLastAttempt = 0 }
            guard !turn.running, frames >= turn.framesAtLastAttempt + SQLiteConnection.checkpointFrames else {
                return false
            }
            turn.running = true
            turn.framesAtLastAttempt = frames
            return true
        }
    }

    /// Ends what ``beginCheckpointIfDue(frames:)`` began.
    func endCheckpoint() {
        checkpoint.withLock { $0.running = false }
    }

    /// `fdatasync` of the file at `path` through a descriptor of its own (Linux syncs the file's dirty pages
    /// whoever wrote them). A missing log needs no sync: SQLite deletes it only after checkpointing it into the
    /// synced database file.
    private static func dataSync(path: String) -> SQLiteError? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let number = errno
            if number == ENOENT { return nil }
            return SQLiteError(code: CSQLITE3_IOERR_FSYNC, message: "opening \(path) to sync it: \(describe(number))")
        }
        defer { close(descriptor) }
        guard fdatasync(descriptor) == 0 else {
            return SQLiteError(code: CSQLITE3_IOERR_FSYNC, message: "syncing \(path): \(describe(errno))")
        }
        return nil
    }

    private static func describe(_ number: Int32) -> String {
        String(cString: strerror(number))
    }
}
