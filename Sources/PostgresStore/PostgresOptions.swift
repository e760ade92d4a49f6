/// How long a connection to the PostgreSQL store may wait on the server.
///
/// Every connection, whatever these options, has libpq settings that bound waiting on the network (the URL may
/// override each): `connect_timeout=5` (seconds to connect, startup included), TCP keepalives (`keepalives_idle=30`,
/// `keepalives_interval=10`, `keepalives_count=3`: an idle connection to a vanished host is found dead in about a
/// minute) and `tcp_user_timeout=30000` (sent data unacknowledged for 30 s ends the connection). They do not help
/// when the server's host still answers at the TCP level but the server does not (a hung or stopped backend): the
/// statement timeout does.
public struct PostgresOptions: Sendable, Equatable {
    /// The session's `statement_timeout`, in milliseconds: the server cancels a statement running longer (a lock
    /// wait included) and the call fails with SQLSTATE 57014, which the API answers with 503. The client also stops
    /// waiting for any answer ``answerGrace`` after it, abandons the connection (a new one is opened by the next
    /// call) and fails the call as a lost connection. `nil`: neither (`jobsctl`, whose migrations may run long).
    public var statementTimeoutMilliseconds: Int?

    /// How much longer than the statement timeout the client waits for an answer: a server that is alive answers
    /// a cancelled statement at once.
    public static let answerGrace: Duration = .seconds(2)

    /// Options with no statement timeout unless told otherwise.
    public init(statementTimeoutMilliseconds: Int? = nil) {
        self.statementTimeoutMilliseconds = statementTimeoutMilliseconds
    }
}
