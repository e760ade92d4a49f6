import Foundation

/// A new, empty directory of its own under the system's temporary directory, removed with everything in it by
/// ``remove()`` or, at the latest, when the value is released.
package final class TemporaryDirectory: Sendable {
    /// The absolute path of the directory.
    package let path: String

    /// Creates the directory, named `prefix` followed by a random suffix.
    package init(prefix: String = "jobs-tests") throws {
        var template = Array((FileManager.default.temporaryDirectory.path + "/\(prefix)-XXXXXX").utf8CString)
        guard let created = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw JobsTestingError("cannot create a temporary directory: \(String(cString: strerror(errno)))")
        }
        path = String(cString: created)
    }

    /// The path of `name` inside the directory.
    package func appending(_ name: String) -> String {
        path + "/" + name
    }

    /// Removes the directory and everything in it. Calling it again does nothing.
    package func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    deinit {
        remove()
    }
}
