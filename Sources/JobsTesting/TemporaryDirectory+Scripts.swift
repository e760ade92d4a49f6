import Foundation

extension TemporaryDirectory {
    /// Writes `contents` to the file `name` in the directory, made executable (0755), and returns its path: a test's
    /// action program (start it with a `#!` line).
    @discardableResult
    package func writeExecutable(_ name: String, _ contents: String) throws -> String {
        try write(name, contents, mode: 0o755)
        return appending(name)
    }

    /// The text of the file `name` in the directory, or `nil` when it does not exist (yet).
    package func contents(of name: String) -> String? {
        try? String(contentsOfFile: appending(name), encoding: .utf8)
    }

    /// Writes `text` to the file `name` in the directory (mode 0644 unless `mode` says otherwise), replacing it.
    package func write(_ name: String, _ text: String = "", mode: Int = 0o644) throws {
        let path = appending(name)
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        } catch {
            throw JobsTestingError("cannot write \(path): \(error)")
        }
    }

    /// Whether the file `name` exists in the directory.
    package func exists(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: appending(name))
    }
}
