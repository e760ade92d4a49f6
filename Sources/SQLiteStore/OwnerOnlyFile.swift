#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import JobsCore

/// Creating the store's file before SQLite opens it, so that it is private from its first byte.
///
/// SQLite creates a database file with mode 0644 less the umask: readable by every local user, API key hashes
/// and all. Creating the (empty, hence valid) file with mode 0600 first avoids that; SQLite then gives the
/// `-wal` and `-shm` files it creates the mode of the database file.
enum OwnerOnlyFile {
    /// Creates an empty file at `path` with mode 0600 unless a file is there already, which is left as it is.
    static func create(atPath path: String) throws {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, mode_t(0o600))
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw StoreError(.unavailable, "Cannot create job store at \(path): \(reason)")
        }
        close(descriptor)
    }

    /// Whether anything exists at `path`. Used only to explain a failed open: a missing file means
    /// "not initialised", any other failure is reported as SQLite saw it.
    static func exists(atPath path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 || errno != ENOENT
    }
}
