import Foundation
import JobsCore

/// A request to the action runner, read from its first line (protocol v1: see ``ActionRunner``).
///
/// Every field is checked before anything runs: a request that is not exactly what a worker sends is refused
/// with a message (``Refusal``) and the connection closed. Nothing in it can make the runner trap: the line's
/// length is bounded before it is parsed, its nesting before it reaches the JSON parser, every number is read as
/// text and bounded.
package enum RunnerRequest: Equatable {
    /// `{"version":1,"list":true}`: which actions the runner runs.
    case list
    /// `{"version":1,"action":…,"variables":{…},"inputBytes":N,"errorsLimit":L}`: run a job.
    case run(Job)

    /// A job to run, as the request gave it.
    package struct Job: Equatable {
        /// The action whose program runs.
        package var action: JobAction
        /// The job's variables, in ``JobRun/jobVariables`` order, every one of them given.
        package var variables: [(name: String, value: String)]
        /// How many bytes of input follow the line.
        package var inputBytes: Int
        /// The most bytes of standard error the answer keeps.
        package var errorsLimit: Int

        package static func == (left: Job, right: Job) -> Bool {
            left.action == right.action && left.inputBytes == right.inputBytes && left.errorsLimit == right.errorsLimit
                && left.variables.map(\.name) == right.variables.map(\.name)
                && left.variables.map(\.value) == right.variables.map(\.value)
        }

        /// `job 12 (delete_user_data)`: how the runner's log names it. Never the reference id nor the input (they
        /// name a user); the job id only when it is a plain number.
        var subject: String {
            let id = variables.first { $0.name == "JOB_ID" }?.value ?? ""
            let shown = !id.isEmpty && id.utf8.count <= 19 && id.utf8.allSatisfy { (0x30...0x39).contains($0) }
            return "job \(shown ? id : "?") (\(action.rawValue))"
        }
    }

    /// The protocol's version, the first field of every request.
    static let version = 1
    /// The most bytes of the request line, its newline excluded.
    package static let maximumLineBytes = 64 * 1024
    /// The refusal (after `error `) of a connection beyond the runner's connections.
    static let busyAnswer = "busy"
    /// The refusal (after `error `) of a request that arrives while the runner stops.
    static let stoppingAnswer = "the action runner is stopping"
    /// The most bytes of input a job may send.
    package static let maximumInputBytes = 1024 * 1024

    /// Why a request is refused: the text of the `error` answer.
    package struct Refusal: Error, Equatable, CustomStringConvertible {
        /// The message, for the worker.
        package var description: String
        /// The message for the runner's log: without anything the request named (a field or variable name could
        /// be anything, a user's id too).
        var logged: String

        init(_ description: String, logged: String? = nil) {
            self.description = description
            self.logged = logged ?? description
        }
    }

    /// Reads a request line (without its newline).
    package init(line: [UInt8]) throws(Refusal) {
        guard line.count <= Self.maximumLineBytes else {
            throw Refusal("the request line is longer than \(Self.maximumLineBytes) bytes")
        }
        guard Self.nesting(of: line) <= 2 else { throw Refusal("the request is nested too deeply") }
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(line), options: []),
            let fields = parsed as? [String: Any]
        else { throw Refusal("the request is not a JSON object") }

        guard let version = fields["version"].flatMap(Self.integer), version == Int64(Self.version) else {
            throw Refusal("unsupported protocol version (this runner speaks version \(Self.version))")
        }
        if let list = fields["list"] {
            guard Self.isTrue(list), fields.count == 2 else { throw Refusal("a list request is {\"version\":1,\"list\":true}") }
            self = .list
            return
        }
        let known: Set<String> = ["version", "action", "variables", "inputBytes", "errorsLimit"]
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw Refusal("unknown field \"\(unknown)\"", logged: "an unknown field")
        }
        guard let action = fields["action"] as? String, JobAction.isValidName(action) else {
            throw Refusal("\"action\" must be an action name (1–\(JobsCore.Job.maximumActionLength) letters, digits, _ . -)")
        }
        guard let given = fields["variables"] as? [String: Any] else {
            throw Refusal("\"variables\" must be an object of strings")
        }
        if let unknown = given.keys.sorted().first(where: { !JobRun.jobVariables.contains($0) }) {
            throw Refusal(
                "unknown variable \"\(unknown)\" (only \(JobRun.jobVariables.joined(separator: ", ")))",
                logged: "an unknown variable")
        }
        var variables: [(name: String, value: String)] = []
        for name in JobRun.jobVariables {
            guard let value = given[name] as? String else { throw Refusal("variable \(name) must be given, as a string") }
            guard !value.utf8.contains(0) else { throw Refusal("variable \(name) contains a NUL character") }
            variables.append((name, value))
        }
        guard variables.first(where: { $0.name == "ACTION" })?.value == action else {
            throw Refusal("variable ACTION must be the request's action")
        }
        guard let inputBytes = fields["inputBytes"].flatMap(Self.integer), (0...Int64(Self.maximumInputBytes)).contains(inputBytes)
        else { throw Refusal("\"inputBytes\" must be a whole number, 0 to \(Self.maximumInputBytes)") }
        let limits = WorkerConfiguration.Bounds.errorsLimit
        guard let errorsLimit = fields["errorsLimit"].flatMap(Self.integer),
            (Int64(limits.lowerBound)...Int64(limits.upperBound)).contains(errorsLimit)
        else { throw Refusal("\"errorsLimit\" must be a whole number, \(limits.lowerBound) to \(limits.upperBound)") }
        self = .run(Job(
            action: JobAction(rawValue: action), variables: variables, inputBytes: Int(inputBytes),
            errorsLimit: Int(errorsLimit)))
    }

    /// The request line a worker sends for `job` (without the input that follows it), newline included.
    package static func line(for job: Job) -> [UInt8] {
        var variables: [String: String] = [:]
        for (name, value) in job.variables { variables[name] = value }
        let object: [String: Any] = [
            "version": version, "action": job.action.rawValue, "variables": variables, "inputBytes": job.inputBytes,
            "errorsLimit": job.errorsLimit,
        ]
        // Strings and integers only: serialization cannot fail.
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return Array(data) + [0x0A]
    }

    /// The list request's line, newline included.
    static let listLine = Array("{\"version\":1,\"list\":true}\n".utf8)

    /// An integer given as a JSON number: its text must be the integer's own (`12`, not `12.5`, `1e99`, `true`
    /// nor a number beyond 64 bits). `nil` otherwise.
    private static func integer(_ value: Any) -> Int64? {
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c" else { return nil }
        return Int64(number.stringValue)
    }

    /// Whether `value` is JSON's `true`.
    private static func isTrue(_ value: Any) -> Bool {
        guard let number = value as? NSNumber, String(cString: number.objCType) == "c" else { return false }
        return number.boolValue
    }

    /// How deeply objects and arrays nest in `line`, outside strings: read before the JSON parser, whose recursion
    /// a line of 64 KiB of `[` could exhaust.
    private static func nesting(of line: [UInt8]) -> Int {
        var depth = 0
        var deepest = 0
        var inString = false
        var escaped = false
        for byte in line {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                deepest = max(deepest, depth)
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            default: break
            }
        }
        return deepest
    }
}
