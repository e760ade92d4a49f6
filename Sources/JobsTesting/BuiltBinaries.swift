import Foundation

/// Finds the executables this package builds (`jobs-fcgi`, `jobsctl`), to run them as a user would.
///
/// They are looked for in `JOBS_BIN_DIR` when it is set, otherwise next to the running test bundle: `swift build`
/// puts them in `.build/<triple>/debug/`, where `swift test` runs the tests from. A missing binary is an error,
/// never a reason to skip a test.
package enum BuiltBinaries {
    /// The directory holding the built executables.
    package static func directory() throws -> String {
        if let override = ProcessInfo.processInfo.environment["JOBS_BIN_DIR"], !override.isEmpty {
            return override
        }
        // On Linux the test bundle (`<package>PackageTests.xctest`) is itself the running executable.
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        return URL(fileURLWithPath: executable).deletingLastPathComponent().path
    }

    /// The path of the built executable `name`, checked to exist and be executable.
    package static func path(of name: String) throws -> String {
        let path = try directory() + "/" + name
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw JobsTestingError(
                "\(path) is missing or not executable: run `swift build` first (or set JOBS_BIN_DIR to the "
                    + "directory holding jobs-fcgi and jobsctl)")
        }
        return path
    }

    /// The FastCGI application.
    package static func jobsFCGI() throws -> String { try path(of: "jobs-fcgi") }

    /// The administration command.
    package static func jobsctl() throws -> String { try path(of: "jobsctl") }

    /// The first of `names` found as an executable on `PATH` or in the system's sbin and bin directories
    /// (where Debian puts nginx and spawn-fcgi, not always on a non-root user's `PATH`).
    package static func system(_ name: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        for directory in directories where FileManager.default.isExecutableFile(atPath: directory + "/" + name) {
            return directory + "/" + name
        }
        throw JobsTestingError("\(name) is not installed: run deploy/test.sh, which installs it with apt")
    }
}
