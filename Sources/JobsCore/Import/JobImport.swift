import Foundation

/// Reads the JSON Lines that `jobsctl job import` takes: one job per line, in the API's shape.
///
/// Every stored job keeps the bounds of ``Job``: `referenceId` as the API's `userId` (1–256 Unicode scalars, no
/// NUL), `description` at most ``Job/maximumDescriptionBytes`` and `errors` at most ``Job/maximumErrorsBytes``
/// bytes without NUL (which PostgreSQL cannot store), `action` a name a worker can run.
/// `referenceId` and `status` are required. `description`, `action`, `createdAt`, `updatedAt`, `startAt` and
/// `errors` take their defaults when missing; `jobId` and `projectId` are accepted and ignored (the store
/// assigns the id, the command names the project), so the API's own output can be imported as it is. Any other
/// key is refused, so that a typo does not silently drop a field.
public enum JobImport {
    /// A line that cannot be imported, with the reason.
    public struct LineError: Error, CustomStringConvertible, Equatable, Sendable {
        public var line: Int
        public var reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    static let knownKeys: Set<String> = [
        "jobId", "description", "status", "projectId", "action", "referenceId", "createdAt", "updatedAt",
        "startAt", "errors",
    ]

    /// Reads a JSON Lines document as `jobsctl job import` does: lines split at `\n`, blank ones (whitespace
    /// only) skipped, numbered from 1. Throws for the first line that cannot be imported.
    public static func parse(lines text: String, now: Int64) throws(LineError) -> [(line: Int, job: NewJob)] {
        try parse(bytes: Array(text.utf8), now: now)
    }

    /// ``parse(lines:now:)`` over the document's bytes, each line decoded on its own: a line that is not UTF-8
    /// is refused by its number, and the document is never held twice (as bytes and as one string).
    public static func parse(bytes: [UInt8], now: Int64) throws(LineError) -> [(line: Int, job: NewJob)] {
        let document = try parseDocument(bytes: bytes, now: now)
        return Array(zip(document.lines, document.jobs))
    }

    /// ``parse(bytes:now:)`` as two arrays, the jobs and the number of the line of each: what an import of
    /// millions of lines keeps in memory while it stores them.
    public static func parseDocument(bytes: [UInt8], now: Int64) throws(LineError) -> (lines: [Int], jobs: [NewJob]) {
        var lines: [Int] = []
        var jobs: [NewJob] = []
        var start = 0
        var number = 0
        while start <= bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            number += 1
            let line = bytes[start..<end]
            start = end + 1
            guard !line.allSatisfy(isBlank) else { continue }
            guard let text = String(validating: line, as: UTF8.self) else {
                throw LineError(line: number, reason: "not UTF-8")
            }
            jobs.append(try parse(line: text, number: number, now: now))
            lines.append(number)
        }
        return (lines, jobs)
    }

