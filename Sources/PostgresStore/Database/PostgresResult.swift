import CLibPQ
import SQLStore

/// The rows of one executed statement. Owns its `PGresult` and frees it (`PQclear`) when released, on every path.
final class PostgresResult {
    let handle: OpaquePointer

    init(_ handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        PQclear(handle)
    }

    /// The number of rows. The corresponding C function is `PQntuples`.
    var rowCount: Int { Int(PQntuples(handle)) }

    /// Row `row`, for reading its columns.
    func row(_ row: Int) -> PostgresRow { PostgresRow(result: self, row: Int32(row)) }
}

/// One row of a ``PostgresResult``, read column by column (text format). Public only as the row type of the
/// shared store (``SQLJobStore``).
public struct PostgresRow: SQLRow {
    let result: PostgresResult
    let row: Int32

    public func isNull(at column: Int32) -> Bool { PQgetisnull(result.handle, row, column) != 0 }

    public func text(at column: Int32) -> String {
        guard let value = PQgetvalue(result.handle, row, column) else { return "" }
        return String(cString: value)
    }

    /// The column's bytes as the server sent them (`PQgetvalue`, `PQgetlength`), no copy.
    public func withTextBytes<Result>(at column: Int32, _ body: (UnsafeBufferPointer<UInt8>) throws -> Result)
        rethrows -> Result
    {
        guard let value = PQgetvalue(result.handle, row, column) else {
            return try body(UnsafeBufferPointer(start: nil, count: 0))
        }
        let count = Int(PQgetlength(result.handle, row, column))
        return try value.withMemoryRebound(to: UInt8.self, capacity: count) {
            try body(UnsafeBufferPointer(start: $0, count: count))
        }
    }

    /// A `bigint` (or `integer`) column. The server writes these as plain decimal digits; anything else reads as 0.
    public func int64(at column: Int32) -> Int64 {
        guard let value = PQgetvalue(result.handle, row, column) else { return 0 }
        var number: Int64 = 0
        var negative = false
        var pointer = value
        if pointer.pointee == CChar(UInt8(ascii: "-")) {
            negative = true
            pointer += 1
        }
        while pointer.pointee != 0 {
            let digit = Int64(UInt8(bitPattern: pointer.pointee)) - 48
            guard (0...9).contains(digit) else { return 0 }
            // Accumulated negatively so that Int64.min fits; the server never sends more than 19 digits.
            let (shifted, overflow1) = number.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = shifted.subtractingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { return 0 }
            number = next
            pointer += 1
        }
        if negative { return number }
        return number == Int64.min ? 0 : -number
    }


    func bool(at column: Int32) -> Bool { text(at: column) == "t" }
}
