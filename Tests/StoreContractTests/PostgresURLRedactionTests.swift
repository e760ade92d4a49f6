import JobsCore
import Testing
@testable import PostgresStore

/// A PostgreSQL URL shown in a log or a message never carries its password: the user information is cut where
/// libpq cuts it (at the first `/`, so a `?` or `#` in a password stays in the password), and `password=` /
/// `sslpassword=` parameters are hidden under any spelling libpq decodes to those names.
@Suite("PostgreSQL URLs are shown without their secrets")
struct PostgresURLRedactionTests {
    @Test(arguments: [
        ("postgresql://u:secret@db.example/jobs", "postgresql://u:***@db.example/jobs"),
        ("postgresql://u:top?secret@db.example/jobs", "postgresql://u:***@db.example/jobs"),
        ("postgresql://u:top#secret@db.example/jobs", "postgresql://u:***@db.example/jobs"),
        ("postgresql://u:p@ss@db.example/jobs", "postgresql://u:***@db.example/jobs"),
        ("postgresql://u:top?secret@db.example", "postgresql://u:***@db.example"),
        ("postgres://u@db.example/jobs?password=secret", "postgres://u@db.example/jobs?password=***"),
        ("postgresql:///jobs?host=/run/postgresql&sslpassword=secret", "postgresql:///jobs?host=/run/postgresql&sslpassword=***"),
        ("postgresql://db.example/jobs?PASSWORD=secret&sslmode=require", "postgresql://db.example/jobs?PASSWORD=***&sslmode=require"),
        ("postgresql://db.example/jobs?pass%77ord=secret", "postgresql://db.example/jobs?pass%77ord=***"),
        ("postgresql://u:a?password=b@db.example/jobs?sslpassword=secret", "postgresql://u:***@db.example/jobs?sslpassword=***"),
        ("postgresql://db.example/jobs", "postgresql://db.example/jobs"),
    ])
    func redacted(url: String, shown: String) {
        #expect(PostgresConnector.redacted(url) == shown)
        #expect(!PostgresConnector.redacted(url).contains("secret"))
    }

    /// The message of a failed connection names the server without the password, a `?` in it included.
    @Test func aFailedConnectionDoesNotShowThePassword() {
        let connector = PostgresConnector(url: "postgresql://u:top?secret@127.0.0.1:1/jobs?sslpassword=hidden&connect_timeout=5")
        let error = #expect(throws: StoreError.self) { try connector.connect() }
        #expect(error?.kind == .unavailable)
        #expect(error.map { !$0.message.contains("secret") && !$0.message.contains("hidden") } == true, "\(String(describing: error))")
    }
}
