#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One end of the action runner's Unix socket (``ActionRunner``): the runner's listening socket, a connection it
/// accepted, or a worker's connection to it. Owns its descriptor, which is close-on-exec from the moment it
/// exists (programs start while other threads open sockets) and closed exactly once: by ``close()`` or, at the
/// latest, when the value goes away.
///
/// Connections are non-blocking: every wait is a `poll` with a deadline, and every write is `send` with
/// `MSG_NOSIGNAL` (a peer that went away is an error, never a SIGPIPE).
///
/// Not `Sendable`: one thread owns it.
final class RunnerSocket {
    /// The descriptor, or -1 once closed.
    private(set) var descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        close()
    }

    /// Closes the socket; calling it again does nothing.
    func close() {
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
        descriptor = -1
    }

    // MARK: Listening

    /// Listens on a new socket file at `path`, of mode `mode`: a stale socket file there (nobody listens on it)
    /// is replaced, anything else is refused. The corresponding C functions are `socket`, `bind` and `listen`.
    static func listen(path: String, mode: mode_t) throws(WorkerError) -> RunnerSocket {
        var status = stat()
        if lstat(path, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFSOCK else {
                throw WorkerError("\(path) exists and is not a socket; refusing to replace it")
            }
            if let probe = try? connect(path: path) {
                probe.close()
                throw WorkerError("another process is listening on \(path)")
            }
            guard unlink(path) == 0 || errno == ENOENT else { throw WorkerError.system("cannot remove \(path)") }
        } else if errno != ENOENT {
            throw WorkerError.system("cannot stat \(path)")
        }
        var address = try unixAddress(path)
        let socket = try newSocket()
        // Nobody but the owner can connect before the mode is the one asked for.
        let previousMask = umask(0o177)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket.descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        umask(previousMask)
        guard bound == 0 else { throw WorkerError.system("cannot bind \(path)") }
        guard chmod(path, mode) == 0 else {
            let code = errno
            unlink(path)
            throw WorkerError.system("cannot set the mode of \(path)", code: code)
        }
        guard Glibc.listen(socket.descriptor, 64) == 0 else {
            let code = errno
            unlink(path)
            throw WorkerError.system("cannot listen on \(path)", code: code)
        }
        return socket
    }

    /// The listening socket systemd passed (socket activation: `LISTEN_PID` is this process, `LISTEN_FDS` is 1,
    /// the socket is descriptor 3), checked to be a listening Unix stream socket; `nil` when systemd passed none.
    /// Removes `LISTEN_PID`, `LISTEN_FDS` and `LISTEN_FDNAMES` from the environment, so that no program inherits
    /// them. The corresponding C function is `getsockopt` (`SO_ACCEPTCONN`, `SO_TYPE`, `SO_DOMAIN`).
    static func systemdListener() throws(WorkerError) -> RunnerSocket? {
        let pid = getenv("LISTEN_PID").map { String(cString: $0) }
        let count = getenv("LISTEN_FDS").map { String(cString: $0) }
        forgetSystemdVariables()
        guard let pid, let count, pid_t(pid) == getpid() else { return nil }
        guard count == "1" else {
            throw WorkerError("systemd passed \(count) sockets (LISTEN_FDS); the action runner takes exactly one")
        }
        let descriptor: Int32 = 3
        func option(_ name: Int32) -> Int32? {
            var value: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            return getsockopt(descriptor, SOL_SOCKET, name, &value, &length) == 0 ? value : nil
        }
        guard option(SO_DOMAIN) == AF_UNIX, option(SO_TYPE) == Int32(SOCK_STREAM.rawValue),
            option(SO_ACCEPTCONN) == 1
        else {
            throw WorkerError(
                "descriptor 3 from systemd is not a listening Unix stream socket (ListenStream=PATH in "
                    + "jobs-action.socket)")
        }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        return RunnerSocket(descriptor: descriptor)
    }

    /// Removes systemd's socket-activation variables from the environment, so that no program inherits them.
    /// The corresponding C function is `unsetenv`.
    static func forgetSystemdVariables() {
        unsetenv("LISTEN_PID")
        unsetenv("LISTEN_FDS")
        unsetenv("LISTEN_FDNAMES")
    }

    /// Waits up to `timeout` for a connection and accepts it, non-blocking and close-on-exec; `nil` when none
    /// came (or accepting failed: the caller tries again). The corresponding C function is `accept4`.
    func accept(timeout: Duration) -> RunnerSocket? {
        guard waitUntilReadable(timeout: timeout) else { return nil }
        let flags = Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        let accepted: Int32
        if let function = Self.accept4Function {
            typealias Accept4 = @convention(c) (
                Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?, Int32
            ) -> Int32
            accepted = unsafeBitCast(function, to: Accept4.self)(descriptor, nil, nil, flags)
        } else {
            accepted = Glibc.accept(descriptor, nil, nil)
            if accepted >= 0 {
                _ = fcntl(accepted, F_SETFD, FD_CLOEXEC)
                _ = fcntl(accepted, F_SETFL, fcntl(accepted, F_GETFL) | O_NONBLOCK)
            }
        }
        return accepted >= 0 ? RunnerSocket(descriptor: accepted) : nil
    }

    // `accept4` is a GNU extension Swift's Glibc module does not declare: looked up once, at run time.
    nonisolated(unsafe) private static let accept4Function: UnsafeMutableRawPointer? = {
        dlsym(dlopen(nil, RTLD_NOW), "accept4")
    }()

    // MARK: Connecting

    /// Connects to the runner listening at `path`; the connection is then non-blocking (each send has a
    /// deadline of its own: ``send(_:before:)``). The corresponding C function is `connect`.
    static func connect(path: String) throws(WorkerError) -> RunnerSocket {
        var address = try unixAddress(path)
        let socket = try newSocket()
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(socket.descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else { throw WorkerError.system("connect") }
        _ = fcntl(socket.descriptor, F_SETFL, fcntl(socket.descriptor, F_GETFL) | O_NONBLOCK)
        return socket
    }

    private static func newSocket() throws(WorkerError) -> RunnerSocket {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw WorkerError.system("socket(AF_UNIX)") }
        return RunnerSocket(descriptor: descriptor)
    }

    private static func unixAddress(_ path: String) throws(WorkerError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity, !bytes.contains(0) else {
            throw WorkerError("the socket path \(path) is empty or too long (at most \(capacity - 1) bytes)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        return address
    }

    // MARK: Reading and writing

    /// Waits up to `timeout` for bytes to read (or the end of the connection). The corresponding C function is
    /// `poll`.
    func waitUntilReadable(timeout: Duration) -> Bool {
        guard descriptor >= 0 else { return false }
        var watched = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(clamping: max(0, timeout.inMilliseconds))
        return poll(&watched, 1, milliseconds) > 0
    }

    /// What one ``receive(upTo:)`` found.
    enum Received {
        /// These bytes.
        case bytes([UInt8])
        /// Nothing yet.
        case nothing
        /// The end of the connection: the peer closed it, or it failed.
        case end
    }

    /// Reads up to `count` bytes that are there now, without blocking. The corresponding C function is `read`.
    func receive(upTo count: Int) -> Received {
        guard descriptor >= 0 else { return .end }
        var buffer = [UInt8](repeating: 0, count: max(1, count))
        while true {
            let read = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if read > 0 { return .bytes(Array(buffer[..<read])) }
            if read == 0 { return .end }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return .nothing }
            return .end
        }
    }

    /// Sends all of `bytes` before `deadline`, waiting for room as needed; whether they all went. The
    /// corresponding C function is `send` with `MSG_NOSIGNAL`.
    @discardableResult
    func send(_ bytes: [UInt8], before deadline: ContinuousClock.Instant) -> Bool {
        var offset = 0
        while offset < bytes.count {
            guard descriptor >= 0 else { return false }
            let sent = bytes.withUnsafeBytes { buffer in
                Glibc.send(descriptor, buffer.baseAddress! + offset, buffer.count - offset,
                           Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
            }
            if sent > 0 {
                offset += sent
                continue
            }
            if sent < 0 && errno == EINTR { continue }
            guard sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) else { return false }
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { return false }
            var watched = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            _ = poll(&watched, 1, Int32(clamping: max(1, left.inMilliseconds)))
        }
        return true
    }

    /// Sends `text` (an answer line), within `timeout`.
    @discardableResult
    func send(_ text: String, within timeout: Duration = .seconds(10)) -> Bool {
        send(Array(text.utf8), before: .now + timeout)
    }
}
