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
                A job finished at its updatedAt; a job imported finished without one, at its createdAt. Give \
                the cut-off as a time (--finished-before, in the past) or as an age (--older-than: jobs that \
                finished longer ago than that). Deletes in batches of --batch-size jobs, the oldest positions of \
                each project first, each batch one short transaction: the API keeps answering in between, and \
                list pages stay dense (the jobs that stay move up, in order). Prints {"deleted":N} with the \
                total; with --dry-run, deletes nothing and prints {"wouldDelete":N}. On SQLite the purged rows are then \
                erased from the store's files (zeroed, and the log truncated). A finished job keeps the \
                user id it deleted in its referenceId until it is purged: deploy/systemd/jobs-purge.timer runs \
                this daily with the age in JOBS_PURGE_OLDER_THAN. Every purge also deletes the stored answers of \
                Idempotency-Keys (they hold the user id too) stored 24 hours ago or more, or before the cut-off when \
                that is more recent.

                Example:
                  jobsctl job purge --finished-before 2026-01-01T00:00:00Z --dry-run
                  jobsctl job purge --older-than 30d
                """)

        /// The longest age `--older-than` takes: a hundred years.
        static let maximumAge: Int64 = 100 * 365 * 86_400_000

        @OptionGroup var storeOptions: StoreOptions
        @Option(
            parsing: .unconditional,
            help: ArgumentHelp(
                "Delete jobs that finished before this time: an ISO 8601 date-time (2026-01-01T00:00:00Z) or date, or milliseconds since the epoch; not in the future.",
                valueName: "time"))
        var finishedBefore: String?
        @Option(
            parsing: .unconditional,
            help: ArgumentHelp(
                "Delete jobs that finished longer ago than this: a whole number with s, m, h or d (12h, 30d).",
                valueName: "age"))
        var olderThan: String?
        @Option(parsing: .unconditional, help: "Jobs deleted per transaction (1–\(maximumBatchSize)).")
        var batchSize: Int = 1000
        @Flag(help: "Delete nothing: print how many jobs would be deleted.")
        var dryRun = false

        func validate() throws {
            guard (1...Self.maximumBatchSize).contains(batchSize) else {
                throw ValidationError("--batch-size \(batchSize): must be 1 to \(Self.maximumBatchSize)")
            }
            _ = try cutoff(now: JobsAPI.now())
        }

        /// The cut-off in milliseconds since the epoch, from whichever of the two options was given.
        func cutoff(now: Int64) throws -> Int64 {
            switch (finishedBefore, olderThan) {
            case (nil, nil):
                throw ValidationError("give --finished-before TIME or --older-than AGE")
            case (.some, .some):
                throw ValidationError("give --finished-before or --older-than, not both")
            case (let text?, nil):
                let cutoff = try TimeArgument.parse(text, option: "--finished-before")
                guard cutoff <= now else {
                    throw ValidationError(
                        "--finished-before \(text) is \(TimeArgument.iso8601Text(cutoff)), in the future "
                            + "(now is \(TimeArgument.iso8601Text(now))): no job can have finished then; give a past time")
                }
                return cutoff
            case (nil, let text?):
                guard let age = Self.age(text) else {
                    throw ValidationError(
                        "--older-than \(text): must be a whole number from 1 with a unit s, m, h or d (12h, 30d), "
                            + "at most 100 years")
                }
                return max(0, now - age)
            }
        }

        /// The time at or before which stored `Idempotency-Key`s are deleted: their 24-hour lifetime, or the jobs'
        /// cut-off when that is more recent.
        static func idempotencyKeyCutoff(now: Int64, jobsCutoff: Int64) -> Int64 {
            max(now - IdempotentRequest.lifetime, jobsCutoff)
        }

        /// `12h`, `30d`… in milliseconds: 1 or more of a unit, at most ``maximumAge``.
        static func age(_ text: String) -> Int64? {
            let units: [(suffix: UInt8, milliseconds: Int64)] = [
                (UInt8(ascii: "s"), 1_000), (UInt8(ascii: "m"), 60_000), (UInt8(ascii: "h"), 3_600_000),
                (UInt8(ascii: "d"), 86_400_000),
            ]
            let digits = text.utf8.dropLast()
            guard let last = text.utf8.last, let unit = units.first(where: { $0.suffix == last }),
                !digits.isEmpty, digits.allSatisfy({ (0x30...0x39).contains($0) }),
                let amount = Int64(String(decoding: digits, as: UTF8.self)), amount >= 1,
                amount <= maximumAge / unit.milliseconds
            else { return nil }
            return amount * unit.milliseconds
        }

        func run() throws {
            let store = try storeOptions.administration()
            let before = try cutoff(now: JobsAPI.now())
            if dryRun {
                let count = try store.countFinishedJobs(before: before)
                try Output.line(["wouldDelete": count])
                return
            }
            // Idempotency-Keys are replayed for 24 hours; older ones, and the answers (user ids) stored with
            // them, go with every purge. So do those stored before the cut-off when it is more recent (an
            // --older-than under 24 h): nothing about a person outlives the retention the operator set.
            let keys = try store.purgeIdempotencyKeys(
                storedAtOrBefore: Self.idempotencyKeyCutoff(now: JobsAPI.now(), jobsCutoff: before))
            var total = 0
            while true {
                let deleted = try store.purgeFinishedJobs(before: before, limit: batchSize)
                guard deleted > 0 else { break }
                total += deleted
            }
            // What was deleted must not stay readable in the store's files (SQLite's log keeps it until a checkpoint).
            if total + keys > 0, try store.eraseDeletedData() == false {
                Output.note(
                    "note: other connections kept the store's log busy: the purged jobs may stay in its -wal file "
                        + "until its next checkpoint; run the purge again later to erase them now")
            }
            try Output.line(["deleted": total])
        }
    }
}
