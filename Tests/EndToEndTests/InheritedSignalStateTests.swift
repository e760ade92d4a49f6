import Foundation
import JobsTesting
import Testing

/// A parent may start `jobs-fcgi` with SIGTERM blocked or ignored (both survive `exec`): it must still stop on
/// SIGTERM. (A blocked SIGTERM once stayed pending forever; Foundation's `Process` starts children that way.)
@Suite("jobs-fcgi stops on SIGTERM whatever signal state it inherits")
struct InheritedSignalStateTests {
    /// Starts jobs-fcgi from python3 with SIGTERM blocked or ignored, sends SIGTERM, and prints how it ended.
    static let script = #"""
        import signal, subprocess, sys, time
        binary, store, socket, mode = sys.argv[1:5]
        if mode == "blocked":
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
        else:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        child = subprocess.Popen([binary, "--store", store, "--listen", "unix:" + socket, "--threads", "2"],
                                 stderr=subprocess.DEVNULL, restore_signals=False)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                import os; os.stat(socket); break
            except FileNotFoundError:
                time.sleep(0.02)
        # The socket exists a moment before the handlers do: a SIGTERM in that moment may be lost (ignored), so
        # it is sent again every half second. A process that never handles it still fails after 3 s.
        for attempt in range(6):
            child.send_signal(signal.SIGTERM)
            try:
                print("exit", child.wait(timeout=0.5))
                break
            except subprocess.TimeoutExpired:
                pass
        else:
            child.kill()
            print("still running")
        """#

    @Test(arguments: ["blocked", "ignored"])
    func stopsOnSIGTERM(mode: String) throws {
        let directory = try TemporaryDirectory(prefix: "jobs-signal-state")
        let store = directory.appending("jobs.sqlite3")
        let jobsctl = try BuiltBinaries.jobsctl()
        #expect(try Command.run(jobsctl, ["init", "--store", store]).succeeded)
        let result = try Command.run(
            try BuiltBinaries.system("python3"),
            ["-c", Self.script, try BuiltBinaries.jobsFCGI(), store, directory.appending("app.sock"), mode],
            timeout: 30)
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == "exit 0", "\(result.errorOutput)")
    }
}