    /// Space, tab, carriage return and the other white space a line may hold and still count as blank.
    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }

    /// Reads one line. `now` is the default `createdAt`; `startAt` defaults to the next midnight UTC after
    /// `createdAt`, as for a job created by the API.
    public static func parse(line text: String, number: Int, now: Int64) throws(LineError) -> NewJob {
        func fail(_ reason: String) -> LineError { LineError(line: number, reason: reason) }

        guard let data = text.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data, options: []),
            let fields = object as? [String: Any]
        else { throw fail("not a JSON object") }

        if let unknown = fields.keys.sorted().first(where: { !knownKeys.contains($0) }) {
            throw fail("unknown field \"\(unknown)\"")
        }

        func string(_ key: String, required: Bool) throws(LineError) -> String?? {
            guard let value = fields[key] else {
                if required { throw fail("\"\(key)\" is required") }
                return .none
            }
            if value is NSNull { return .some(nil) }
            guard let text = value as? String else { throw fail("\"\(key)\" must be a string") }
            return .some(text)
        }

        func integer(_ key: String) throws(LineError) -> Int64?? {
            guard let value = fields[key] else { return .none }
            if value is NSNull { return .some(nil) }
            // JSONSerialization gives NSNumber for numbers and booleans alike: accept integral numbers only.
            guard let number = value as? NSNumber, isNumberNotBoolean(number),
                let exact = Int64(exactly: number.doubleValue), number.stringValue == String(exact)
            else { throw fail("\"\(key)\" must be an integer (milliseconds since the epoch)") }
            guard Job.timeRange.contains(exact) else {
                throw fail(
                    "\"\(key)\" must be from \(Job.timeRange.lowerBound) (1970-01-01T00:00:00Z) to "
                        + "\(Job.timeRange.upperBound) (9999-12-31T23:59:59.999Z), milliseconds since the epoch")
            }
            return .some(exact)
        }

        guard case .some(.some(let referenceID)) = try string("referenceId", required: true) else {
            throw fail("\"referenceId\" must be a string")
        }
        guard Job.isValidReferenceID(referenceID) else {
            throw fail("\"referenceId\" must be 1–\(Job.maximumReferenceIDLength) characters without NUL, as the API's userId")
        }
        guard case .some(.some(let statusText)) = try string("status", required: true),
            let status = JobStatus(rawValue: statusText)
        else {
            throw fail("\"status\" must be one of \(JobStatus.allCases.map(\.rawValue).joined(separator: ", "))")
        }

        let action: JobAction
        switch try string("action", required: false) {
        case .none: action = .deleteUserData
        case .some(.none): throw fail("\"action\" must be a string")
        case .some(.some(let name)):
            guard JobAction.isValidName(name) else {
                throw fail(
                    "\"action\" must be 1–\(Job.maximumActionLength) letters, digits, _ . - (a name a worker's --action can run)")
            }
            action = name == JobAction.deleteUserData.rawValue ? .deleteUserData : JobAction(rawValue: name)
        }
        let description: String
        switch try string("description", required: false) {
        case .none, .some(.none): description = action.description(referenceID: referenceID)
        case .some(.some(let text)): description = text
        }
        guard description.utf8.count <= Job.maximumDescriptionBytes else {
            throw fail("\"description\" is longer than \(Job.maximumDescriptionBytes) bytes (UTF-8)")
        }
        guard !description.utf8.contains(0) else { throw fail("\"description\" must not contain NUL") }
        let errors: String?
        switch try string("errors", required: false) {
        case .none: errors = nil
        case .some(let value): errors = value
        }
        if let errors {
            guard errors.utf8.count <= Job.maximumErrorsBytes else {
                throw fail("\"errors\" is longer than \(Job.maximumErrorsBytes) bytes (UTF-8)")
            }
            guard !errors.utf8.contains(0) else { throw fail("\"errors\" must not contain NUL") }
        }

        let createdAt: Int64
        switch try integer("createdAt") {
        case .none: createdAt = now
        case .some(.none): throw fail("\"createdAt\" must be an integer")
        case .some(.some(let value)): createdAt = value
        }
        let updatedAt: Int64?
        switch try integer("updatedAt") {
        case .none: updatedAt = nil
        case .some(let value): updatedAt = value
        }
        let startAt: Int64
        switch try integer("startAt") {
        case .none, .some(.none):
            // The next midnight after the last day of year 9999 is out of range: the job may start at its last
            // millisecond instead, so that what import stores it reads back.
            startAt = min(ScheduleDelay.nextMidnight.startAt(createdAt: createdAt), Job.timeRange.upperBound)
        case .some(.some(let value)): startAt = value
        }

        return NewJob(
            description: description, status: status, action: action, referenceID: referenceID,
            createdAt: createdAt, updatedAt: updatedAt, startAt: startAt, errors: errors)
    }
}

/// Booleans arrive as NSNumber too; `true` must not pass for 1.
private func isNumberNotBoolean(_ number: NSNumber) -> Bool {
    String(cString: number.objCType) != "c"
}
