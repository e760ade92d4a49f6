import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A `jobsctl worker` process on a stack's store, started the way an operator starts one, its standard output
/// and error (the transition log, what programs print) going to a file of its own.
///
/// Stopped by ``stop(timeout:)`` or, at the latest, when the value is released (SIGKILL then), also when a test
/// fails.
package final class WorkerProcess: @unchecked Sendable {
    // Safe to share: `process` is itself safe to share; the rest is set in `init`.
    private let process: ChildProcess
    /// The worker's log file.
    package let logPath: String
    /// The arguments after `jobsctl worker`.
    package let arguments: [String]

    /// Starts `jobsctl worker ARGUMENTS` with `environment` (its whole environment), logging to `logPath`.
    package init(arguments: [String], environment: [String: String], logPath: String) throws {
        self.arguments = arguments
        self.logPath = logPath
        process = try ChildProcess.spawn(
            try BuiltBinaries.jobsctl(), ["worker"] + arguments, environment: environment, logPath: logPath)
    }

    deinit {
        process.stop(SIGKILL, grace: 5)
    }

    /// The worker's pid.
    package var pid: pid_t { process.pid }

    /// Everything the worker logged so far.
    package var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The log's lines that mention job `id` (`job 12 (…`).
    package func logLines(forJob id: Int64) -> [String] {
        log.split(separator: "\n").map(String.init).filter { $0.contains("job \(id) (") }
    }

    /// Whether the worker still runs.
    package var isRunning: Bool { process.isRunning }

    /// Sends `signal` to the worker (not to the programs it runs: those have process groups of their own).
    package func send(_ signal: Int32) {
        process.send(signal)
    }

    /// Waits up to `timeout` seconds for the worker to exit; its status, or `nil` if it still runs.
    package func waitForExit(timeout: TimeInterval) -> Int32? {
        process.waitForExit(timeout: timeout)
    }

    /// SIGTERM, then waits up to `timeout` seconds for the exit (SIGKILL after that, and an error).
    /// Returns the exit status.
    @discardableResult
    package func stop(timeout: TimeInterval = patientTimeout) throws -> Int32 {
        try process.end(timeout: timeout, name: "jobsctl worker", details: ". Its log:\n\(log)")
    }
}

extension RunningStack {
    /// The environment of a worker of this stack: the stack's (`JOBS_STORE`), without any `JOBS_WORKER_*`
    /// setting of the machine running the tests, plus `extra`.
    package func workerEnvironment(_ extra: [String: String] = [:]) -> [String: String] {
        environment.filter { !$0.key.hasPrefix("JOBS_WORKER_") }.merging(extra) { $1 }
    }

    /// Starts `jobsctl worker ARGUMENTS` on the stack's store; its log is `worker-N.log` in the stack's folder.
    package func startWorker(_ arguments: [String], environment extra: [String: String] = [:]) throws
        -> WorkerProcess
    {
        var number = 1
        while FileManager.default.fileExists(atPath: directory.appending("worker-\(number).log")) { number += 1 }
        return try WorkerProcess(
            arguments: arguments, environment: workerEnvironment(extra),
            logPath: directory.appending("worker-\(number).log"))
    }

    /// Runs `jobsctl worker --once ARGUMENTS` to its end and returns what it printed and its status.
    package func runWorkerOnce(
        _ arguments: [String], environment extra: [String: String] = [:], timeout: TimeInterval = 60
    ) throws -> CommandResult {
        try Command.run(
            BuiltBinaries.jobsctl(), ["worker", "--once"] + arguments, environment: workerEnvironment(extra),
            timeout: timeout)
    }

    /// Polls the job through nginx (`GET /public/PROJECT/jobs/ID` with `key`) every 20 ms until its status is
    /// `status`, and returns it then; an error (with the statuses seen) after `timeout` seconds.
    @discardableResult
    package func waitForJob(
        _ id: Int64, project: String, key: String, status: String, timeout: TimeInterval = patientTimeout
    ) throws -> JSONValue {
        let deadline = Date().addingTimeInterval(timeout)
        var seen: [String] = []
        while true {
            let response = try client.get("/public/\(project)/jobs/\(id)", key: key)
            guard response.status == 200, let job = try response.json()["data"] else {
                throw JobsTestingError("GET job \(id): \(response)")
            }
            let current = job["status"]?.string ?? "?"
            if seen.last != current { seen.append(current) }
            if current == status { return job }
            if Date() > deadline {
                throw JobsTestingError(
                    "job \(id) is not \(status) after \(timeout) s; statuses seen: \(seen.joined(separator: " → "))")
            }
            usleep(20_000)
        }
    }
}
