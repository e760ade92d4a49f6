import Foundation

/// Looking into the stack's SQLite store directly, with the `sqlite3` shell, for what the API does not show
/// (leases, the integrity check). The shell is a separate process: it reads the store the way another
/// connection would, while the stack keeps running.
extension Stack {
    /// The rows `sql` returns, each an object of column name to value (the shell's `-json` output); an error
    /// carrying the shell's message when it fails. The shell waits up to 5 s for a lock (`.timeout`), as the
    /// API's own connections do: right after a killed process, the first connection recovers the log holding
    /// an exclusive lock, and a shell without a timeout failed with "database is locked" meanwhile.
    package func query(_ sql: String) throws -> [JSONValue] {
        let result = try Command.run(
            BuiltBinaries.system("sqlite3"), ["-json", "-bail", "-cmd", ".timeout 5000", storePath, sql],
            environment: environment)
        guard result.succeeded else {
            throw JobsTestingError("sqlite3 \(sql): exited with \(result.status): \(result.errorOutput)")
        }
        let text = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return [] }
        guard case .array(let rows) = try JSONValue(parsing: text) else {
            throw JobsTestingError("sqlite3 -json printed no array for \(sql): \(text)")
        }
        return rows
    }

    /// What `PRAGMA integrity_check` says of the store: "ok" when it is sound.
    package func integrityCheck() throws -> String {
        let rows = try query("PRAGMA integrity_check;")
        return rows.compactMap { $0["integrity_check"]?.string }.joined(separator: "\n")
    }
}
