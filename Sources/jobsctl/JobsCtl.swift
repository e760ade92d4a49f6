import ArgumentParser
import JobsCore

/// `jobsctl`: administers a job store. Every command prints JSON on stdout (`status` prints text unless `--json`)
/// and reports errors on stderr with a non-zero exit status.
@main
struct JobsCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobsctl",
        abstract: "Administer the Jobs API's store: schema, organizations, API keys, projects, jobs and webhooks.",
        discussion: """
            The store is named by --store DSN or the environment variable JOBS_STORE: a file path (or sqlite:PATH) \
            for the SQLite store, a postgresql:// URL for PostgreSQL. Output is JSON: one object, or one object per line for lists \
            (jobsctl status prints text unless --json). \
            Times are given as ISO 8601 (2026-01-01T00:00:00Z) or milliseconds since the epoch, and printed as \
            milliseconds since the epoch.

            Example:
              export JOBS_STORE=/var/lib/jobs-api/jobs.sqlite3
              jobsctl init && jobsctl org create "Acme" && jobsctl key create --org 1
            """,
        version: Release.version,
        subcommands: [
            Init.self, Org.self, Key.self, ProjectCommand.self, JobCommand.self, WorkerCommand.self,
            ActionRunnerCommand.self, StatusCommand.self, WebhookCommand.self,
        ]
    )
}
