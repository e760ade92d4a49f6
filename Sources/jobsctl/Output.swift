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
        line { writer in
            writer.raw("{"); writer.key("orgId"); writer.integer(organization.id)
            writer.raw(","); writer.key("name"); writer.string(organization.name)
            writer.raw(","); writer.key("createdAt"); writer.integer(organization.createdAt)
            writer.raw("}")
        }
    }

    static func project(_ project: Project) {
        line { writer in
            writer.raw("{"); writer.key("projectId"); writer.integer(project.id)
            writer.raw(","); writer.key("projectKey"); writer.string(project.key.rawValue)
            writer.raw(","); writer.key("name"); writer.string(project.name)
            writer.raw(","); writer.key("orgId"); writer.integer(project.organizationID)
            writer.raw("}")
        }
    }

    /// A key record: never the secret.
    static func key(_ record: APIKeyRecord) {
        line { writer in
            writer.raw("{"); writer.key("keyId"); writer.integer(record.id)
            writer.raw(","); writer.key("orgId"); writer.integer(record.organizationID)
            writer.raw(","); writer.key("hint"); writer.string(record.hint)
            writer.raw(","); writer.key("createdAt"); writer.integer(record.createdAt)
            writer.raw(","); writer.key("revokedAt"); writer.integer(record.revokedAt)
            writer.raw("}")
        }
    }
}
