import ArgumentParser
import JobsCore

/// `jobsctl key …`: organization API keys. A key is shown once, when created; the store keeps only its hash.
struct Key: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage organization API keys.",
        discussion: """
            Example:
              jobsctl key create --org 1
              jobsctl key rotate 3 --grace 24h
            """,
        subcommands: [Create.self, List.self, Revoke.self, Rotate.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an API key. The key is printed this once: store it safely.",
            discussion: """
                Prints {"keyId","orgId","key"}.

                Example:
                  jobsctl key create --org 1
                """)

        @OptionGroup var storeOptions: StoreOptions
        @Option(name: .customLong("org"), parsing: .unconditional, help: "The organization's id.") var orgID: Int64

        func validate() throws { try checkID(orgID, "--org") }

        func run() throws {
            let store = try storeOptions.administration()
            guard try store.organization(id: orgID) != nil else { throw CLIError("no organization with id \(orgID)") }
            let key = APIKey.generate()
            let record = try store.createAPIKey(organizationID: orgID, hash: key.hash, hint: key.hint, at: JobsAPI.now())
            Output.line { writer in
                writer.raw("{"); writer.key("keyId"); writer.integer(record.id)
                writer.raw(","); writer.key("orgId"); writer.integer(record.organizationID)
                writer.raw(","); writer.key("key"); writer.string(key.secret)
                writer.raw("}")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List an organization's keys, one JSON object per line (no secrets).",
            discussion: """
                Each line: {"keyId","orgId","hint","createdAt","revokedAt","expiresAt"}; a key works while it is \
                not revoked and before its expiresAt (set by a rotation with a grace period).

                Example:
                  jobsctl key list --org 1
                """)

        @OptionGroup var storeOptions: StoreOptions
        @Option(name: .customLong("org"), parsing: .unconditional, help: "The organization's id.") var orgID: Int64

        func validate() throws { try checkID(orgID, "--org") }

        func run() throws {
            let store = try storeOptions.administration()
            guard try store.organization(id: orgID) != nil else { throw CLIError("no organization with id \(orgID)") }
            for record in try store.apiKeys(organizationID: orgID) { Output.key(record) }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a key: the next request with it is refused, in every process.",
            discussion: """
                Prints the key's record. A key revoked already is an error, and keeps its first revocation time.

                Example:
                  jobsctl key revoke 3
                """)

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "The key's id (keyId).") var keyID: Int64

        func run() throws {
            switch try storeOptions.administration().revokeAPIKey(id: keyID, at: JobsAPI.now()) {
            case .revoked(let record):
                Output.key(record)
            case .alreadyRevoked(let record):
                throw CLIError(
                    "key \(keyID) was revoked already, at \(TimeArgument.iso8601Text(record.revokedAt ?? 0)); "
                        + "nothing changed")
            case .notFound:
                throw CLIError("no API key with id \(keyID)")
            }
        }
    }

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace a key with a new one of the same organization. The new key is printed this once.",
            discussion: """
                Prints {"keyId","orgId","key","replacedKeyId","replacedKeyStopsAt"}. Without --grace the old key \
                is revoked at once; with it, the old key keeps working until the grace period ends (its \
                expiresAt), so that clients can switch to the new one. Both happen in one transaction. A revoked \
                or expired key cannot be rotated: create a new one with `jobsctl key create`.

                Example:
                  jobsctl key rotate 3 --grace 24h
                """)

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "The id (keyId) of the key to replace.") var keyID: Int64
        @Option(
            parsing: .unconditional,
            help: ArgumentHelp(
                "How long the old key keeps working: 0s (the default: it stops at once), 90s, 15m, 24h, 7d; at most 366d.",
                valueName: "duration"))
        var grace: String?

        func validate() throws {
            if let grace { _ = try DurationArgument.parse(grace, option: "--grace") }
        }

        func run() throws {
            let store = try storeOptions.administration()
            let now = JobsAPI.now()
            let graceMilliseconds = try grace.map { try DurationArgument.parse($0, option: "--grace") } ?? 0
            let key = APIKey.generate()
            let outcome = try store.rotateAPIKey(
                id: keyID, hash: key.hash, hint: key.hint, at: now,
                oldKeyExpiresAt: graceMilliseconds > 0 ? now + graceMilliseconds : nil)
            switch outcome {
            case .rotated(let old, let new):
                Output.line { writer in
                    writer.raw("{"); writer.key("keyId"); writer.integer(new.id)
                    writer.raw(","); writer.key("orgId"); writer.integer(new.organizationID)
                    writer.raw(","); writer.key("key"); writer.string(key.secret)
                    writer.raw(","); writer.key("replacedKeyId"); writer.integer(old.id)
                    writer.raw(","); writer.key("replacedKeyStopsAt"); writer.integer(old.revokedAt ?? old.expiresAt)
                    writer.raw("}")
                }
            case .notActive(let record):
                let state = record.revokedAt.map { "was revoked at \(TimeArgument.iso8601Text($0))" }
                    ?? "expired at \(TimeArgument.iso8601Text(record.expiresAt ?? 0))"
                throw CLIError(
                    "key \(keyID) \(state): nothing to rotate; create a new key with "
                        + "`jobsctl key create --org \(record.organizationID)`")
            case .notFound:
                throw CLIError("no API key with id \(keyID)")
            }
        }
    }
}

/// Refuses an id below 1 with a message naming the option (ids start at 1).
func checkID(_ id: Int64, _ option: String) throws {
    guard id >= 1 else { throw ValidationError("\(option) \(id): must be an id, 1 or more") }
}
