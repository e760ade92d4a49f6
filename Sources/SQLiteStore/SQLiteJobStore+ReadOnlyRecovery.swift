import CSQLite3
import Foundation
import JobsCore

/// Recovering from a store that was read-only, without a restart.
///
/// SQLite opens the file read-only, without a word, when its filesystem is read-only at that moment (for
/// instance a process restarted by systemd while the volume was remounted read-only); every write then fails
/// with `SQLITE_READONLY` (503). Such a connection stays read-only for good, and so does every connection that
/// the same process opens while one is still open: they share the read-only mapping of the `-shm` file. So a
/// connection found read-only after an operation (or whose write was refused as read-only) is set aside at once,
/// a small in-memory database standing in for it, and the next operation opens a new one, configured by the
/// connector like the first. While the store stays read-only each operation opens its own connection (reads
/// keep working); once it is writable again, the next one is a writable connection. A connection in normal
/// use pays one `sqlite3_db_readonly` call per operation.
extension SQLiteJobStore {
    /// Before an outermost operation: replaces a stand-in by a new connection to the store.
    func reopenIfSetAside(while operation: @autoclosure () -> String) throws {
        guard connectionIsStandIn, let reconnect else { return }
        do {
            connection = try reconnect()
            connectionIsStandIn = false
        } catch let error as SQLiteError {
            throw error.storeError(while: "reopening \(path) for \(operation())")
        }
    }

    /// After an outermost operation: sets the connection aside when it is read-only or `refused` says a write
    /// was refused as read-only (by the shared `-shm` mapping, say). Only for connections the connector can
    /// open again.
    func setAsideIfReadOnly(refused: Bool) {
        guard reconnect != nil, !connectionIsStandIn,
            refused || sqlite3_db_readonly(connection.handle, "main") == 1,
            let standIn = try? SQLiteConnection(path: ":memory:", create: true)
        else { return }
        connection = standIn
        connectionIsStandIn = true
    }
}
