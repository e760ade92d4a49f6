import Foundation
import JobsCore

/// Writes JSON to standard output, one document per line, keys in sorted order.
enum Output {
    /// The encoder of every line but a job's (whose JSON is the API's own, ``Job/write(to:)``).
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// Writes `value` as one line.
    static func line(_ value: some Encodable) throws {
        var lines = Lines()
        try lines.line(value)
        lines.flush()
    }

    /// Writes each of `values` as a line, in large writes.
    static func lines(_ values: some Sequence<some Encodable>) throws {
        var lines = Lines()
        for value in values { try lines.line(value) }
        lines.flush()
    }

    /// Writes `job` as one line, as the API shows it.
    static func job(_ job: Job) {
        var lines = Lines()
        lines.line(job)
        lines.flush()
    }

    /// Writes many lines to standard output in large writes: one `write(2)` per 64 KiB, not per line.
    struct Lines {
        private var pending: [UInt8] = []
        private let encoder = Output.encoder()

        init() { pending.reserveCapacity(Self.chunk + 4096) }

        private static let chunk = 64 * 1024

        /// Adds `value` as one JSON document and its newline.
        mutating func line(_ value: some Encodable) throws {
            append(Array(try encoder.encode(value)))
        }

        /// Adds `job` as the API shows it, and a newline.
        mutating func line(_ job: Job) {
            var writer = JSONWriter()
            job.write(to: &writer)
            append(writer.bytes)
        }

        private mutating func append(_ document: [UInt8]) {
            pending.append(contentsOf: document)
            pending.append(UInt8(ascii: "\n"))
            if pending.count >= Self.chunk { flush() }
        }

        /// Writes what is pending.
        mutating func flush() {
            guard !pending.isEmpty else { return }
            FileHandle.standardOutput.write(Data(pending))
            pending.removeAll(keepingCapacity: true)
        }
    }

    /// A line on standard error, for what is not the command's result: a warning, a count.
    static func note(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Writes a record just created (`name` in messages), then a warning on standard error for each namesake:
    /// `warning: NAMESAKE too; NAME was created all the same`.
    static func created(_ value: some Encodable, name: String, namesakes: [String]) throws {
        try line(value)
        for namesake in namesakes { note("warning: \(namesake) too; \(name) was created all the same") }
    }

    /// `text` as a JSON string literal: quoted, with control characters escaped, so that a message naming an
    /// untrusted value (a user id, a name) stays on one line.
    static func quoted(_ text: String) -> String {
        var writer = JSONWriter()
        writer.string(text)
        return writer.text
    }
}

/// `{"createdAt","name","orgId"}`.
struct OrganizationOutput: Encodable {
    let orgId: Int64, name: String, createdAt: Int64
    /// Absent when the organization has no limit.
    let activeJobLimit: Int64?
}

extension OrganizationOutput {
    init(_ organization: Organization) {
        self.init(
            orgId: organization.id, name: organization.name, createdAt: organization.createdAt,
            activeJobLimit: organization.activeJobLimit)
    }
}

/// `{"name","orgId","projectId","projectKey"}`.
struct ProjectOutput: Encodable {
    let projectId: Int64, projectKey: String, name: String, orgId: Int64
}

extension ProjectOutput {
    init(_ project: Project) {
        self.init(
            projectId: project.id, projectKey: project.key.rawValue, name: project.name, orgId: project.organizationID)
    }
}

/// A key record, never the secret: `{"createdAt","expiresAt","hint","keyId","orgId","revokedAt"}`, the times
/// `null` when unset.
struct KeyRecordOutput: Encodable {
    let record: APIKeyRecord

    init(_ record: APIKeyRecord) { self.record = record }

    private enum CodingKeys: String, CodingKey {
        case keyId, orgId, hint, createdAt, revokedAt, expiresAt
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(record.id, forKey: .keyId)
        try container.encode(record.organizationID, forKey: .orgId)
        try container.encode(record.hint, forKey: .hint)
        try container.encode(record.createdAt, forKey: .createdAt)
        // `encode`, not the synthesized `encodeIfPresent`: an unset time is `null`, not a missing key.
        try container.encode(record.revokedAt, forKey: .revokedAt)
        try container.encode(record.expiresAt, forKey: .expiresAt)
    }
}

/// A new key, shown this once: `{"key","keyId","orgId"}`, with `{"replacedKeyId","replacedKeyStopsAt"}` after a
/// rotation.
struct NewKeyOutput: Encodable {
    let keyId: Int64
    let orgId: Int64
    let key: String
    var replacedKeyId: Int64?
    var replacedKeyStopsAt: Int64?
}
