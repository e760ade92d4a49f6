import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A webhook receiver on 127.0.0.1 for end-to-end tests: a Python script (given by the test) that verifies each
/// delivery with the `standardwebhooks` library and logs it, run by the Python of `.venv-test/` at the
/// repository's root (`JOBS_TEST_PYTHON` overrides), where deploy/test.sh installs the library.
///
/// Stopped by ``stop()`` or, at the latest, when the value is released.
package final class WebhookReceiver: @unchecked Sendable {
    // Safe to share: `process` is only touched with `lock` held; the rest is set in `init`.
    /// Holds `secrets`, `responses`, `port` and `received`.
    package let directory: TemporaryDirectory
    private let script: String
    private let lock = NSLock()
    private var process: ChildProcess?
    /// The receiver's port on 127.0.0.1.
    package private(set) var port: UInt16 = 0

    /// Whether it speaks HTTPS, with a self-signed certificate no client trusts.
    package let selfSignedTLS: Bool

    /// Starts the receiver script at `script`; it verifies with `secrets`. With `selfSignedTLS`, it answers
    /// HTTPS only, with a certificate for 127.0.0.1 that `openssl` signs with its own key.
    package init(script: String, secrets: [String], selfSignedTLS: Bool = false) throws {
        directory = try TemporaryDirectory(prefix: "jobs-webhook-receiver")
        self.script = script
        self.selfSignedTLS = selfSignedTLS
        try setSecrets(secrets)
        if selfSignedTLS {
            let made = try Command.run(
                "/usr/bin/openssl",
                [
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", directory.appending("tls.key"),
                    "-out", directory.appending("tls.crt"),
                ])
            guard made.succeeded else { throw JobsTestingError("openssl req: \(made.errorOutput)") }
        }
        try start(port: nil)
    }

    deinit { stop() }

    /// The URL deliveries go to.
    package var url: String { "\(selfSignedTLS ? "https" : "http")://127.0.0.1:\(port)/hook" }

    /// The Python that runs the receiver: `JOBS_TEST_PYTHON`, else `.venv-test/bin/python3` of the repository.
    static func python() -> String {
        if let python = ProcessInfo.processInfo.environment["JOBS_TEST_PYTHON"], !python.isEmpty { return python }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".venv-test/bin/python3").path
    }

    /// Starts the script, on `port` when given (a restart on the same port), and waits until it listens.
    package func start(port fixed: UInt16?) throws {
        try? FileManager.default.removeItem(atPath: directory.appending("port"))
        let child = try ChildProcess.spawn(
            Self.python(), [script, directory.path] + (fixed.map { [String($0)] } ?? []),
            environment: ProcessInfo.processInfo.environment, logPath: directory.appending("receiver.log"))
        lock.withLock { process = child }
        var found: UInt16?
        _ = eventually {
            found = (try? String(contentsOfFile: directory.appending("port"), encoding: .utf8)).flatMap { UInt16($0) }
            return found != nil || !child.isRunning
        }
        guard let found else {
            let log = (try? String(contentsOfFile: directory.appending("receiver.log"), encoding: .utf8)) ?? ""
            throw JobsTestingError("the webhook receiver did not start (\(Self.python())): \(log)")
        }
        port = found
    }

    /// Stops the receiver (SIGKILL): the port refuses connections until ``start(port:)``.
    package func stop() {
        let child = lock.withLock { () -> ChildProcess? in
            defer { process = nil }
            return process
        }
        child?.stop(SIGKILL, grace: 5)
    }

    /// The secrets the receiver verifies with, one signature check per secret.
    package func setSecrets(_ secrets: [String]) throws {
        try (secrets.joined(separator: "\n") + "\n").write(
            toFile: directory.appending("secrets"), atomically: true, encoding: .utf8)
    }

    /// The statuses the next requests get, in order (`200` after them; `hang` answers nothing).
    package func setResponses(_ responses: [String]) throws {
        try (responses.joined(separator: "\n") + "\n").write(
            toFile: directory.appending("responses"), atomically: true, encoding: .utf8)
    }

    /// Every request received so far, in order.
    package var received: [JSONValue] {
        let text = (try? String(contentsOfFile: directory.appending("received"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONValue(parsing: String($0)) }
    }
}
