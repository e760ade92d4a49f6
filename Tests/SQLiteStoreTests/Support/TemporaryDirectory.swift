import Foundation

/// Runs `body` with a new, empty directory of its own, removed with everything in it afterwards (whether
/// `body` returns or throws), so tests running in parallel never share a store file.
func withTemporaryDirectory<Result>(_ body: (String) throws -> Result) throws -> Result {
    let path = FileManager.default.temporaryDirectory.path + "/sqlite-store-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}
