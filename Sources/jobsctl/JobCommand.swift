import ArgumentParser
import Foundation
import JobsCore

/// `jobsctl job …`
struct JobCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "job", abstract: "Create, import, list, show, cancel and purge jobs.",
        subcommands: [Create.self, Import.self, List.self, Show.self, Cancel.self, Purge.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Schedule the deletion of a user's data, as the API's users endpoint does.")

        @OptionGroup var storeOptions: StoreOptions
        @Option(name: .customLong("project"), help: "The project key.") var projectKey: String
        @Option(name: .customLong("user"), help: "The user id (1–256 characters).") var userID: String
        @Option(help: "When the job may run, in milliseconds since the epoch (default: the next midnight UTC).")
        var startAt: Int64?

        func validate() throws {
            let length = userID.unicodeScalars.count
            guard length >= 1, length <= JobsAPI.maximumUserIDLength, !userID.utf8.contains(0) else {
                throw ValidationError("--user must be 1–\(JobsAPI.maximumUserIDLength) characters")
            }
        }

        func run() throws {
            let store = try storeOptions.administration()
            let project = try store.existingProject(projectKey)
            let now = JobsAPI.now()
            let job = NewJob.deleteUserData(
                userID: userID, createdAt: now, startAt: startAt ?? ScheduleDelay.nextMidnight.startAt(createdAt: now))
            switch try store.createJob(job, projectID: project.id) {
            case .created(let job):
                Output.job(job)
            case .conflict(let existing):
                throw CLIError("a deletion job for this user is already scheduled or running (jobId \(existing))")
            }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import jobs from JSON Lines, each a job in the API's shape.",
            discussion: """
                Each line needs "referenceId" and "status"; "description", "action", "createdAt", "updatedAt", \
                "startAt" and "errors" take their defaults when missing; "jobId" and "projectId" are ignored (ids \
                are assigned, the project is --project). Every line is checked before any is stored. Prints each \
                stored job as one JSON line.
                """)

        @OptionGroup var storeOptions: StoreOptions
        @Option(name: .customLong("project"), help: "The project key.") var projectKey: String
        @Argument(help: "A JSON Lines file (default: standard input).") var file: String?

        func run() throws {
            let store = try storeOptions.administration()
            let project = try store.existingProject(projectKey)
            let data: Data
            if let file {
                guard let contents = FileManager.default.contents(atPath: file) else {
                    throw CLIError("cannot read \(file)")
                }
                data = contents
            } else {
                data = FileHandle.standardInput.readDataToEndOfFile()
            }
            guard let text = String(data: data, encoding: .utf8) else { throw CLIError("the input is not UTF-8") }

            for (number, job) in try JobImport.parse(lines: text, now: JobsAPI.now()) {
                switch try store.importJob(job, projectID: project.id) {
                case .created(let stored):
                    Output.job(stored)
                case .conflict(let existing):
                    throw CLIError(
                        "line \(number): user \"\(job.referenceID)\" already has an active job (jobId \(existing)); "
                            + "the lines before it were imported")
                }
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a project's jobs in ascending id order, one JSON object per line.")

        @OptionGroup var storeOptions: StoreOptions
        @Option(name: .customLong("project"), help: "The project key.") var projectKey: String
        @Option(help: "Only jobs in this status (scheduled, running, completed, failed, cancelled).")
        var status: JobStatus?

        func run() throws {
            let store = try storeOptions.administration()
            let project = try store.existingProject(projectKey)
            var afterID: Int64 = 0
            while true {
                let batch = try store.jobs(projectID: project.id, status: status, afterID: afterID, limit: 500)
                for job in batch { Output.job(job) }
                guard let last = batch.last, batch.count == 500 else { break }
                afterID = last.id
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a job.")

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "The job's id.") var jobID: Int64

        func run() throws {
            guard let job = try storeOptions.administration().job(id: jobID) else {
                throw CLIError("no job with id \(jobID)")
            }
            Output.job(job)
        }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a scheduled or running job, as the API's cancel does.")

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
