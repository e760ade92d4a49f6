#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Starts programs the way a shell starts one, for the worker's actions and the tests' processes alike: every
/// signal at its default disposition and none blocked (callers block SIGTERM to `sigwait` for it), and no
/// descriptor of the caller's but the three standard ones.
///
/// Foundation's `Process` is not used: its children inherit the calling thread's signal mask and descriptors
/// that are not close-on-exec.
package enum ProcessSpawn {
    /// Where a child's standard output goes.
    package enum Output: Sendable {
        /// This descriptor of the caller's, duplicated into the child.
        case descriptor(Int32)
        /// `/dev/null`.
        case nullDevice
    }

    /// A failure to start a program: the `errno` value `posix_spawn` returned.
    package struct Failure: Error, CustomStringConvertible, Sendable {
        /// The program that did not start.
        package let executable: String
        /// The `errno` value.
        package let code: Int32

        package var description: String { "cannot start \(executable): \(String(cString: strerror(code)))" }
    }

    /// Starts `executable` with `arguments` and `environment` (`NAME=value` entries), its standard streams on the
    /// given descriptors (duplicated into the child, in the order 0, 1, 2; the caller still owns and closes
    /// them). With `newProcessGroup`, the child leads a process group of its own whose id is its pid, so that a
    /// signal to `-pid` reaches every process it starts. Returns the child's pid. The corresponding C function is
    /// `posix_spawn`.
    package static func spawn(
        _ executable: String, arguments: [String] = [], environment: [String],
        standardInput: Int32, standardOutput: Output, standardError: Int32, newProcessGroup: Bool = false
    ) throws(Failure) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, standardInput, 0)
        switch standardOutput {
        case .descriptor(let descriptor): posix_spawn_file_actions_adddup2(&actions, descriptor, 1)
        case .nullDevice: posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
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
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if newProcessGroup {
            // Group 0: a new group whose id is the child's pid.
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        // A program file written a moment ago may still be open for writing in another process that forked
        // meanwhile (until that child's own exec): the kernel refuses with ETXTBSY for a few milliseconds.
        var result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        var attempts = 0
        while result == ETXTBSY && attempts < 50 {
            attempts += 1
            usleep(10_000)
            result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        }
        guard result == 0 else { throw Failure(executable: executable, code: result) }
        return pid
    }

    /// A pipe (read end, write end) whose descriptors are close-on-exec from the moment they exist, or `nil` with
    /// `errno` set. `pipe` then `fcntl(FD_CLOEXEC)` leaves a moment in which another thread's spawn (or a library's
    /// fork) inherits the pipe, and a child holding a write end keeps the reader from ever seeing its end. The
    /// corresponding C function is `pipe2(O_CLOEXEC)`, which Swift's Glibc module does not declare (a GNU
    /// extension, in glibc since 2.9): looked up at run time, with `pipe` and `fcntl` where it is missing.
    package static func closeOnExecPipe() -> (read: Int32, write: Int32)? {
        var descriptors: [Int32] = [-1, -1]
        if let function = pipe2Function {
            typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
            guard unsafeBitCast(function, to: Pipe2.self)(&descriptors, O_CLOEXEC) == 0 else { return nil }
        } else {
            guard pipe(&descriptors) == 0 else { return nil }
            for descriptor in descriptors { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        }
        return (descriptors[0], descriptors[1])
    }

    // A function's address, set once: safe to share.
    nonisolated(unsafe) private static let pipe2Function: UnsafeMutableRawPointer? = {
        dlsym(dlopen(nil, RTLD_NOW), "pipe2")
    }()

    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34), which Swift's Glibc module does not declare (a GNU
    /// extension): looked up at run time. It closes, in the child, every descriptor from `lowest` on, including
    /// those other threads opened without close-on-exec at that moment. Without it (an older glibc), only
    /// close-on-exec keeps the caller's descriptors from the child.
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
