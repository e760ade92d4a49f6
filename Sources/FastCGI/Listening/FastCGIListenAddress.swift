/// Where the server takes its connections from.
public enum FastCGIListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// The listening socket the process inherited as file descriptor 0, as spawn-fcgi (and other FastCGI
    /// process managers) hand it over. The default.
    case inherited
    /// A Unix-domain socket created at `path`. A stale socket file there is removed first; anything else there
    /// (a regular file, a socket some process still listens on) is an error. The socket file gets `mode`.
    case unix(path: String, mode: UInt16 = FastCGIListenAddress.defaultSocketMode)
    /// A TCP socket bound to `host` (a name, an IPv4 or IPv6 address; empty or `*` for every address) and `port`.
    case tcp(host: String, port: UInt16)

    /// Read and write for the owner and the group (`0660`): give nginx's user the socket's group, or use `0666`.
    public static let defaultSocketMode: UInt16 = 0o660

    /// The longest Unix-domain socket path, in bytes (`sizeof(sun_path)` less the terminating NUL).
    static let maximumSocketPathLength = 107

    /// Reads `unix:PATH`, `HOST:PORT`, `:PORT` (every address), or `[IPv6]:PORT`. Ports are decimal, 1–65535.
    /// `mode` applies to a Unix-domain socket.
    public init(parsing text: String, socketMode mode: UInt16 = FastCGIListenAddress.defaultSocketMode) throws {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst("unix:".count))
            guard !path.isEmpty else { throw FastCGIError("'\(text)': the socket path is empty") }
            guard !path.utf8.contains(0) else { throw FastCGIError("the socket path contains a NUL byte") }
            guard path.utf8.count <= Self.maximumSocketPathLength else {
                throw FastCGIError(
                    "'\(text)': a Unix socket path is at most \(Self.maximumSocketPathLength) bytes long")
            }
            self = .unix(path: path, mode: mode)
            return
        }
        guard let colon = text.lastIndex(of: ":") else {
            throw FastCGIError("'\(text)' is not a listen address: use unix:PATH or HOST:PORT")
        }
        var host = String(text[..<colon])
        let portText = text[text.index(after: colon)...]
        guard let port = Self.port(portText) else {
            throw FastCGIError("'\(text)': the port must be a number from 1 to 65535")
        }
        if host.hasPrefix("[") && host.hasSuffix("]") && host.count >= 2 {
            host = String(host.dropFirst().dropLast())
        } else if host.contains(":") {
            throw FastCGIError("'\(text)': write an IPv6 address in brackets, as [::1]:\(port)")
        }
        guard !host.utf8.contains(0) else { throw FastCGIError("the host contains a NUL byte") }
        self = .tcp(host: host == "*" ? "" : host, port: port)
    }

    /// ASCII decimal digits only, 1–65535.
    private static func port(_ text: Substring) -> UInt16? {
        guard !text.isEmpty, text.utf8.count <= 5 else { return nil }
        var value = 0
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        guard value >= 1, value <= 65535 else { return nil }
        return UInt16(value)
    }

    public var description: String {
        switch self {
        case .inherited:
            return "inherited socket (fd 0)"
        case .unix(let path, _):
            return "unix:\(path)"
        case .tcp(let host, let port):
            if host.isEmpty { return "*:\(port)" }
            return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
    }
}
