/// The package's source tree, for the scripts the tests run as a user would (`deploy/*.sh`, `nginx/`).
package enum SourceTree {
    /// The repository root: this file is `Sources/JobsTesting/SourceTree.swift` inside it.
    package static let root: String = {
        var components = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        components.removeLast(3)
        return components.joined(separator: "/")
    }()

    /// The absolute path of `relativePath` inside the repository.
    package static func path(_ relativePath: String) -> String {
        root + "/" + relativePath
    }
}
