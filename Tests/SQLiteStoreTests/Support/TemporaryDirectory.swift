import JobsTesting

/// Runs `body` with a new, empty directory of its own, removed with everything in it afterwards (whether
/// `body` returns or throws), so tests running in parallel never share a store file.
func withTemporaryDirectory<Result>(_ body: (String) throws -> Result) throws -> Result {
    let directory = try TemporaryDirectory(prefix: "sqlite-store-tests")
    defer { directory.remove() }
    return try body(directory.path)
}
