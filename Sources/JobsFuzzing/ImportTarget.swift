import Foundation
import JobsCore

/// A `jobsctl job import` document, read as the command reads it (UTF-8, then ``JobImport/parse(lines:now:)``).
/// Every job it yields must come back equal after the API's JSON writer and the importer again: the shape the
/// API writes is the shape import reads.
enum ImportTarget {
    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        guard let text = String(data: Data(input), encoding: .utf8) else { return }
        guard let jobs = try? JobImport.parse(lines: text, now: FuzzFixture.now) else { return }
        for (line, job) in jobs {
            let stored = Job(
                id: Int64(line), description: job.description, status: job.status, projectID: 1, action: job.action,
                referenceID: job.referenceID, createdAt: job.createdAt, updatedAt: job.updatedAt,
                startAt: job.startAt, errors: job.errors)
            let again: NewJob
            do {
                again = try JobImport.parse(line: stored.jsonText, number: 1, now: 0)
            } catch {
                throw FuzzFinding("line \(line): the written job \(stored.jsonText) does not import: \(error)")
            }
            try require(
                same(again, job), "line \(line): \(job) came back as \(again) through \(stored.jsonText)")
        }
    }

    /// Equal field by field, strings compared scalar by scalar (Swift's `==` on strings is canonical equivalence).
    static func same(_ a: NewJob, _ b: NewJob) -> Bool {
        func scalars(_ text: String?) -> [Unicode.Scalar]? { text.map { Array($0.unicodeScalars) } }
        return scalars(a.description) == scalars(b.description) && a.status == b.status
            && scalars(a.action.rawValue) == scalars(b.action.rawValue)
            && scalars(a.referenceID) == scalars(b.referenceID) && a.createdAt == b.createdAt
            && a.updatedAt == b.updatedAt && a.startAt == b.startAt && scalars(a.errors) == scalars(b.errors)
    }
}
