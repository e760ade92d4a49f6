import Foundation
import JobsCore

/// Writes JSON to standard output, one document per line.
enum Output {
    static func line(_ write: (inout JSONWriter) -> Void) {
        var writer = JSONWriter()
        write(&writer)
        writer.raw("\n")
        FileHandle.standardOutput.write(Data(writer.bytes))
    }

    static func job(_ job: Job) {
        line { job.write(to: &$0) }
    }

    static func organization(_ organization: Organization) {
        line { write(organization, to: &$0) }
    }

    static func write(_ organization: Organization, to writer: inout JSONWriter) {
        writer.raw("{"); writer.key("orgId"); writer.integer(organization.id)
        writer.raw(","); writer.key("name"); writer.string(organization.name)
        writer.raw(","); writer.key("createdAt"); writer.integer(organization.createdAt)
        writer.raw("}")
    }

    static func project(_ project: Project) {
        line { write(project, to: &$0) }
    }

    static func write(_ project: Project, to writer: inout JSONWriter) {
        writer.raw("{"); writer.key("projectId"); writer.integer(project.id)
        writer.raw(","); writer.key("projectKey"); writer.string(project.key.rawValue)
        writer.raw(","); writer.key("name"); writer.string(project.name)
        writer.raw(","); writer.key("orgId"); writer.integer(project.organizationID)
        writer.raw("}")
    }

    /// A key record: never the secret.
    static func key(_ record: APIKeyRecord) {
        line { write(record, to: &$0) }
    }

    static func write(_ record: APIKeyRecord, to writer: inout JSONWriter) {
        writer.raw("{"); writer.key("keyId"); writer.integer(record.id)
        writer.raw(","); writer.key("orgId"); writer.integer(record.organizationID)
        writer.raw(","); writer.key("hint"); writer.string(record.hint)
        writer.raw(","); writer.key("createdAt"); writer.integer(record.createdAt)
        writer.raw(","); writer.key("revokedAt"); writer.integer(record.revokedAt)
        writer.raw(","); writer.key("expiresAt"); writer.integer(record.expiresAt)
        writer.raw("}")
    }

    /// Writes many lines to standard output in large writes: one `write(2)` per 64 KiB, not per line.
    struct Lines {
        private var pending: [UInt8] = []

        init() { pending.reserveCapacity(Self.chunk + 4096) }

        private static let chunk = 64 * 1024

        /// Adds one JSON document and its newline; writes what is pending once it passes the chunk size.
        mutating func line(_ write: (inout JSONWriter) -> Void) {
            var writer = JSONWriter()
            write(&writer)
            writer.raw("\n")
            pending.append(contentsOf: writer.bytes)
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

    /// `text` as a JSON string literal: quoted, with control characters escaped, so that a message naming an
    /// untrusted value (a user id, a name) stays on one line.
    static func quoted(_ text: String) -> String {
        var writer = JSONWriter()
        writer.string(text)
        return writer.text
    }
}
