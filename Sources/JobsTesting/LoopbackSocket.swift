import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// TCP sockets of 127.0.0.1 on a port the kernel chooses.
enum LoopbackSocket {
    /// A close-on-exec TCP socket bound to 127.0.0.1 on a free port (listening, when `backlog` is given), and
    /// that port. The caller closes the socket.
    static func bind(listening backlog: Int32? = nil) throws -> (socket: Int32, port: UInt16) {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { throw JobsTestingError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0
                    && (backlog.map { listen(socket, $0) == 0 } ?? true)
            }
        }
        guard bound else {
            let message = String(cString: strerror(errno))
            close(socket)
            throw JobsTestingError("cannot bind a socket to 127.0.0.1: \(message)")
        }
        return (socket, UInt16(bigEndian: address.sin_port))
    }

    /// A TCP port of 127.0.0.1 that was free a moment ago.
    static func freePort() throws -> UInt16 {
        let (socket, port) = try bind()
        close(socket)
        return port
    }
}
