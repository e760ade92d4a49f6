#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A listening socket the server accepts FastCGI connections on: the inherited descriptor 0, or a socket this
/// object created and owns.
///
/// Creating one binds at once, so that a bad address is reported before anything else starts. A socket this
/// object created is closed when it is released, and its socket file removed if it is still the one bound here.
/// (The sockets are made here rather than with `FCGX_OpenSocket`, which unlinks whatever file is at the path,
/// reads a port of 0 as a path, knows no IPv6, and reports failures only on standard error.)
public final class FastCGIListener: Sendable {
    /// The address this listener was made for.
    public let address: FastCGIListenAddress
    /// The listening descriptor, for `FCGX_InitRequest`.
    let fileDescriptor: Int32
    /// What the socket is bound to, as `getsockname` says (`unix:/run/jobs.sock`, `127.0.0.1:9000`).
    public let boundAddress: String

    private let ownsDescriptor: Bool
    private let socketFile: SocketFile?

    /// The socket file a `.unix` listener created, identified by device and inode so that `deinit` never
    /// removes a file that has since been replaced.
    private struct SocketFile: Sendable {
        var path: String
        var device: UInt64
        var inode: UInt64
    }

    /// The listen queue a created socket gets unless told otherwise: room for the connections nginx opens at once
    /// when thousands of clients arrive together (the kernel caps it at `net.core.somaxconn`, 4096 by default).
    public static let defaultBacklog = 4096

