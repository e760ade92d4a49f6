#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a program ended, as `waitpid` reports it (for a program the action runner started: as the runner
/// reported it).
package enum Termination: Sendable, Equatable, CustomStringConvertible {
    /// It exited with this status.
    case exited(Int32)
    /// A signal ended it.
    case signaled(Int32)
    /// Its end is unknown: the action runner that started it did not report it (the connection to the runner
    /// was lost, or the runner answered something else), and the runner kills a program whose worker is gone.
    /// Says why, as a job's failure cause.
    case unreported(String)
    /// The action runner stopped the program because the runner itself was stopping (a restart, an upgrade): the
    /// job did not fail, and is released so that it runs again.
    case interrupted

    /// Whether it exited with status 0.
    package var isSuccess: Bool { self == .exited(0) }

    /// `exited with status 3`, `killed by SIGKILL`.
    package var description: String {
        switch self {
        case .exited(let status): return "exited with status \(status)"
        case .signaled(let signal): return "killed by \(Termination.name(of: signal))"
        case .unreported(let reason): return reason
        case .interrupted: return "stopped because the action runner was stopping"
        }
    }

    /// A signal's conventional name (`SIGTERM`), or `signal N`.
    package static func name(of signal: Int32) -> String {
        let names: [Int32: String] = [
            SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
            SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGUSR1: "SIGUSR1",
            SIGSEGV: "SIGSEGV", SIGUSR2: "SIGUSR2", SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM",
            SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ",
        ]
        return names[signal] ?? "signal \(signal)"
    }
}
