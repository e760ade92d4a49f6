import SQLStore

extension PostgresConnection {
    /// Every row of `sql`, decoded.
    public func rows<Value>(_ sql: String, _ parameters: [SQLValue] = [], decode: (PostgresRow) throws -> Value)
        throws -> [Value]
    {
        let result = try execute(sql, parameters)
        return try (0..<result.rowCount).map { try decode(result.row($0)) }
    }

    /// The first row of `sql`, decoded; `nil` when there is none.
    public func firstRow<Value>(_ sql: String, _ parameters: [SQLValue] = [], decode: (PostgresRow) throws -> Value)
        throws -> Value?
    {
        let result = try execute(sql, parameters)
        return result.rowCount > 0 ? try decode(result.row(0)) : nil
    }

    /// Calls `body` with each row of `sql` in turn.
    public func forEachRow(_ sql: String, _ parameters: [SQLValue], _ body: (PostgresRow) throws -> Void) throws {
        let result = try execute(sql, parameters)
        for index in 0..<result.rowCount {
            try body(result.row(index))
        }
    }

    /// Runs `sql` for its effect.
    public func run(_ sql: String, _ parameters: [SQLValue]) throws {
        try execute(sql, parameters)
    }
}
