/// One request as the web server described it: its FastCGI params (`REQUEST_METHOD`, `REQUEST_URI`, every
/// request header as `HTTP_*`, …), copied out of libfcgi when the request was accepted.
///
/// Values are kept as the bytes the web server sent; the `String` accessors decode them as UTF-8, replacing
/// invalid sequences with U+FFFD, so no byte sequence can make them fail. The request body is not read.
public struct FastCGIRequest: Sendable {
    /// One param: its name and its value's bytes.
    public struct Param: Sendable, Equatable {
        public var name: String
        public var value: [UInt8]

        public init(name: String, value: [UInt8]) {
            self.name = name
            self.value = value
        }
    }

    /// Every param, in the order the web server sent them.
    public let params: [Param]
    /// The index in `params` of each name's first occurrence.
    private let firstIndex: [String: Int]

    /// A request with these params (the first of two with the same name counts).
    public init(params: [Param]) {
        self.params = params
        var firstIndex: [String: Int] = [:]
        for (index, param) in params.enumerated() where firstIndex[param.name] == nil {
            firstIndex[param.name] = index
        }
        self.firstIndex = firstIndex
    }

    /// The value of the param `name`, decoded as UTF-8 (invalid sequences become U+FFFD); `nil` if absent.
    public subscript(param name: String) -> String? {
        guard let bytes = bytes(ofParam: name) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The raw bytes of the param `name`; `nil` if absent.
    public func bytes(ofParam name: String) -> [UInt8]? {
        guard let index = firstIndex[name] else { return nil }
        return params[index].value
    }

    /// `REQUEST_METHOD`, e.g. `GET`.
    public var method: String? { self[param: "REQUEST_METHOD"] }
    /// `REQUEST_URI`: the path and query as the client sent them, still percent-encoded.
    public var requestURI: String? { self[param: "REQUEST_URI"] }
    /// `QUERY_STRING`, without the `?`.
    public var queryString: String? { self[param: "QUERY_STRING"] }
    /// The `Authorization` request header (`HTTP_AUTHORIZATION`).
    public var authorization: String? { self[param: "HTTP_AUTHORIZATION"] }
    /// The client's address as the web server saw it (`REMOTE_ADDR`).
    public var remoteAddress: String? { self[param: "REMOTE_ADDR"] }
    /// Whether this is a `HEAD` request, whose response the server writes without a body.
    public var isHead: Bool { bytes(ofParam: "REQUEST_METHOD") == Array("HEAD".utf8) }
}

extension FastCGIRequest {
    /// Copies a libfcgi params array (`NAME=value` C strings up to a NULL entry): the array is freed by
    /// `FCGX_Finish_r`, so nothing may point into it afterwards. An entry without `=` is a name with an empty
    /// value.
    init(copyingEnvironment environment: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) {
        var params: [Param] = []
        if var entry = environment {
            while let cString = entry.pointee {
                let bytes = UnsafeRawPointer(cString).assumingMemoryBound(to: UInt8.self)
                var length = 0
                while bytes[length] != 0 { length += 1 }
                let buffer = UnsafeBufferPointer(start: bytes, count: length)
                if let equals = buffer.firstIndex(of: UInt8(ascii: "=")) {
                    params.append(Param(
                        name: String(decoding: buffer[..<equals], as: UTF8.self),
                        value: Array(buffer[(equals + 1)...])))
                } else {
                    params.append(Param(name: String(decoding: buffer, as: UTF8.self), value: []))
                }
                entry += 1
            }
        }
        self.init(params: params)
    }
}
