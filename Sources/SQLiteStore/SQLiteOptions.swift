/// How each connection to a SQLite job store behaves.
public struct SQLiteOptions: Sendable, Equatable {
    /// How hard SQLite works to make a committed write durable (`PRAGMA synchronous`). The store always runs in
    /// WAL mode, where the two settings differ as follows.
    public enum Synchronous: Sendable, Equatable {
        /// `FULL`: every commit waits for the write-ahead log to reach the disk (`fsync`). A write the API has
        /// acknowledged survives an application crash *and* a power cut or kernel panic. Costs one `fsync` per
        /// write. The default: a client that was told its deletion job exists must be able to rely on it.
        case full
        /// `NORMAL`: commits do not wait for the disk; the log is synced only at checkpoints. A write survives
        /// an application crash, but the last writes acknowledged before a power cut or kernel panic may be
        /// lost (the store itself stays consistent). Faster writes, for stores whose jobs can be re-created.
        case normal

        /// The mode named `full` or `normal` (any case), as options spell it; `nil` for any other name.
        public init?(name: String) {
            switch name.lowercased() {
            case "full": self = .full
            case "normal": self = .normal
            default: return nil
            }
        }

        /// The value for `PRAGMA synchronous`.
        var pragmaValue: String {
            switch self {
            case .full: "FULL"
            case .normal: "NORMAL"
            }
        }
    }

    /// Durability of each commit; ``Synchronous-swift.enum/full`` unless told otherwise.
    public var synchronous: Synchronous
    /// How long a write waits for another connection's write to finish before giving up with
    /// `StoreError.Kind.unavailable` (which the API answers with 503). Values below 0 count as 0 (fail at once).
    public var busyTimeoutMilliseconds: Int

    /// The most threads of a process that wait for the store's write lock while another process holds it (the
    /// thread whose turn it is included); further writes give up at once with `StoreError.Kind.unavailable`, so
    /// that the process's other threads keep serving reads. `nil`: no limit. `jobs-fcgi` sets its thread count
    /// less one.
    public var writerLimit: Int?

    /// Options with `synchronous = FULL`, a 5-second busy timeout and no writer limit unless told otherwise.
    public init(synchronous: Synchronous = .full, busyTimeoutMilliseconds: Int = 5000, writerLimit: Int? = nil) {
        self.synchronous = synchronous
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        self.writerLimit = writerLimit
    }
}
