import Foundation
import JobsCore
@testable import PostgresStore
@testable import SQLiteStore

/// Reading and writing what the API never shows, in each engine's own SQL.
extension ContractFixture {
    /// Runs a statement without parameters on the administrative connection.
    func execute(_ sql: String) throws {
        switch admin {
        case let store as SQLiteJobStore:
            try store.connection.execute(sql)
        case let store as PostgresJobStore:
            try store.connection.executeScript(sql)
        default:
            throw StoreError(.internal, "unknown store \(type(of: admin))")
        }
    }

    /// The lease columns of job `id`, which the API never shows; `nil` when there is no such job.
    func lease(of id: Int64) throws -> Lease? {
        switch admin {
        case let store as SQLiteJobStore:
            try store.connection.firstRow("SELECT lease_owner, lease_expires_at FROM jobs WHERE id = ?1", [.integer(id)]) {
                Lease(owner: $0.optionalText(at: 0), expiresAt: $0.optionalInt64(at: 1))
            }
        case let store as PostgresJobStore:
            try store.connection.firstRow("SELECT lease_owner, lease_expires_at FROM jobs WHERE id = $1", [.integer(id)]) {
                Lease(owner: $0.optionalText(at: 0), expiresAt: $0.optionalInt64(at: 1))
            }
        default:
            throw StoreError(.internal, "unknown store \(type(of: admin))")
        }
    }

    /// The rows of `sql` (SQLite's `?1` placeholder, rewritten `$1` for PostgreSQL) with `value` bound, each
    /// as its first `columns` integer columns.
    func integerRows(_ sql: String, _ value: Int64, columns: Int) throws -> [[Int64]] {
        switch admin {
        case let store as SQLiteJobStore:
            try store.connection.rows(sql, [.integer(value)]) { row in (0..<columns).map { row.int64(at: Int32($0)) } }
        case let store as PostgresJobStore:
            try store.connection.rows(sql.replacingOccurrences(of: "?1", with: "$1"), [.integer(value)]) { row in
                (0..<columns).map { row.int64(at: Int32($0)) }
            }
        default:
            throw StoreError(.internal, "unknown store \(type(of: admin))")
        }
    }
}
