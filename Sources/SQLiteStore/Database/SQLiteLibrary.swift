import CSQLite3

/// Process-wide SQLite settings, applied once before the first connection opens.
enum SQLiteLibrary {
    /// SQLite keeps memory statistics by default (`SQLITE_CONFIG_MEMSTATUS`): every allocation and free, in
    /// every connection of the process, then takes one global mutex, which the threads of `jobs-fcgi` contend
    /// for on every request. Nothing here reads those statistics. `sqlite3_config` only works before SQLite
    /// initializes itself; should something have initialized it first, the statistics simply stay on.
    static let configured: Void = {
        _ = csqlite3_disable_memory_statistics()
    }()
}
