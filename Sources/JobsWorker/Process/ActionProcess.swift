import ProcessSpawn

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A job's program, started directly (no shell) the way a shell starts one: every signal at its default
/// disposition and none blocked, no descriptor of the worker's but the three standard ones, and a process group
/// of its own, so that stopping it reaches every process it started.
///
/// Standard input is a pipe through which the worker writes `input`, then end of file (``writeInput()``, as the
/// program reads it: an input of any size, never assumed to fit in the pipe); standard output is the worker's
/// standard error (the journal under systemd); standard error is a pipe the worker reads
/// (``readErrorOutput(into:)``). Both pipes are non-blocking on the worker's side and watched together
/// (``waitForOutputOrInputSpace(timeout:)``), so a program that writes much before it reads cannot deadlock
/// against the worker.
///
/// The program starts through ``ProcessSpawn`` (signals at their defaults: the worker blocks SIGTERM and SIGINT
/// in every thread, to receive them with `sigwait`).
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
    /// The write end of the program's standard input (non-blocking), or -1 once all of `input` went in (or the
    /// program closed its end).
    private var inputEnd: Int32
    /// The job's input and how much of it was written.
    private let input: [UInt8]
    private var inputWritten = 0
    private var termination: Termination?

    private init(pid: pid_t, errorOutput: Int32, inputEnd: Int32, input: [UInt8]) {
        self.pid = pid
        self.errorOutput = errorOutput
        self.inputEnd = inputEnd
        self.input = input
        if input.isEmpty { closeInput() }
    }

    deinit {
        if errorOutput >= 0 { close(errorOutput) }
        closeInput()
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
        guard fcntl(inputPipe.write, F_SETFL, fcntl(inputPipe.write, F_GETFL) | O_NONBLOCK) == 0 else {
            throw WorkerError.system("fcntl(O_NONBLOCK)")
        }

        let errorPipe = try ProcessPipe()
        guard fcntl(errorPipe.read, F_SETFL, fcntl(errorPipe.read, F_GETFL) | O_NONBLOCK) == 0 else {
            throw WorkerError.system("fcntl(O_NONBLOCK)")
        }

        // Standard output joins the worker's standard error, when it has one.
        let output: ProcessSpawn.Output = fcntl(2, F_GETFD) >= 0 ? .descriptor(2) : .nullDevice
        let pid: pid_t
        do {
            // The pipes stay open until the program has its copies.
            pid = try withExtendedLifetime((inputPipe, errorPipe)) { () throws(ProcessSpawn.Failure) -> pid_t in
                try ProcessSpawn.spawn(
                    executable, environment: environment, standardInput: inputPipe.read, standardOutput: output,
                    standardError: errorPipe.write, newProcessGroup: true)
            }
        } catch {
            throw WorkerError.system("cannot start \(executable)", code: error.code)
        }
        // The program has its copies; the worker's copies of its ends close with the pipes.
        return ActionProcess(
            pid: pid, errorOutput: errorPipe.takeRead(), inputEnd: inputPipe.takeWrite(), input: input)
    }

    /// Writes as much of the job's input as the pipe takes now, without blocking; closes the pipe once all of it
    /// went in (the program then reads end of file), or when the program closed its end (it exited, or does not
    /// read its input: the rest is dropped). The corresponding C function is `write`.
    func writeInput() {
        while inputEnd >= 0 && inputWritten < input.count {
            let written = input.withUnsafeBytes { buffer in
                Self.writeWithoutSIGPIPE(inputEnd, buffer.baseAddress! + inputWritten, buffer.count - inputWritten)
            }
            if written > 0 {
                inputWritten += written
                continue
            }
            if written < 0 && errno == EINTR { continue }
            if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            // EPIPE: nobody reads it any more.
            break
        }
        closeInput()
    }

    /// Closes the worker's end of the program's standard input; what was not written yet is dropped.
    func closeInput() {
        if inputEnd >= 0 { close(inputEnd) }
        inputEnd = -1
    }

    /// `write(2)` that reports a pipe without a reader as `EPIPE` without the signal that comes with it (which
    /// would end the worker, or a test's process, wherever SIGPIPE is not ignored): SIGPIPE is blocked in the
    /// calling thread for the call, and one it raised is taken back (`sigtimedwait`) before it is unblocked.
    private static func writeWithoutSIGPIPE(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous)
        var pending = sigset_t()
        sigpending(&pending)
        let pendingBefore = sigismember(&pending, SIGPIPE) == 1
        let written = write(descriptor, bytes, count)
        let failure = errno
        if written < 0 && failure == EPIPE && !pendingBefore {
            var noWait = timespec(tv_sec: 0, tv_nsec: 0)
            _ = sigtimedwait(&pipeSignal, nil, &noWait)
        }
        pthread_sigmask(SIG_SETMASK, &previous, nil)
        errno = failure
        return written
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

    /// Waits up to `timeout` for the program to write to its standard error (or close it), or to read enough of
    /// its standard input for more of the job's input to fit. The corresponding C function is `poll`.
    func waitForOutputOrInputSpace(timeout: Duration) {
        waitForOutputOrInputSpace(timeout: timeout, orReadable: -1)
    }

    /// ``waitForOutputOrInputSpace(timeout:)`` that also returns when `connection` (unless -1) has bytes to read
    /// or ended: the action runner's connection to the worker, watched with the program's pipes.
    func waitForOutputOrInputSpace(timeout: Duration, orReadable connection: Int32) {
        let milliseconds = Int32(clamping: max(0, timeout.inMilliseconds))
        var descriptors: [pollfd] = []
        if connection >= 0 { descriptors.append(pollfd(fd: connection, events: Int16(POLLIN), revents: 0)) }
        if errorOutput >= 0 { descriptors.append(pollfd(fd: errorOutput, events: Int16(POLLIN), revents: 0)) }
        if inputEnd >= 0 { descriptors.append(pollfd(fd: inputEnd, events: Int16(POLLOUT), revents: 0)) }
        // With nothing to watch, poll just lets the time pass.
        _ = poll(&descriptors, nfds_t(descriptors.count), milliseconds)
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
}
