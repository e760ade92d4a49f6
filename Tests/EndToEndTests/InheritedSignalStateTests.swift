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
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                import os; os.stat(socket); break
            except FileNotFoundError:
                time.sleep(0.02)
        else:
            child.kill()
            print("no socket within 60 s")
            sys.exit(0)
        # The socket exists a moment before the handlers do (longer on a loaded machine): a SIGTERM in that moment
        # may be lost (ignored), so it is sent again every half second. A process that never handles it fails
        # after 60 s.
        deadline = time.time() + 60
        while True:
            child.send_signal(signal.SIGTERM)
            try:
                print("exit", child.wait(timeout=0.5))
                break
            except subprocess.TimeoutExpired:
                if time.time() > deadline:
                    child.kill()
                    print("still running 60 s after the first SIGTERM")
                    break
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
            timeout: 3 * patientTimeout)
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == "exit 0", "\(result.errorOutput)")
    }
}
