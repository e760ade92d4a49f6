import CFastCGI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The stop signals: SIGTERM, SIGINT and SIGUSR1 (libfcgi's own graceful-stop signal) end the server; SIGPIPE
/// is ignored.
///
/// This is the only file that touches the handler's state in the shim: that state is `static` in a C header,
/// so each object file using it would have its own copy.
enum ShutdownSignals {
    /// Installs the stop handlers; each stop signal writes a byte to `wake`, so the thread waiting on it learns
    /// of the signal whichever thread the kernel delivered it to.
    static func install(waking wake: WakePipe) throws {
        guard cfastcgi_install_stop_handlers(wake.writeDescriptor) == 0 else {
            throw FastCGIError.system("sigaction")
        }
    }

    /// Ignores SIGPIPE, leaving the other dispositions alone.
    static func ignoreBrokenPipes() throws {
        guard cfastcgi_ignore_sigpipe() == 0 else { throw FastCGIError.system("sigaction(SIGPIPE)") }
    }

    /// The first stop signal received since `install`, or `nil`.
    static var received: Int32? {
        let signal = cfastcgi_stop_signal_received()
        return signal == 0 ? nil : signal
    }

    /// The signal sent to one thread to interrupt its `accept` (or its wait on a kept connection). Its handler is
    /// the stop handler, installed without `SA_RESTART`, so the blocked call fails with `EINTR`.
    static var wakeSignal: Int32 { CFASTCGI_WAKE_SIGNAL }

    /// A signal's conventional name (`SIGTERM`), for the log.
    static func name(of signal: Int32) -> String {
        switch signal {
        case SIGTERM: return "SIGTERM"
        case SIGINT: return "SIGINT"
        case SIGUSR1: return "SIGUSR1"
        default: return "signal \(signal)"
        }
    }
}
