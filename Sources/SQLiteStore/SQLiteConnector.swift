import CSQLite3
import JobsCore

/// Opens connections to the SQLite job store in one file.
///
/// The connector is shared by every thread; each connection it opens belongs to the thread that opened it.
/// The connections one connector opens (and its copies) take turns at one in-process write gate
/// (`SQLiteWriteGate`) before they write, so the process's threads queue for each other rather than sleep in
/// SQLite's busy handler. A write waits up to ``SQLiteOptions/busyTimeoutMilliseconds`` in all, for the gate and
/// for writers in other processes (or other connectors), commits with the
/// chosen ``SQLiteOptions/synchronous`` durability, enforces foreign keys, and runs in WAL mode so that readers
/// never wait for the writer.
public struct SQLiteConnector: JobStoreConnector {
    /// The store's file, as given (relative paths are resolved against the working directory at each open).
    public let path: String
    /// How each connection behaves.
    public let options: SQLiteOptions
    /// Shared by every connection this connector and its copies open.
    let writeGate: SQLiteWriteGate
    /// Group commit and the turn to checkpoint, shared like ``writeGate``.
    let logSync = SQLiteLogSync()

    /// A connector for the store in the file at `path`. Opening nothing yet: each `connect` call opens a
    /// connection of its own.
    public init(path: String, options: SQLiteOptions = .init()) {
        self.path = path
        self.options = options
        writeGate = SQLiteWriteGate(writerLimit: options.writerLimit)
    }

    /// Opens a connection for the API: the file must exist and have the current schema.
    ///
    /// Throws `StoreError` of kind `.notInitialized` when the file is missing or empty, `.schemaMismatch` when
    /// its schema is older or newer than this program's, `.unavailable` when it cannot be opened now.
    public func connect() throws -> any JobStore {
        let store = try open(create: false)
        try store.guarded("opening \(path)") {
            let version = try store.readSchemaVersion()
            if let error = Self.schemaError(storeVersion: version, currentVersion: Schema.currentVersion, path: path) {
                throw error
            }
            // `migrate()` makes WAL the store's persistent mode; a store copied or restored with another mode
            // is put back in WAL here rather than served in rollback mode, where readers block the writer.
            try store.enableWriteAheadLog()
        }
        return store
    }

    /// Opens a connection for administration (`jobsctl`), creating the file when `create` is true. A file this
    /// creates is readable and writable by its owner only (mode 0600); SQLite gives its `-wal` and `-shm`
    /// files the same mode. The schema is not checked: call ``SQLiteJobStore/migrate()``.
    public func connectForAdministration(create: Bool) throws -> any StoreAdministration {
        try open(create: create)
    }

    /// Opens and configures a connection, typed: ``connect()`` and ``connectForAdministration(create:)`` return
    /// it as a protocol.
    func open(create: Bool) throws -> SQLiteJobStore {
        // NOMUTEX needs a library built thread-safe; Debian's is (SQLITE_THREADSAFE=1), but a library swapped
        // in underneath would fail in ways much harder to trace than this.
        guard sqlite3_threadsafe() != 0 else {
            throw StoreError(.internal, "The SQLite library was built without thread support (SQLITE_THREADSAFE=0)")
        }
        if create {
            try OwnerOnlyFile.create(atPath: path)
        }
        let connection: SQLiteConnection
        do {
            // Never SQLITE_OPEN_CREATE: when asked to create, the file was made above with the right mode;
            // otherwise a missing file must be reported, not silently replaced by an empty store.
            connection = try SQLiteConnection(path: path, create: false)
        } catch let error as SQLiteError {
            if error.primaryCode == SQLITE_CANTOPEN, !OwnerOnlyFile.exists(atPath: path) {
                throw Self.notInitializedError(path: path)
            }
            throw error.storeError(while: "opening \(path)")
        }
        connection.writeGate = writeGate
        connection.logSync = logSync
        connection.moveCheckpointsOutOfCommits()
        let store = SQLiteJobStore(connection: connection, path: path)
        try store.guarded("configuring the connection to \(path)") {
            connection.setBusyTimeout(milliseconds: options.busyTimeoutMilliseconds)
            // FULL in WAL mode: commits are synced by the group commit, which is as durable (see
            // SQLiteLogSync). Any other journal mode (a store not migrated yet) keeps SQLite's own FULL.
            let journalMode = try connection.executeForText("PRAGMA journal_mode")
            connection.syncsLog = options.synchronous == .full && journalMode == "wal"
            let synchronous = connection.syncsLog ? SQLiteOptions.Synchronous.normal : options.synchronous
            try connection.execute("PRAGMA synchronous = \(synchronous.pragmaValue)")
            // Foreign keys are off by default in SQLite, per connection.
            try connection.execute("PRAGMA foreign_keys = ON")
            // Deleted content is overwritten with zeros, not left in free space: a purged job's user id must not
            // survive in the file. (Debian's SQLite has it on by default; a build without it would not.)
            try connection.execute("PRAGMA secure_delete = ON")
        }
        // Set once configured: the connections it opens come from a store that never sets its own aside.
        store.reconnect = { try open(create: false).connection }
        return store
    }
}
