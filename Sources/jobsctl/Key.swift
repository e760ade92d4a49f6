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
                Prints {"key","keyId","orgId"}.

                Example:
                  jobsctl key create --org 1
                """)

        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var organization: OrganizationOption

        func run() throws {
            let (store, orgID) = try organization.open(storeOptions)
            let key = APIKey.generate()
            let record = try store.createAPIKey(organizationID: orgID, hash: key.hash, hint: key.hint, at: JobsAPI.now())
            try Output.line(NewKeyOutput(keyId: record.id, orgId: record.organizationID, key: key.secret))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List an organization's keys, one JSON object per line (no secrets).",
            discussion: """
                Each line: {"createdAt","expiresAt","hint","keyId","orgId","revokedAt"}; a key works while it is \
                not revoked and before its expiresAt (set by a rotation with a grace period).

                Example:
                  jobsctl key list --org 1
                """)

        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var organization: OrganizationOption

        func run() throws {
            let (store, orgID) = try organization.open(storeOptions)
            try Output.lines(store.apiKeys(organizationID: orgID).map(KeyRecordOutput.init))
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
                try Output.line(KeyRecordOutput(record))
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
                Prints {"key","keyId","orgId","replacedKeyId","replacedKeyStopsAt"}. Without --grace the old key \
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
                try Output.line(
                    NewKeyOutput(
                        keyId: new.id, orgId: new.organizationID, key: key.secret, replacedKeyId: old.id,
                        replacedKeyStopsAt: old.revokedAt ?? old.expiresAt))
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

/// `--org ID`: an organization's id, 1 or more.
struct OrganizationOption: ParsableArguments {
    @Option(name: .customLong("org"), parsing: .unconditional, help: "The organization's id.") var orgID: Int64

    func validate() throws { try checkID(orgID, "--org") }

    /// The store, and the organization's id once the store has it (an error otherwise).
    func open(_ storeOptions: StoreOptions) throws -> (any StoreAdministration, Int64) {
        let store = try storeOptions.administration()
        return (store, try store.existingOrganization(orgID).id)
    }
}

/// A record's id as the one positional argument. `-1` is taken as a value, not an option, so that it gets a
/// clear refusal instead of argument-parser's "Missing expected argument".
struct IDArgument: ParsableArguments {
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("The id.", valueName: "id")) var values: [String] = []

    /// The id, once ``validate()`` passed.
    var value: Int64 { Int64(values[0]) ?? 0 }

    func validate() throws {
        guard values.count == 1 else {
            throw ValidationError(values.isEmpty ? "Missing expected argument '<id>'" : "expected one id, got \(values.count)")
        }
        guard let id = Int64(values[0]), id >= 1 else {
            throw ValidationError("\(values[0]): must be an id, 1 or more")
        }
    }
}

extension StoreAdministration {
    /// The organization with this id, or an error naming it.
    func existingOrganization(_ id: Int64) throws -> Organization {
        guard let organization = try organization(id: id) else { throw CLIError("no organization with id \(id)") }
        return organization
    }
}

/// Refuses an id below 1 with a message naming the option (ids start at 1).
func checkID(_ id: Int64, _ option: String) throws {
    guard id >= 1 else { throw ValidationError("\(option) \(id): must be an id, 1 or more") }
}
