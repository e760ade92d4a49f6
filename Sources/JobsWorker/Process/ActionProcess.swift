#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A job's program, started directly (no shell) the way a shell starts one: every signal at its default
/// disposition and none blocked, no descriptor of the worker's but the three standard ones, and a process group
/// of its own, so that stopping it reaches every process it started.
///
/// Standard input is a pipe holding `input`, then end of file; standard output is the worker's standard error
/// (the journal under systemd); standard error is a pipe the worker reads (``readErrorOutput(into:)``).
///
/// Foundation's `Process` is not used: the programs it starts inherit the calling thread's signal mask (the
/// worker blocks SIGTERM and SIGINT in every thread, to receive them with `sigwait`) and descriptors that are
/// not close-on-exec.
///
/// The program's pid is also its process group's id, and it stays the program's until ``reap()``: a pid is not
/// reused before its process is reaped. ``hasExited()`` therefore looks without reaping, and the group is only
/// signalled before that.
///
/// Not `Sendable`: one job's thread owns it.
final class ActionProcess {
    /// The program's pid, and the id of its process group.
    let pid: pid_t
    /// The read end of the program's standard error (non-blocking), or -1 once it reached its end.
    private var errorOutput: Int32
    private var termination: Termination?

    private init(pid: pid_t, errorOutput: Int32) {
        self.pid = pid
        self.errorOutput = errorOutput
    }

    deinit {
        if errorOutput >= 0 { close(errorOutput) }
        if termination == nil {
            // Only reached when the job's thread gave up on the program: never leave it running, nor a zombie.
            kill(-pid, SIGKILL)
            _ = reap()
        }
    }

    /// Starts `executable` with `environment` (`NAME=value` entries) and `input` on standard input.
    /// The corresponding C function is `posix_spawn`.
    static func start(executable: String, environment: [String], input: [UInt8]) throws(WorkerError) -> ActionProcess {
        let inputPipe = try ProcessPipe()
        // The whole input goes into the pipe before the program starts: a job's JSON is a few KiB at most, far
        // below a pipe's capacity (64 KiB on Linux), so this never blocks and needs no thread.
        try inputPipe.fill(with: input)

        let errorPipe = try ProcessPipe()
        guard fcntl(errorPipe.read, F_SETFL, fcntl(errorPipe.read, F_GETFL) | O_NONBLOCK) == 0 else {
            throw WorkerError.system("fcntl(O_NONBLOCK)")
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inputPipe.read, 0)
        // Standard output joins the worker's standard error (before fd 2 is replaced by the pipe).
        if fcntl(2, F_GETFD) >= 0 {
            posix_spawn_file_actions_adddup2(&actions, 2, 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, errorPipe.write, 2)
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
        // Group 0: a new group whose id is the program's pid.
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(executable), nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        // The pipes must stay open until the program has its copies: their owners could otherwise be released
        // right after their descriptors were last read, before the spawn.
        let result = withExtendedLifetime((inputPipe, errorPipe)) {
            // A program file written a moment ago may still be open for writing in another process that forked
            // meanwhile (the descriptor lives in that child until its own exec): the kernel then refuses with
            // ETXTBSY for a few milliseconds. Try again for up to half a second before calling it a failure.
            var result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
            var attempts = 0
            while result == ETXTBSY && attempts < 50 {
                attempts += 1
                usleep(10_000)
                result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
            }
            return result
        }
        // The program has its copies; the worker's copies of its ends close with the pipes.
        guard result == 0 else {
            throw WorkerError.system("cannot start \(executable)", code: result)
        }
        return ActionProcess(pid: pid, errorOutput: errorPipe.takeRead())
    }

    /// Whether the program has exited, without reaping it. The corresponding C function is `waitid` with
    /// `WNOWAIT`.
    func hasExited() -> Bool {
        guard termination == nil else { return true }
        var info = siginfo_t()
        while true {
            let result = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
            if result == 0 { return info._sifields._sigchld.si_pid == pid }
            if errno == EINTR { continue }
            // ECHILD: not our child any more (nothing else in the worker reaps): treat it as gone.
            return true
        }
    }

    /// Sends `signal` to the program's process group: the program and every process it started that stayed in
    /// its group. Does nothing once the program is reaped (the id could name another group by then).
    func signalGroup(_ signal: Int32) {
        guard termination == nil else { return }
        kill(-pid, signal)
    }

    /// Waits up to `timeout` for the program to write to its standard error (or close it); returns at once when
    /// it already reached its end.
    func waitForErrorOutput(timeout: Duration) {
        let milliseconds = Int32(clamping: max(0, timeout.inMilliseconds))
        guard errorOutput >= 0 else {
            // Nothing to watch: just let the time pass (poll with no descriptors sleeps).
            _ = poll(nil, 0, milliseconds)
            return
        }
        var descriptor = pollfd(fd: errorOutput, events: Int16(POLLIN), revents: 0)
        _ = poll(&descriptor, 1, milliseconds)
    }

    /// Moves what the program wrote to its standard error so far into `tail`, without blocking; closes the pipe
    /// at its end.
    func readErrorOutput(into tail: inout OutputTail) {
        guard errorOutput >= 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(errorOutput, $0.baseAddress, $0.count) }
            if count > 0 {
                tail.append(buffer[..<count])
                continue
            }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            // End of file (every writer closed it), or an error that reading again would not fix.
            close(errorOutput)
            errorOutput = -1
            return
        }
    }

    /// Reaps the program and returns how it ended; blocks until it exits. The corresponding C function is
    /// `waitpid`.
    func reap() -> Termination {
        if let termination { return termination }
        var status: Int32 = 0
        var result: pid_t
        repeat {
            result = waitpid(pid, &status, 0)
        } while result < 0 && errno == EINTR
        let ended: Termination
        if result != pid {
            // Reaped elsewhere (nothing in the worker does): its status is unknowable.
            ended = .exited(-1)
        } else {
            let signal = status & 0x7F
            ended = signal == 0 ? .exited((status >> 8) & 0xFF) : .signaled(signal)
        }
        termination = ended
        return ended
    }

    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34), which Swift's Glibc module does not declare (it
    /// is a GNU extension): looked up at run time. It closes, in the child, every descriptor from `lowest` on,
    /// including those other threads opened without close-on-exec at that moment (a store connection's files, a
    /// pipe of another job being set up). Without it (an older glibc), the worker's own descriptors are still
    /// close-on-exec.
    private static func closeFrom(_ actions: inout posix_spawn_file_actions_t, _ lowest: Int32) {
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let function = addCloseFrom else { return }
        _ = unsafeBitCast(function, to: AddCloseFrom.self)(&actions, lowest)
    }

    // A function's address, set once: safe to share.
    nonisolated(unsafe) private static let addCloseFrom: UnsafeMutableRawPointer? = {
        dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np")
    }()
}
