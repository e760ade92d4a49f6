import ArgumentParser
import Foundation
import JobsCore

/// `jobsctl job …`
struct JobCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "job", abstract: "Create, import, list, show, cancel and purge jobs.",
        discussion: """
            Example:
              jobsctl job create --project 3sWXSsqHgSKnE87YkNJK --user alice@example.com --start-at 2026-01-01T00:00:00Z
              jobsctl job list --project 3sWXSsqHgSKnE87YkNJK --status failed
            """,
        subcommands: [Create.self, Import.self, List.self, Show.self, Cancel.self, Purge.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Schedule the deletion of a user's data, as the API's users endpoint does.",
            discussion: """
                Prints the job as the API shows it.

                Example:
                  jobsctl job create --project 3sWXSsqHgSKnE87YkNJK --user alice@example.com --start-at 2026-01-01T00:00:00Z
                """)

        @OptionGroup var storeOptions: StoreOptions
        @Option(name: .customLong("project"), help: "The project key.") var projectKey: String
        @Option(name: .customLong("user"), help: "The user id (1–256 characters, no NUL), as the API's userId.")
        var userID: String
        @Option(
            parsing: .unconditional,
            help: ArgumentHelp(
                "When the job may run: an ISO 8601 date-time (2026-01-01T00:00:00Z) or date, or milliseconds since the epoch (default: the next midnight UTC).",
                valueName: "time"))
        var startAt: String?

        func validate() throws {
            guard Job.isValidReferenceID(userID) else {
                throw ValidationError("--user must be 1–\(Job.maximumReferenceIDLength) characters without NUL")
            }
            if let startAt { _ = try TimeArgument.parse(startAt, option: "--start-at") }
        }

        func run() throws {
            let store = try storeOptions.administration()
            let project = try store.existingProject(projectKey)
            let now = JobsAPI.now()
            let start = try startAt.map { try TimeArgument.parse($0, option: "--start-at") }
                ?? ScheduleDelay.nextMidnight.startAt(createdAt: now)
            let job = NewJob.deleteUserData(userID: userID, createdAt: now, startAt: start)
            switch try store.createJob(job, projectID: project.id) {
            case .created(let job):
                Output.job(job)
            case .conflict(let existing):
                throw CLIError("a deletion job for this user is already scheduled or running (jobId \(existing))")
            case .limitReached(let limit):
                throw CLIError(
                    "the project's organization has \(limit) scheduled or running jobs, its limit (jobsctl org set-limit)")
            }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import jobs from JSON Lines, each a job in the API's shape: all of them, or none.",
            discussion: """
                Each line needs "referenceId" and "status"; "description", "action", "createdAt", "updatedAt", \
                "startAt" and "errors" take their defaults when missing; "jobId" and "projectId" are ignored (ids \
                are assigned, the project is --project). Times are milliseconds since the epoch. Bounds: \
                "referenceId" 1–\(Job.maximumReferenceIDLength) characters without NUL (the API's userId), \
                "description" at most \(Job.maximumDescriptionBytes) bytes and "errors" at most \
                \(Job.maximumErrorsBytes) bytes of UTF-8, neither with NUL, "action" 1–\(Job.maximumActionLength) \
                letters, digits, _ . - (a name a worker can run), times from 0 (1970) to \
                \(Job.timeRange.upperBound) (the end of 9999).

                Every line is checked, then all jobs are stored in one transaction, or none: the first bad line \
                or the first job that conflicts with an active one (same user and action, stored before or on an \
                earlier line) is named, and nothing is stored. While the transaction runs, other writes to the \
                store wait (SQLite: the API's writes may answer 503 after their busy timeout). Prints each stored \
                job as one JSON line, then "N jobs imported" on standard error ("0 jobs imported" for an empty \
                file).

                Example:
                  jobsctl job import --project 3sWXSsqHgSKnE87YkNJK jobs.jsonl
                """)

        @OptionGroup var storeOptions: StoreOptions
        @Option(name: .customLong("project"), help: "The project key.") var projectKey: String
        @Argument(help: "A JSON Lines file (default: standard input).") var file: String?

        func run() throws {
            let store = try storeOptions.administration()
            let project = try store.existingProject(projectKey)

            let lines: [Int]
            let jobs: [NewJob]
            do {
                (lines, jobs) = try JobImport.parseDocument(bytes: try readInput(), now: JobsAPI.now())
            } catch let error as JobImport.LineError {
                throw CLIError("\(error); nothing was imported")
            }
            switch try store.importJobs(jobs, projectID: project.id) {
            case .imported(let ids):
                var lines = Output.Lines()
                for (job, id) in zip(jobs, ids) {
                    // The stored job is the imported one with the id the store gave it.
                    let stored = Job(
                        id: id, description: job.description, status: job.status, projectID: project.id,
                        action: job.action, referenceID: job.referenceID, createdAt: job.createdAt,
                        updatedAt: job.updatedAt, startAt: job.startAt, errors: job.errors)
                    lines.line(stored)
                }
                lines.flush()
                Output.note("\(ids.count) job\(ids.count == 1 ? "" : "s") imported")
            case .conflict(let index, let existing):
                let job = jobs[index]
                throw CLIError(
                    "line \(lines[index]): user \(Output.quoted(job.referenceID)) already has an active "
                        + "\(job.action.rawValue) job in project \(projectKey) (jobId \(existing)); nothing was imported")
            case .duplicate(let index, let earlier):
                let job = jobs[index]
                throw CLIError(
                    "line \(lines[index]): user \(Output.quoted(job.referenceID)) has an active "
                        + "\(job.action.rawValue) job on line \(lines[earlier]) already (one active job per user "
                        + "and action); nothing was imported")
            }
        }

        /// The file's bytes, or standard input's.
        private func readInput() throws -> [UInt8] {
            guard let file else { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
            guard let contents = FileManager.default.contents(atPath: file) else {
                throw CLIError("cannot read \(file)")
            }
            return Array(contents)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a project's jobs in ascending id order, one JSON object per line.",
            discussion: """
                Example:
                  jobsctl job list --project 3sWXSsqHgSKnE87YkNJK --status failed
                """)

        @OptionGroup var storeOptions: StoreOptions
        @Option(name: .customLong("project"), help: "The project key.") var projectKey: String
        @Option(help: "Only jobs in this status (scheduled, running, completed, failed, cancelled).")
        var status: JobStatus?

        func run() throws {
            let store = try storeOptions.administration()
            let project = try store.existingProject(projectKey)
            var afterID: Int64 = 0
            var lines = Output.Lines()
            while true {
                let batch = try store.jobs(projectID: project.id, status: status, afterID: afterID, limit: 500)
                for job in batch { lines.line(job) }
                guard let last = batch.last, batch.count == 500 else { break }
                afterID = last.id
            }
            lines.flush()
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a job.",
            discussion: """
                Example:
                  jobsctl job show 12
                """)

        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup(title: "The job's id") var id: IDArgument

        func run() throws {
            guard let job = try storeOptions.administration().job(id: id.value) else {
                throw CLIError("no job with id \(id.value)")
            }
            Output.job(job)
        }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a scheduled or running job, as the API's cancel does.",
            discussion: """
                Example:
                  jobsctl job cancel --project 3sWXSsqHgSKnE87YkNJK 12
                """)

        @OptionGroup var storeOptions: StoreOptions
        @Option(name: .customLong("project"), help: "The project key.") var projectKey: String
        @Argument(help: "The job's id.") var jobID: Int64

        func run() throws {
            let store = try storeOptions.administration()
            let project = try store.existingProject(projectKey)
            switch try store.cancelJob(id: jobID, projectID: project.id, at: JobsAPI.now()) {
            case .cancelled(let job):
                Output.job(job)
            case .notCancellable(let job):
                throw CLIError("job \(job.id) is \(job.status.rawValue) and cannot be cancelled")
            case .notFound:
                throw CLIError("no job with id \(jobID) in project \(projectKey)")
            }
        }
    }
}

extension JobStatus: ExpressibleByArgument {}
