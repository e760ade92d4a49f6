import ArgumentParser
import JobsCore

extension JobCommand {
    /// `jobsctl job purge`: deletes finished jobs in batches, each its own short transaction.
    struct Purge: ParsableCommand {
        /// The largest batch: bounds how long one transaction holds the store's write lock.
        static let maximumBatchSize = 100_000

        static let configuration = CommandConfiguration(
            abstract: "Delete the jobs that finished (completed, failed, cancelled) before a time, in every project.",
            discussion: """
                A job finished at its updatedAt; a job imported finished without one, at its createdAt. The time \
                must be in the past. Deletes in batches of --batch-size jobs, the oldest positions of each \
                project first, each batch one short transaction: the API keeps answering in between, and list \
                pages stay dense (the jobs that stay move up, in order). Prints {"deleted":N} with the total; \
                with --dry-run, deletes nothing and prints {"wouldDelete":N}.

                Example:
                  jobsctl job purge --finished-before 2026-01-01T00:00:00Z --dry-run
                """)

        @OptionGroup var storeOptions: StoreOptions
        @Option(
            parsing: .unconditional,
            help: ArgumentHelp(
                "Delete jobs that finished before this time: an ISO 8601 date-time (2026-01-01T00:00:00Z) or date, or milliseconds since the epoch; not in the future.",
                valueName: "time"))
        var finishedBefore: String
        @Option(parsing: .unconditional, help: "Jobs deleted per transaction (1–\(maximumBatchSize)).")
        var batchSize: Int = 1000
        @Flag(help: "Delete nothing: print how many jobs would be deleted.")
        var dryRun = false

        func validate() throws {
            guard (1...Self.maximumBatchSize).contains(batchSize) else {
                throw ValidationError("--batch-size \(batchSize): must be 1 to \(Self.maximumBatchSize)")
            }
            let cutoff = try TimeArgument.parse(finishedBefore, option: "--finished-before")
            let now = JobsAPI.now()
            guard cutoff <= now else {
                throw ValidationError(
                    "--finished-before \(finishedBefore) is \(TimeArgument.iso8601Text(cutoff)), in the future "
                        + "(now is \(TimeArgument.iso8601Text(now))): no job can have finished then; give a past time")
            }
        }

        func run() throws {
            let store = try storeOptions.administration()
            let cutoff = try TimeArgument.parse(finishedBefore, option: "--finished-before")
            if dryRun {
                let count = try store.countFinishedJobs(before: cutoff)
                try Output.line(["wouldDelete": count])
                return
            }
            var total = 0
            while true {
                let deleted = try store.purgeFinishedJobs(before: cutoff, limit: batchSize)
                guard deleted > 0 else { break }
                total += deleted
            }
            try Output.line(["deleted": total])
        }
    }
}
