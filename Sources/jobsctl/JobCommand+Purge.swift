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
                Deletes in batches of --batch-size jobs, the oldest positions of each project first, each batch \
                one short transaction: the API keeps answering in between, and list pages stay dense (the jobs \
                that stay move up, in order). Prints {"deleted":N} with the total.
                """)

        @OptionGroup var storeOptions: StoreOptions
        @Option(help: "Delete jobs whose updatedAt is before this time, in milliseconds since the epoch.")
        var finishedBefore: Int64
        @Option(help: "Jobs deleted per transaction (1–\(maximumBatchSize)).")
        var batchSize: Int = 1000

        func validate() throws {
            guard (1...Self.maximumBatchSize).contains(batchSize) else {
                throw ValidationError("--batch-size must be 1 to \(Self.maximumBatchSize)")
            }
        }

        func run() throws {
            let store = try storeOptions.administration()
            var total = 0
            while true {
                let deleted = try store.purgeFinishedJobs(before: finishedBefore, limit: batchSize)
                guard deleted > 0 else { break }
                total += deleted
            }
            Output.line { writer in
                writer.raw("{"); writer.key("deleted"); writer.integer(Int64(total)); writer.raw("}")
            }
        }
    }
}
