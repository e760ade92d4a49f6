/// SQL text that a connection prepares once and finds again by the object's identity: a lookup hashes one
/// pointer instead of the whole text, on every statement of every request.
///
/// Made once, as a `static let` (see ``SQLiteJobStore/SQL``), and kept for the life of the process.
public final class SQLiteQuery: Sendable, CustomStringConvertible {
    /// The SQL text.
    let text: String

    init(_ text: String) {
        self.text = text
    }

    public var description: String { text }
}