    /// Opens (or, for `.inherited`, checks) the listening socket. `backlog` is `listen(2)`'s queue length for a
    /// socket made here (an inherited one keeps the length its creator gave it: spawn-fcgi's `-b`).
    public init(_ address: FastCGIListenAddress, backlog: Int32 = Int32(FastCGIListener.defaultBacklog)) throws {
        self.address = address
        switch address {
        case .inherited:
            var accepting: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) == 0, accepting != 0 else {
                throw FastCGIError(
                    "standard input (fd 0) is not a listening socket: start under spawn-fcgi, or pass --listen")
            }
            // Accepting blocks (threads wait in accept(2) for their turn); a descriptor handed over non-blocking
            // would make every idle accept fail with EAGAIN.
            let flags = fcntl(0, F_GETFL)
            if flags >= 0, flags & O_NONBLOCK != 0 {
                _ = fcntl(0, F_SETFL, flags & ~O_NONBLOCK)
            }
            fileDescriptor = 0
            ownsDescriptor = false
            socketFile = nil
        case .unix(let path, let mode):
            let (descriptor, file) = try Self.openUnixSocket(path: path, mode: mode, backlog: backlog)
            fileDescriptor = descriptor
            ownsDescriptor = true
            socketFile = file
        case .tcp(let host, let port):
            fileDescriptor = try Self.openTCPSocket(host: host, port: port, backlog: backlog)
            ownsDescriptor = true
            socketFile = nil
        }
        boundAddress = Self.localAddress(of: fileDescriptor)
    }

    deinit {
        guard ownsDescriptor else { return }
        close(fileDescriptor)
        if let socketFile {
            var status = stat()
            if lstat(socketFile.path, &status) == 0, UInt64(status.st_dev) == socketFile.device,
                UInt64(status.st_ino) == socketFile.inode
            {
                unlink(socketFile.path)
            }
        }
    }

    // MARK: Unix-domain sockets

    private static func openUnixSocket(path: String, mode: UInt16, backlog: Int32) throws -> (Int32, SocketFile) {
        try removeStaleSocket(at: path)
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw FastCGIError.system("socket(AF_UNIX)") }
        var succeeded = false
        defer { if !succeeded { close(descriptor) } }

        var socketAddress = try unixAddress(path)
        let bound = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else { throw FastCGIError.system("cannot bind unix:\(path)") }
        // Before listen(2): nobody can connect until the mode is what the operator asked for.
        guard chmod(path, mode_t(mode)) == 0 else {
            let code = errno
            unlink(path)
            throw FastCGIError.system("cannot set the mode of \(path)", code: code)
        }
        var status = stat()
        guard lstat(path, &status) == 0 else { throw FastCGIError.system("cannot stat \(path)") }
        guard listen(descriptor, backlog) == 0 else {
            let code = errno
            unlink(path)
            throw FastCGIError.system("cannot listen on unix:\(path)", code: code)
        }
        succeeded = true
        return (descriptor, SocketFile(path: path, device: UInt64(status.st_dev), inode: UInt64(status.st_ino)))
    }

    /// Removes a socket file nobody listens on any more; refuses to touch anything else.
    private static func removeStaleSocket(at path: String) throws {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            if errno == ENOENT { return }
            throw FastCGIError.system("cannot stat \(path)")
        }
        guard status.st_mode & S_IFMT == S_IFSOCK else {
            throw FastCGIError("\(path) exists and is not a socket; refusing to replace it")
        }
        let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard probe >= 0 else { throw FastCGIError.system("socket(AF_UNIX)") }
        defer { close(probe) }
        var socketAddress = try unixAddress(path)
        let connected = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(probe, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if connected == 0 {
            throw FastCGIError("another process is listening on unix:\(path)")
        }
        guard errno == ECONNREFUSED else { throw FastCGIError.system("cannot probe unix:\(path)") }
        guard unlink(path) == 0 || errno == ENOENT else {
            throw FastCGIError.system("cannot remove the stale socket \(path)")
        }
    }

    private static func unixAddress(_ path: String) throws -> sockaddr_un {
        var socketAddress = sockaddr_un()
        socketAddress.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: socketAddress.sun_path)
        guard bytes.count < capacity, !bytes.contains(0) else {
            throw FastCGIError("the socket path \(path) is too long (at most \(capacity - 1) bytes)")
        }
        withUnsafeMutableBytes(of: &socketAddress.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        return socketAddress
    }

    // MARK: TCP sockets

    private static func openTCPSocket(host: String, port: UInt16, backlog: Int32) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var results: UnsafeMutablePointer<addrinfo>?
        let status = host.isEmpty
            ? getaddrinfo(nil, String(port), &hints, &results)
            : getaddrinfo(host, String(port), &hints, &results)
        guard status == 0 else {
            throw FastCGIError("cannot resolve \(host.isEmpty ? "*" : host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(results) }

        var lastError = FastCGIError("no address to listen on for \(host):\(port)")
        var entry = results
        while let info = entry {
            entry = info.pointee.ai_next
            let descriptor = socket(
                info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue),
                info.pointee.ai_protocol)
            guard descriptor >= 0 else {
                lastError = .system("socket()")
                continue
            }
            var one: Int32 = 1
            setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            guard bind(descriptor, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
                lastError = .system("cannot bind \(FastCGIListenAddress.tcp(host: host, port: port))")
                close(descriptor)
                continue
            }
            guard listen(descriptor, backlog) == 0 else {
                lastError = .system("cannot listen on \(FastCGIListenAddress.tcp(host: host, port: port))")
                close(descriptor)
                continue
            }
            return descriptor
        }
        throw lastError
    }

    // MARK: Describing a socket

    /// `unix:PATH`, `ADDRESS:PORT` or `[IPv6]:PORT` for the socket's local address; `fd N` when unknown.
    static func localAddress(of descriptor: Int32) -> String {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let found = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard found == 0 else { return "fd \(descriptor)" }
        switch Int32(storage.ss_family) {
        case AF_UNIX:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_un.self, capacity: 1) { pointer in
                    withUnsafeBytes(of: pointer.pointee.sun_path) { raw in
                        let bytes = raw.prefix { $0 != 0 }
                        return bytes.isEmpty ? "unix:(unnamed)" : "unix:" + String(decoding: bytes, as: UTF8.self)
                    }
                }
            }
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                    let port = UInt16(bigEndian: pointer.pointee.sin_port)
                    let host = withUnsafeBytes(of: pointer.pointee.sin_addr) { numericHost(family: AF_INET, $0) }
                    return "\(host):\(port)"
                }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                    let port = UInt16(bigEndian: pointer.pointee.sin6_port)
                    let host = withUnsafeBytes(of: pointer.pointee.sin6_addr) { numericHost(family: AF_INET6, $0) }
                    return "[\(host)]:\(port)"
                }
            }
        default:
            return "fd \(descriptor)"
        }
    }

    /// The numeric text of an `in_addr` or `in6_addr`. The corresponding C function is `inet_ntop`.
    private static func numericHost(family: Int32, _ address: UnsafeRawBufferPointer) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let converted = buffer.withUnsafeMutableBufferPointer { text in
            inet_ntop(family, address.baseAddress, text.baseAddress, socklen_t(text.count))
        }
        guard converted != nil else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
