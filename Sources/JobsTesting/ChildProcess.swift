import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A program started the way a shell starts one: every signal at its default disposition and none blocked, and
/// only standard input, output and error inherited.
///
/// Foundation's `Process` is not used: the programs it starts inherit the calling thread's signal
/// mask (a test thread blocks SIGTERM, so a FastCGI process would never see it) and a socket it uses to notice
/// the program's exit, which spawn-fcgi's children and nginx keep open long after the program itself exited.
final class ChildProcess: @unchecked Sendable {
    // Safe to share: `status` is only touched with `lock` held.
    let pid: pid_t
    private let lock = NSLock()
    private var status: Int32?

    private init(pid: pid_t) {
        self.pid = pid
    }

    /// Starts `executable` with `arguments`, its standard streams on the given descriptors (duplicated into the
    /// child; the caller still owns and closes them). The corresponding C function is `posix_spawn`.
    static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String],
        standardInput: Int32, standardOutput: Int32, standardError: Int32
    ) throws -> ChildProcess {
        ignoreSIGPIPE

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, standardInput, 0)
        posix_spawn_file_actions_adddup2(&actions, standardOutput, 1)
        posix_spawn_file_actions_adddup2(&actions, standardError, 2)
        closeFrom(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var everySignal = sigset_t()
        sigemptyset(&everySignal)
        for signal in Int32(1)...31 where signal != SIGKILL && signal != SIGSTOP {
            sigaddset(&everySignal, signal)
        }
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &everySignal)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw JobsTestingError("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        return ChildProcess(pid: pid)
    }

    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34), which Swift's Glibc module does not declare (it
    /// is a GNU extension): looked up at run time. It closes, in the child, every descriptor from `lowest` on,
    /// including those other threads opened without close-on-exec at the same moment.
    private static func closeFrom(_ actions: inout posix_spawn_file_actions_t, _ lowest: Int32) {
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let function = addCloseFrom else {
            preconditionFailure("glibc lacks posix_spawn_file_actions_addclosefrom_np (needs glibc 2.34 or later)")
        }
        _ = unsafeBitCast(function, to: AddCloseFrom.self)(&actions, lowest)
    }

    // A function's address, set once: safe to share.
    nonisolated(unsafe) private static let addCloseFrom: UnsafeMutableRawPointer? = {
        dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np")
    }()

    /// Writing to a pipe whose reader exited must be an error (EPIPE), not a signal that ends the test run.
    /// The children get the default disposition back through `posix_spawnattr_setsigdefault`.
    private static let ignoreSIGPIPE: Void = {
        signal(SIGPIPE, SIG_IGN)
    }()

    /// The exit status once the process has exited (128 + the signal number when a signal ended it, -1 when
    /// something else in this process reaped it first); `nil` while it runs. Reaps the process: the corresponding
    /// C function is `waitpid`.
    var exitStatus: Int32? {
        lock.withLock {
            if status == nil {
                var raw: Int32 = 0
                let reaped = waitpid(pid, &raw, WNOHANG)
                if reaped == pid {
                    let signal = raw & 0x7F
                    status = signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
                } else if reaped < 0 && errno == ECHILD {
                    // Someone else in this process reaped it: it has exited, with a status nobody can tell now.
                    status = -1
                }
            }
            return status
        }
    }

    /// Whether the process is still running.
    var isRunning: Bool { exitStatus == nil }

    /// Waits up to `timeout` seconds for the process to exit; returns its status, or `nil` if it still runs.
    func waitForExit(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let status = exitStatus { return status }
            if Date() > deadline { return nil }
            usleep(2_000)
        }
    }

    /// Sends `signal` unless the process has already been reaped (its pid could belong to another by now).
    func send(_ signal: Int32) {
        lock.withLock {
            if status == nil { _ = kill(pid, signal) }
        }
    }

    /// Stops the process: `signal`, then SIGKILL if it is still running after `grace` seconds.
    func stop(_ signal: Int32 = SIGTERM, grace: TimeInterval = 5) {
        guard isRunning else { return }
        send(signal)
        if waitForExit(timeout: grace) == nil {
            send(SIGKILL)
            _ = waitForExit(timeout: 5)
        }
    }
}

/// A pipe whose descriptors are closed on exec (the child gets its end through `dup2` only).
struct CloseOnExecPipe {
    let read: Int32
    let write: Int32

    init() throws {
        var descriptors: [Int32] = [0, 0]
        guard pipe(&descriptors) == 0 else {
            throw JobsTestingError("pipe: \(String(cString: strerror(errno)))")
        }
        for descriptor in descriptors { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        read = descriptors[0]
        write = descriptors[1]
    }
}
