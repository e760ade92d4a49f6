import JobsCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The program that carries out one action: `--action NAME=EXECUTABLE`.
public struct ActionProgram: Sendable, Equatable, CustomStringConvertible {
    /// The action it carries out.
    public var action: JobAction
    /// The absolute path of the executable, run directly (no shell).
    public var executable: String

    /// A program for `action`, taken as it is (no check).
    public init(action: JobAction, executable: String) {
        self.action = action
        self.executable = executable
    }

    /// Reads `NAME=EXECUTABLE`. A relative path is taken from `directory` (the working directory when `nil`);
    /// the file must be executable: a typo is reported when the worker starts, not as a failed job at night.
    public init(parsing text: String, relativeTo directory: String? = nil) throws(WorkerError) {
        guard let equals = text.firstIndex(of: "=") else {
            throw WorkerError("\"\(text)\" is not NAME=EXECUTABLE (for example delete_user_data=/usr/local/lib/jobs-api/actions/delete-user-data)")
        }
        let name = String(text[..<equals])
        let path = String(text[text.index(after: equals)...])
        guard JobAction.isValidName(name) else {
            throw WorkerError("\"\(name)\" is not an action name (1–\(Job.maximumActionLength) letters, digits, _ . -)")
        }
        guard !path.isEmpty else { throw WorkerError("no executable given for action \(name)") }
        let absolute: String
        if path.hasPrefix("/") {
            absolute = path
        } else {
            guard let base = directory ?? Self.workingDirectory() else {
                throw WorkerError.system("getcwd")
            }
            absolute = base.hasSuffix("/") ? base + path : base + "/" + path
        }
        var info = stat()
        guard stat(absolute, &info) == 0 else {
            throw WorkerError.system("the program for action \(name), \(absolute)")
        }
        guard info.st_mode & S_IFMT == S_IFREG, access(absolute, X_OK) == 0 else {
            throw WorkerError("the program for action \(name), \(absolute), is not an executable file")
        }
        self.init(action: JobAction(rawValue: name), executable: absolute)
    }

    /// `NAME=EXECUTABLE`, as given.
    public var description: String { "\(action.rawValue)=\(executable)" }

    private static func workingDirectory() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
