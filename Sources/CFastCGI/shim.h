// libfcgi for Swift: its thread-safe API (fcgiapp.h), plus the one piece Swift cannot write itself, an
// async-signal-safe handler for the signals that stop the server (the fcgiwrap.c way: sigaction without
// SA_RESTART, a flag, FCGX_ShutdownPending()).
//
// Only the FastCGI module imports this header.
#ifndef CFASTCGI_SHIM_H
#define CFASTCGI_SHIM_H

#include <fcgiapp.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

// The state the handler shares with the server. These are `static` in a header, so every object file that
// references them has its own copy: the FastCGI module touches them from exactly one Swift file
// (Server/ShutdownSignals.swift), which makes that copy the only one.

/// The first stop signal received (0 while none has arrived).
static volatile sig_atomic_t cfastcgi_received_stop_signal = 0;
/// The write end of a non-blocking pipe that wakes the thread waiting in `poll`, or -1.
static volatile sig_atomic_t cfastcgi_wake_fd = -1;

/// The handler for SIGTERM, SIGINT and SIGUSR1 (libfcgi's own graceful-stop signal). Async-signal-safe: it sets
/// two flags and writes one byte; `errno` is preserved for the code it interrupted.
static inline void cfastcgi_on_stop_signal(int signo) {
    int saved_errno = errno;
    if (cfastcgi_received_stop_signal == 0) {
        cfastcgi_received_stop_signal = signo;
    }
    FCGX_ShutdownPending();
    int fd = cfastcgi_wake_fd;
    if (fd >= 0) {
        char byte = 1;
        ssize_t ignored = write(fd, &byte, 1);
        (void)ignored;
    }
    errno = saved_errno;
}

/// Installs `cfastcgi_on_stop_signal` for SIGTERM, SIGINT and SIGUSR1 with `sa_flags = 0` (no `SA_RESTART`, so
/// a thread blocked in `accept` returns with `EINTR`), and ignores SIGPIPE (a client that went away must not
/// kill the process: writes fail with `EPIPE` instead). `wake_fd` must stay open for the life of the process.
/// Returns 0, or -1 with `errno` set.
static inline int cfastcgi_install_stop_handlers(int wake_fd) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    action.sa_handler = cfastcgi_on_stop_signal;

    cfastcgi_received_stop_signal = 0;
    cfastcgi_wake_fd = wake_fd;
    if (sigaction(SIGTERM, &action, NULL) != 0) return -1;
    if (sigaction(SIGINT, &action, NULL) != 0) return -1;
    if (sigaction(SIGUSR1, &action, NULL) != 0) return -1;

    // A parent may have started us with these signals blocked (the mask survives exec): they would stay
    // pending forever. Unblock them here, before any thread exists, so that every thread inherits the mask.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGUSR1);
    int failure = pthread_sigmask(SIG_UNBLOCK, &stop_signals, NULL);
    if (failure != 0) {
        errno = failure;
        return -1;
    }

    struct sigaction ignore;
    memset(&ignore, 0, sizeof ignore);
    sigemptyset(&ignore.sa_mask);
    ignore.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &ignore, NULL);
}

/// Ignores SIGPIPE without touching the other dispositions (before `FCGX_Init`, so that libfcgi does not
/// install its own no-op handler over the default). Returns 0, or -1 with `errno` set.
static inline int cfastcgi_ignore_sigpipe(void) {
    struct sigaction ignore;
    memset(&ignore, 0, sizeof ignore);
    sigemptyset(&ignore.sa_mask);
    ignore.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &ignore, NULL);
}

/// The first stop signal received since `cfastcgi_install_stop_handlers`, or 0.
static inline int cfastcgi_stop_signal_received(void) {
    return cfastcgi_received_stop_signal;
}

/// glibc declares `accept4` only under _GNU_SOURCE, which the Swift side of the build does not define.
extern int accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);

/// Accepts a connection already marked close-on-exec (`accept4` with `SOCK_CLOEXEC`): one system call per
/// request instead of `accept` and `fcntl`. Returns the descriptor, or -1 with `errno` set.
static inline int cfastcgi_accept_cloexec(int listening_fd) {
    return accept4(listening_fd, NULL, NULL, SOCK_CLOEXEC);
}

/// A unix datagram socket marked close-on-exec, for the service manager's notifications. (Written here because
/// `SOCK_CLOEXEC` did not always resolve in Swift files that import only Glibc: clean builds failed now and then.)
/// Returns the descriptor, or -1 with `errno` set.
static inline int cfastcgi_datagram_socket_cloexec(void) {
    return socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

/// The signal sent with `pthread_kill` to a worker thread to interrupt its `accept` (or its read of a kept
/// connection) once a stop has begun.
static const int CFASTCGI_WAKE_SIGNAL = SIGUSR1;

#endif
