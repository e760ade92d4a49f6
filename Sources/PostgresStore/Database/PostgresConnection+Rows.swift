extension PostgresConnection {
    /// Every row of `sql`, decoded.
    func rows<Row>(_ sql: String, _ parameters: [PostgresValue] = [], decode: (PostgresRow) throws -> Row) throws
        -> [Row]
    {
        let result = try execute(sql, parameters)
        return try (0..<result.rowCount).map { try decode(result.row($0)) }
    }

    /// The first row of `sql`, decoded; `nil` when there is none.
    func firstRow<Row>(_ sql: String, _ parameters: [PostgresValue] = [], decode: (PostgresRow) throws -> Row)
        throws -> Row?
    {
        let result = try execute(sql, parameters)
        return result.rowCount > 0 ? try decode(result.row(0)) : nil
    }
}
