/// The current row of a result, read by column index (0-based).
public protocol SQLRow {
    /// Whether the column holds SQL `NULL`.
    func isNull(at column: Int32) -> Bool
    /// The column as a 64-bit integer (0 for `NULL`).
    func int64(at column: Int32) -> Int64
    /// The column as text; bytes that are not UTF-8 become U+FFFD (empty for `NULL`).
    func text(at column: Int32) -> String
    /// Runs `body` with the column's text as the engine holds it, no copy (empty for `NULL`); the bytes are valid
    /// only during `body`.
    func withTextBytes<Result>(at column: Int32, _ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows
        -> Result
}

extension SQLRow {
    /// The column as an integer, `nil` for `NULL`.
    @inlinable
    public func optionalInt64(at column: Int32) -> Int64? {
        isNull(at: column) ? nil : int64(at: column)
    }

    /// The column as text, `nil` for `NULL`.
    @inlinable
    public func optionalText(at column: Int32) -> String? {
        isNull(at: column) ? nil : text(at: column)
    }
}
