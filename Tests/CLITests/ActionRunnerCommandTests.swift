import Foundation
import JobsTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A seeded store, a folder for the action program and what it leaves behind, and the runner's socket in it.
/// Workers and runners are the built `jobsctl`, started as an operator starts them.
struct RunnerFixture {
    let cli: CLI
    let projectKey: String

    init() throws {
        (cli, _, projectKey) = try CLI.seeded()
    }

    var folder: TemporaryDirectory { cli.directory }
    var socket: String { folder.appending("runner.sock") }

    /// Writes a `/bin/sh` action program (`$DIR` is the folder) and returns its path.
    func script(_ body: String) throws -> String {
        try folder.writeExecutable("action", "#!/bin/sh\nDIR='\(folder.path)'\n\(body)\n")
    }

    /// Starts `jobsctl action-runner` on ``socket`` running `script` for `delete_user_data`, with only `PATH` of
    /// this process's environment plus `extra`, and waits until it listens.
    func startRunner(
        script: String, _ arguments: [String] = [], environment extra: [String: String] = [:],
        socketActivated: Bool = false
    ) throws -> ActionRunnerProcess {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let runner = try ActionRunnerProcess(
            socket: socket, arguments: ["--action", "delete_user_data=\(script)"] + arguments,
            environment: ["PATH": path].merging(extra) { $1 }, logPath: folder.appending("runner.log"),
            socketActivated: socketActivated)
        try runner.waitUntilListening()
        return runner
    }

    /// A worker's environment: this process's, without `JOBS_WORKER_*`, with `JOBS_STORE` the store, plus `extra`.
    func workerEnvironment(_ extra: [String: String] = [:]) -> [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("JOBS_WORKER_") }
            .merging(["JOBS_STORE": cli.store]) { $1 }.merging(extra) { $1 }
    }

    /// Runs `jobsctl worker --once --action-runner SOCKET ARGUMENTS` to its end.
    func runWorkerOnce(_ arguments: [String] = [], environment extra: [String: String] = [:]) throws -> CommandResult {
        try Command.run(
            BuiltBinaries.jobsctl(), ["worker", "--once", "--action-runner", socket] + arguments,
            environment: workerEnvironment(extra))
    }

    /// Starts `jobsctl worker --action-runner SOCKET ARGUMENTS` (until stopped), logging to `worker.log`.
    func startWorker(_ arguments: [String] = []) throws -> WorkerProcess {
        try WorkerProcess(
            arguments: ["--action-runner", socket, "--poll-seconds", "0.1"] + arguments, environment: workerEnvironment(),
            logPath: folder.appending("worker.log"))
    }

    /// Creates a job for `user`, due since 1970; its id.
    func createJob(_ user: String) throws -> Int64 {
        let created = try cli.json(["job", "create", "--project", projectKey, "--user", user, "--start-at", "1000"])
        return try #require(created.first?["jobId"]?.int)
    }

    /// The job as `jobsctl job show` prints it.
    func job(_ id: Int64) throws -> JSONValue {
        try #require(try cli.json(["job", "show", String(id)]).first)
    }

    /// The pid a program wrote into the file `name`, once it is there.
    func pid(in name: String) throws -> pid_t {
        var pid: pid_t?
        _ = eventually {
            pid = pid_t((folder.contents(of: name) ?? "").trimmingCharacters(in: .whitespacesAndNewlines))
            return pid != nil
        }
        return try #require(pid, "no pid in \(name)")
    }

    /// Whether no process has the id `pid` any more (it exited and was reaped).
    static func isGone(_ pid: pid_t) -> Bool {
        kill(pid, 0) != 0 && errno == ESRCH
    }

    /// The list request's answer from the runner.
    func listActions() throws -> String? {
        let client = try UnixSocketClient(path: socket)
        client.send("{\"version\":1,\"list\":true}\n")
        return client.readTextToEnd()
    }
}

