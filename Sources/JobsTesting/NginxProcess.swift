import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// nginx in the foreground for a test stack, on a free port of 127.0.0.1, with a configuration a `deploy/`
/// script generates into the stack's folder.
final class NginxProcess: Sendable {
    private let process = Mutex<ChildProcess?>(nil)

    /// Starts nginx (see ``start(in:script:arguments:errorLogPath:environment:)``); returns its port.
    func start(
        in directory: TemporaryDirectory, script: String, arguments: [String] = [], errorLogPath: String,
        environment: [String: String]
    ) throws -> UInt16 {
        let (started, port) = try Self.start(
            in: directory, script: script, arguments: arguments, errorLogPath: errorLogPath, environment: environment)
        process.withLock { $0 = started }
        return port
    }

    /// Stops nginx (SIGTERM, then SIGKILL after 5 s). Does nothing if it is not running.
    func stop() {
        let running = process.withLock { process in
            defer { process = nil }
            return process
        }
        running?.stop(SIGTERM, grace: 5)
    }

    /// Lets nginx's workers enter `directory`: started as root, they run as nobody. An error names the folder
    /// above it that keeps them out.
    static func openToWorkers(_ directory: TemporaryDirectory) throws {
        chmod(directory.path, 0o755)
        guard geteuid() == 0 else { return }
        var folder = ""
        for component in directory.path.split(separator: "/") {
            folder += "/" + component
            var info = stat()
            if stat(folder, &info) == 0 && info.st_mode & S_IXOTH == 0 {
                throw JobsTestingError(
                    "nginx's workers (nobody) cannot enter \(folder): point TMPDIR at a folder everyone may enter, "
                        + "such as /tmp")
            }
        }
    }

    /// Runs `script` (`deploy/…-conf.sh DIRECTORY DIRECTORY PORT ARGUMENTS`) to write `directory/nginx.conf`
    /// and starts nginx with it, retrying with another port if the chosen one was taken in between. Returns nginx
    /// and its port.
    private static func start(
        in directory: TemporaryDirectory, script: String, arguments: [String] = [], errorLogPath: String,
        environment: [String: String]
    ) throws -> (process: ChildProcess, port: UInt16) {
        let nginxPath = try BuiltBinaries.system("nginx")
        let errorLog = { (try? String(contentsOfFile: errorLogPath, encoding: .utf8)) ?? "" }
        var lastError = ""
        for _ in 1...5 {
            let port = try LoopbackSocket.freePort()
            let generated = try Command.run(
                "/bin/bash", [SourceTree.path(script), directory.path, directory.path, String(port)] + arguments)
            guard generated.succeeded else { throw JobsTestingError("\(script) failed: \(generated.errorOutput)") }
            let pidFile = directory.appending("nginx.pid")
            try? FileManager.default.removeItem(atPath: pidFile)
            let outputPath = directory.appending("nginx.out")
            let process = try ChildProcess.spawn(
                nginxPath, ["-p", directory.path + "/", "-c", directory.appending("nginx.conf"), "-e", errorLogPath],
                environment: environment, logPath: outputPath)
            // nginx writes its pid file once its listening socket is bound.
            if process.waitUntilPIDFileNamesIt(pidFile) { return (process, port) }
            process.stop(SIGTERM, grace: 5)
            lastError = ((try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "") + errorLog()
            guard lastError.contains("Address already in use") else { break }
        }
        throw JobsTestingError("nginx did not start: \(lastError)")
    }
}