@Suite("jobsctl action-runner")
struct ActionRunnerCommandTests {
    @Test func theProgramGetsTheRunnersEnvironmentAndTheJobNotTheWorkers() throws {
        let fixture = try RunnerFixture()
        let script = try fixture.script(#"env > "$DIR/env"; cat > "$DIR/input.json""#)
        let runner = try fixture.startRunner(
            script: script, ["--action-env", "RUNNER_PASSED"],
            environment: ["RUNNER_PASSED": "from-runner", "RUNNER_KEPT": "not-passed"])
        let id = try fixture.createJob("ada@example.com")

        let result = try fixture.runWorkerOnce(environment: ["WORKER_MARKER": "from-worker"])
        #expect(result.succeeded, "\(result.errorOutput)")
        #expect(try fixture.job(id)["status"]?.string == "completed", "\(result.errorOutput)\n\(runner.log)")

        let environment = (fixture.folder.contents(of: "env") ?? "").split(separator: "\n").map(String.init)
        for expected in [
            "JOB_ID=\(id)", "PROJECT_KEY=\(fixture.projectKey)", "ACTION=delete_user_data",
            "REFERENCE_ID=ada@example.com", "RUNNER_PASSED=from-runner",
        ] {
            #expect(environment.contains(expected), "\(expected) in \(environment)")
        }
        #expect(environment.contains { $0.hasPrefix("PROJECT_ID=") })
        for hidden in ["JOBS_STORE=", "WORKER_MARKER=", "RUNNER_KEPT=", "LISTEN_"] {
            #expect(!environment.contains { $0.hasPrefix(hidden) }, "\(hidden) in \(environment)")
        }
        let input = try JSONValue(parsing: try #require(fixture.folder.contents(of: "input.json")))
        #expect(input["jobId"]?.int == id)
        #expect(input["referenceId"]?.string == "ada@example.com")
        // One line per connection, naming the job by its id, never by its user.
        #expect(runner.log.contains("job \(id) (delete_user_data): exited with status 0"), "\(runner.log)")
        #expect(!runner.log.contains("ada@example.com"), "\(runner.log)")
        #expect(try runner.stop() == 0)
    }

    @Test func aFailingProgramsStandardErrorBecomesTheJobsErrors() throws {
        let fixture = try RunnerFixture()
        let script = try fixture.script("""
            if [ "$REFERENCE_ID" = "verbose" ]; then
              i=0; while [ $i -lt 200 ]; do echo "line $i of a long complaint about the disk" >&2; i=$((i + 1)); done
              echo "the last line" >&2
              exit 4
            fi
            echo "the disk is on fire" >&2
            exit 3
            """)
        let runner = try fixture.startRunner(script: script)
        let failing = try fixture.createJob("bea@example.com")
        let verbose = try fixture.createJob("verbose")

        let result = try fixture.runWorkerOnce()
        #expect(result.succeeded, "\(result.errorOutput)")
        let failed = try fixture.job(failing)
        #expect(failed["status"]?.string == "failed")
        #expect(failed["errors"]?.string == "exited with status 3: the disk is on fire", "\(runner.log)")
        // The tail keeps the end, at most 4096 bytes, and shows that older output was dropped.
        let long = try #require(try fixture.job(verbose)["errors"]?.string)
        #expect(long.hasPrefix("exited with status 4: …"), "\(long.prefix(80))")
        #expect(long.hasSuffix("the last line"))
        #expect(long.utf8.count <= "exited with status 4: …".utf8.count + 4096)
        #expect(long.utf8.count > 4000)
    }

    @Test func aCancelledJobsProgramIsStoppedThroughTheRunner() throws {
        let fixture = try RunnerFixture()
        let script = try fixture.script(#"echo $$ > "$DIR/pid"; sleep 120"#)
        let runner = try fixture.startRunner(script: script)
        let worker = try fixture.startWorker()
        let id = try fixture.createJob("cid@example.com")
        let pid = try fixture.pid(in: "pid")
        #expect(!RunnerFixture.isGone(pid))

        _ = try fixture.cli.json(["job", "cancel", "--project", fixture.projectKey, String(id)])
        #expect(eventually { worker.logLines(forJob: id).contains { $0.contains("cancelled while running") } },
                "\(worker.log)")
        #expect(eventually { RunnerFixture.isGone(pid) }, "the program still runs")
        #expect(try fixture.job(id)["status"]?.string == "cancelled")
        #expect(eventually { runner.log.contains("the worker asked for SIGTERM") }, "\(runner.log)")
        #expect(try worker.stop() == 0)
        #expect(try runner.stop() == 0)
    }

    /// The worker's timeout reaches a program of the runner's as a cancel does: SIGTERM through the runner, and
    /// SIGKILL after the grace period for one that ignores it; the job fails with the timeout as its cause.
    @Test func aTimedOutProgramIsStoppedThroughTheRunner() throws {
        let fixture = try RunnerFixture()
        let script = try fixture.script(#"trap '' TERM; echo $$ > "$DIR/pid"; echo working >&2; while :; do sleep 0.1; done"#)
        let runner = try fixture.startRunner(script: script)
        let worker = try fixture.startWorker(["--action-timeout", "1s", "--grace-seconds", "0.5"])
        let id = try fixture.createJob("tim@example.com")
        let pid = try fixture.pid(in: "pid")

        #expect(eventually { (try? fixture.job(id)["status"]?.string) == "failed" }, "\(worker.log)")
        let errors = try fixture.job(id)["errors"]?.string ?? ""
        #expect(errors.hasPrefix("timed out after 1 s") && errors.contains("working"), "\(errors)")
        #expect(RunnerFixture.isGone(pid), "\(runner.log)")
        #expect(runner.log.contains("the worker asked for SIGTERM, then SIGKILL"), "\(runner.log)")
        #expect(try worker.stop() == 0)
        #expect(try runner.stop() == 0)
    }

    @Test func aKilledWorkersProgramIsKilledByTheRunner() throws {
        let fixture = try RunnerFixture()
        // Ignores SIGTERM: only the runner's SIGKILL ends it.
        let script = try fixture.script(#"trap '' TERM; echo $$ > "$DIR/pid"; while :; do sleep 0.1; done"#)
        let runner = try fixture.startRunner(script: script)
        let worker = try fixture.startWorker()
        _ = try fixture.createJob("dan@example.com")
        let pid = try fixture.pid(in: "pid")

        worker.send(SIGKILL)
        #expect(worker.waitForExit(timeout: patientTimeout) != nil)
        #expect(eventually { RunnerFixture.isGone(pid) }, "the program outlived its worker")
        #expect(eventually { runner.log.contains("the worker closed the connection") }, "\(runner.log)")
        #expect(runner.isRunning)
        #expect(try fixture.listActions() == "{\"actions\":[\"delete_user_data\"]}\n")
        #expect(try runner.stop() == 0)
    }

    /// A runner's restart (an upgrade, `systemctl restart jobs-action`) fails no job: the program it stopped is
    /// released, a job it cannot take while it is down waits for its lease, and both run once it is back.
    @Test func stoppingTheRunnerReleasesItsJobsWhichRunOnceItIsBack() throws {
        let fixture = try RunnerFixture()
        // The first run waits until it is stopped; any later run completes.
        let script = try fixture.script(#"[ -e "$DIR/ran-once" ] && exit 0; echo $$ > "$DIR/pid"; sleep 120"#)
        let runner = try fixture.startRunner(script: script, ["--grace-seconds", "30"])
        // A short lease, so that the deferred job is tried again soon; long enough that a loaded machine's late
        // renewal (every 0.5 s) never lets it expire while the first program runs.
        let worker = try fixture.startWorker(["--lease-seconds", "5"])
        let id = try fixture.createJob("eve@example.com")
        let pid = try fixture.pid(in: "pid")
        try fixture.folder.write("ran-once")

        #expect(try runner.stop() == 0, "\(runner.log)")
        #expect(RunnerFixture.isGone(pid), "\(runner.log)")
        #expect(!FileManager.default.fileExists(atPath: fixture.socket), "the runner removes the socket it made")
        #expect(
            eventually {
                worker.logLines(forJob: id).contains {
                    $0.contains("stopped because the action runner was stopping; lease released")
                }
            }, "\(worker.log)")
        // Claimed again with no runner to take it: not started, not failed; it waits for its lease.
        #expect(
            eventually {
                worker.logLines(forJob: id).contains { $0.contains("not started: the action runner could not be reached") }
            }, "\(worker.log)")
        #expect(try fixture.job(id)["status"]?.string == "running", "\(worker.log)")
        #expect(try fixture.job(id)["errors"]?.string == nil, "\(worker.log)")

        let again = try fixture.startRunner(script: script)
        #expect(
            eventually { (try? fixture.job(id)["status"]?.string) == "completed" }, "\(worker.log)\n\(again.log)")
        #expect(try worker.stop() == 0, "\(worker.log)")
        // Its summary counts the claims the runner could not take (at least the one seen above).
        #expect(worker.log.contains(" deferred, ") && !worker.log.contains(" 0 deferred, "), "\(worker.log)")
        #expect(try again.stop() == 0)
    }

    @Test func aRunnerTakesTheSocketSystemdPasses() throws {
        let fixture = try RunnerFixture()
        let script = try fixture.script(#"env > "$DIR/env""#)
        let runner = try fixture.startRunner(script: script, socketActivated: true)
        #expect(try fixture.listActions() == "{\"actions\":[\"delete_user_data\"]}\n")

        let id = try fixture.createJob("fay@example.com")
        let result = try fixture.runWorkerOnce()
        #expect(result.succeeded, "\(result.errorOutput)")
        #expect(try fixture.job(id)["status"]?.string == "completed", "\(runner.log)")
        let environment = fixture.folder.contents(of: "env") ?? ""
        #expect(environment.contains("JOB_ID=\(id)"))
        #expect(!environment.contains("LISTEN_"), "\(environment)")
        #expect(try runner.stop() == 0)
        // systemd's socket file is systemd's: the runner leaves it.
        #expect(FileManager.default.fileExists(atPath: fixture.socket))
    }

    @Test func aConnectionBeyondTheLimitIsAnsweredBusy() throws {
        let fixture = try RunnerFixture()
        let script = try fixture.script("touch \"$DIR/running\"; \(shellWaitingForFile("\"$DIR/go\""))")
        let runner = try fixture.startRunner(script: script, ["--max-connections", "1"])
        // Once a list request was answered, the connection that waited for the runner to listen is gone too.
        try #require(eventually { (try? fixture.listActions()) == "{\"actions\":[\"delete_user_data\"]}\n" })
        // The first connection's program runs (and so holds the only place) until the test creates `go`.
        let first = try UnixSocketClient(path: fixture.socket)
        first.send(Self.request())
        #expect(eventually { fixture.folder.exists("running") }, "\(runner.log)")
        let second = try UnixSocketClient(path: fixture.socket)
        #expect(second.readTextToEnd() == "error busy\n")
        try fixture.folder.write("go")
        #expect(first.readTextToEnd() == "started\nexited 0 0\n")
        #expect(eventually { (try? fixture.listActions()) == "{\"actions\":[\"delete_user_data\"]}\n" })
        #expect(try runner.stop() == 0)
    }

    @Test(arguments: [
        (["--action-runner", "MISSING"], "cannot be reached"),
        (["--action-runner", "SOCKET", "--action", "delete_user_data=/bin/true"], "--action and --action-runner exclude each other"),
        (["--action-runner", "SOCKET", "--action-env", "HOME"], "--action-env and --action-runner exclude each other"),
    ])
    func aWorkerRefusesAnUnusableRunner(arguments: [String], message: String) throws {
        let fixture = try RunnerFixture()
        let missing = fixture.folder.appending("missing.sock")
        let given = arguments.map { $0 == "MISSING" ? missing : $0 == "SOCKET" ? fixture.socket : $0 }
        let result = try Command.run(
            BuiltBinaries.jobsctl(), ["worker", "--once"] + given, environment: fixture.workerEnvironment())
        #expect(result.status != 0)
        #expect(result.errorOutput.contains(message), "\(result.errorOutput)")
        if arguments.contains("MISSING") {
            #expect(result.errorOutput.contains(missing), "\(result.errorOutput)")
            #expect(result.errorOutput.split(separator: "\n").count == 1, "\(result.errorOutput)")
        }
    }

    @Test func aRunnerWithoutAnActionOrASocketRefusesToStart() throws {
        let fixture = try RunnerFixture()
        let noAction = try Command.run(
            BuiltBinaries.jobsctl(), ["action-runner", "--listen", fixture.socket], environment: ["PATH": "/usr/bin:/bin"])
        #expect(noAction.status != 0)
        #expect(noAction.errorOutput.contains("no action is configured"), "\(noAction.errorOutput)")
        let noSocket = try Command.run(
            BuiltBinaries.jobsctl(), ["action-runner", "--action", "delete_user_data=/bin/true"],
            environment: ["PATH": "/usr/bin:/bin"])
        #expect(noSocket.status != 0)
        #expect(noSocket.errorOutput.contains("no socket to listen on"), "\(noSocket.errorOutput)")
        try fixture.folder.write("runner.sock", "not a socket")
        let notASocket = try Command.run(
            BuiltBinaries.jobsctl(),
            ["action-runner", "--listen", fixture.socket, "--action", "delete_user_data=/bin/true"],
            environment: ["PATH": "/usr/bin:/bin"])
        #expect(notASocket.status != 0)
        #expect(notASocket.errorOutput.contains("exists and is not a socket"), "\(notASocket.errorOutput)")
        #expect(fixture.folder.contents(of: "runner.sock") == "not a socket")
    }

    /// A run request's line with `fields` replacing (or, `nil`, removing) the defaults.
    static func request(_ fields: [String: String?] = [:], variables: [String: String?] = [:]) -> String {
        var variableFields: [String: String?] = [
            "JOB_ID": #""12""#, "PROJECT_ID": #""3""#, "PROJECT_KEY": #""3sWXSsqHgSKnE87YkNJK""#,
            "ACTION": #""delete_user_data""#, "REFERENCE_ID": #""ada@example.com""#,
        ]
        variableFields.merge(variables) { $1 }
        let variableText = variableFields.compactMap { key, value in value.map { "\"\(key)\":\($0)" } }.sorted()
            .joined(separator: ",")
        var all: [String: String?] = [
            "version": "1", "action": #""delete_user_data""#, "variables": "{\(variableText)}", "inputBytes": "0",
            "errorsLimit": "4096",
        ]
        all.merge(fields) { $1 }
        return "{" + all.compactMap { key, value in value.map { "\"\(key)\":\($0)" } }.sorted()
            .joined(separator: ",") + "}\n"
    }

    /// Malformed requests, each on a connection of its own: the answer starts with the expected text (`""`: the
    /// connection just closes), and the runner goes on serving.
    static let malformed: [(name: String, bytes: [UInt8], answer: String)] = [
        ("a garbage line", Array("hello\n".utf8), "error the request is not a JSON object"),
        ("an empty line", Array("\n".utf8), "error the request is not a JSON object"),
        ("a line over 64 KiB without a newline", Array(repeating: UInt8(ascii: "a"), count: 70_000),
         "error the request line is longer than 65536 bytes"),
        ("a line over 64 KiB with a newline", Array(repeating: UInt8(ascii: " "), count: 65_537) + [0x0A],
         "error the request line is longer than 65536 bytes"),
        ("deep nesting", Array((String(repeating: "[", count: 30_000) + "\n").utf8), "error the request is nested too deeply"),
        ("version 2", Array(#"{"version":2,"list":true}"#.utf8) + [0x0A], "error unsupported protocol version"),
        ("no version", Array(request(["version": nil]).utf8), "error unsupported protocol version"),
        ("version as a string", Array(request(["version": #""1""#]).utf8), "error unsupported protocol version"),
        ("an unknown field", Array(request(["user": #""x""#]).utf8), "error unknown field \"user\""),
        ("an unknown variable", Array(request(variables: ["HOME": #""/root""#]).utf8), "error unknown variable \"HOME\""),
        ("a missing variable", Array(request(variables: ["JOB_ID": nil]).utf8), "error variable JOB_ID must be given"),
        ("a variable that is a number", Array(request(variables: ["JOB_ID": "12"]).utf8), "error variable JOB_ID must be given"),
        ("a NUL in a value", Array(request(variables: ["REFERENCE_ID": #""ada\u0000bob""#]).utf8),
         "error variable REFERENCE_ID contains a NUL character"),
        ("ACTION another action", Array(request(variables: ["ACTION": #""other""#]).utf8),
         "error variable ACTION must be the request's action"),
        ("inputBytes over 1 MiB", Array(request(["inputBytes": "1048577"]).utf8), "error \"inputBytes\" must be"),
        ("inputBytes negative", Array(request(["inputBytes": "-1"]).utf8), "error \"inputBytes\" must be"),
        ("inputBytes Int64.max", Array(request(["inputBytes": "9223372036854775807"]).utf8), "error \"inputBytes\" must be"),
        ("inputBytes beyond 64 bits", Array(request(["inputBytes": "18446744073709551616"]).utf8), "error \"inputBytes\" must be"),
        ("inputBytes 1e99", Array(request(["inputBytes": "1e99"]).utf8), "error \"inputBytes\" must be"),
        ("inputBytes 1.5", Array(request(["inputBytes": "1.5"]).utf8), "error \"inputBytes\" must be"),
        ("inputBytes true", Array(request(["inputBytes": "true"]).utf8), "error \"inputBytes\" must be"),
        ("errorsLimit 0", Array(request(["errorsLimit": "0"]).utf8), "error \"errorsLimit\" must be"),
        ("errorsLimit 4097", Array(request(["errorsLimit": "4097"]).utf8), "error \"errorsLimit\" must be"),
        ("errorsLimit missing", Array(request(["errorsLimit": nil]).utf8), "error \"errorsLimit\" must be"),
        ("an invalid action name", Array(request(["action": #""../bin/sh""#], variables: ["ACTION": #""../bin/sh""#]).utf8),
         "error \"action\" must be an action name"),
        ("an unknown action", Array(request(["action": #""export_user_data""#], variables: ["ACTION": #""export_user_data""#]).utf8),
         "error no program for action \"export_user_data\""),
        ("more input than inputBytes", Array((request(["inputBytes": "2"]) + "abcdef").utf8),
         "error more bytes than inputBytes came before the program started"),
        ("a list request with more fields", Array(#"{"version":1,"list":true,"action":"x"}"#.utf8) + [0x0A],
         "error a list request is"),
        ("a connection closed in the request line", Array(#"{"version":1,"act"#.utf8), ""),
        ("a connection closed in the input", Array((request(["inputBytes": "100"]) + "{\"jobId\":").utf8), ""),
    ]

    @Test func malformedRequestsAreRefusedAndTheRunnerGoesOn() throws {
        let fixture = try RunnerFixture()
        let runner = try fixture.startRunner(script: try fixture.script(#"echo ran >> "$DIR/ran""#))
        for (name, bytes, answer) in Self.malformed {
            let client = try UnixSocketClient(path: fixture.socket)
            client.send(bytes)
            client.finishSending()
            let received = client.readTextToEnd()
            if answer.isEmpty {
                #expect(received == "", "\(name): \(String(describing: received))")
            } else {
                #expect(received?.hasPrefix(answer) == true, "\(name): \(String(describing: received))")
                #expect(received?.hasSuffix("\n") == true && received?.split(separator: "\n").count == 1,
                        "\(name): one line: \(String(describing: received))")
            }
            #expect(runner.isRunning, "\(name): the runner died. Its log:\n\(runner.log)")
            #expect(try fixture.listActions() == "{\"actions\":[\"delete_user_data\"]}\n", "\(name)")
        }
        #expect(fixture.folder.contents(of: "ran") == nil, "no malformed request ran the program")
        #expect(!runner.log.contains("ada@example.com"), "\(runner.log)")
        #expect(!runner.log.contains("HOME"), "the log names no field from a request: \(runner.log)")
        // A well-formed request on a raw connection runs the program and reports its end.
        let client = try UnixSocketClient(path: fixture.socket)
        client.send(Self.request(["inputBytes": "3"]) + "{}\n")
        #expect(client.readTextToEnd() == "started\nexited 0 0\n")
        #expect(fixture.folder.contents(of: "ran") == "ran\n")
        #expect(try runner.stop() == 0)
    }
}
