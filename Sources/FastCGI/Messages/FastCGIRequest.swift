#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One request as the web server described it: its FastCGI params (`REQUEST_METHOD`, `REQUEST_URI`, every
/// request header as `HTTP_*`, …), copied out of libfcgi when the request was accepted.
///
/// Values are kept as the bytes the web server sent; the `String` accessors decode them as UTF-8, replacing
/// invalid sequences with U+FFFD, so no byte sequence can make them fail. The request body is not read.
///
/// The params are kept as one block of bytes and found by a scan when asked for: a request carries a couple of
/// dozen params and a handler reads a handful, so building a `String` and a dictionary entry for every one of
/// them on every request would cost more than the lookups it saves.
public struct FastCGIRequest: Sendable {
    /// One param: its name and its value's bytes.
    package struct Param: Sendable, Equatable {
        package var name: String
        package var value: [UInt8]

        package init(name: String, value: [UInt8]) {
            self.name = name
            self.value = value
        }
    }

    /// Where one param lies in `storage`: its name, then its value right after it.
    private struct Field: Sendable {
        var nameStart: Int
        var nameCount: Int
        var valueStart: Int
        var valueCount: Int
    }

    /// Every param's name and value bytes, back to back, in the order the web server sent them.
    private let storage: [UInt8]
    private let fields: [Field]

    /// A request with these params (the first of two with the same name counts).
    package init(params: [Param]) {
        var storage: [UInt8] = []
        var fields: [Field] = []
        fields.reserveCapacity(params.count)
        for param in params {
            let nameStart = storage.count
            storage.append(contentsOf: param.name.utf8)
            let valueStart = storage.count
            storage.append(contentsOf: param.value)
            fields.append(Field(
                nameStart: nameStart, nameCount: valueStart - nameStart, valueStart: valueStart,
                valueCount: param.value.count))
        }
        self.storage = storage
        self.fields = fields
    }

    private init(storage: [UInt8], fields: [Field]) {
        self.storage = storage
        self.fields = fields
    }

    /// Every param, in the order the web server sent them.
    package var params: [Param] {
        fields.map { field in
            Param(
                name: String(decoding: storage[field.nameStart..<field.valueStart], as: UTF8.self),
                value: Array(storage[field.valueStart..<(field.valueStart + field.valueCount)]))
        }
    }

    /// The value of the param `name`, decoded as UTF-8 (invalid sequences become U+FFFD); `nil` if absent.
    subscript(param name: String) -> String? {
        withBytes(ofParam: name) { String(decoding: $0, as: UTF8.self) }
    }

    /// The raw bytes of the param `name`; `nil` if absent.
    package func bytes(ofParam name: String) -> [UInt8]? {
        withBytes(ofParam: name) { Array($0) }
    }

    /// Calls `body` with the raw bytes of the param `name` (valid only during the call); `nil` if absent.
    public func withBytes<Result>(
        ofParam name: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> Result
    ) rethrows -> Result? {
        var result: Result?
        try forEachValue(ofParam: name) { value in
            result = try body(value)
            return false
        }
        return result
    }

    /// Every value of the param `name`, in order, decoded as UTF-8 (invalid sequences become U+FFFD): a header
    /// sent twice may come as two params of the same name.
    public func values(ofParam name: String) -> [String] {
        var values: [String] = []
        forEachValue(ofParam: name) { value in
            values.append(String(decoding: value, as: UTF8.self))
            return true
        }
        return values
    }

    /// Calls `body` with the raw bytes of each param named `name`, in order (valid only during the call), while it
    /// returns `true`.
    private func forEachValue(
        ofParam name: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> Bool
    ) rethrows {
        var name = name
        try storage.withUnsafeBufferPointer { storage in
            try name.withUTF8 { name in
                for field in fields where field.nameCount == name.count {
                    // A name of at least one byte matched against a field of as many: both buffers exist.
                    guard name.isEmpty
                        || memcmp(storage.baseAddress! + field.nameStart, name.baseAddress!, name.count) == 0
                    else { continue }
                    let value = storage[field.valueStart..<(field.valueStart + field.valueCount)]
                    guard try body(UnsafeBufferPointer(rebasing: value)) else { return }
                }
            }
        }
    }

    /// `REQUEST_METHOD`, e.g. `GET`.
    public var method: String? { self[param: "REQUEST_METHOD"] }
    /// The `Authorization` request header (`HTTP_AUTHORIZATION`).
    public var authorization: String? { self[param: "HTTP_AUTHORIZATION"] }
    /// The client's address as the web server saw it (`REMOTE_ADDR`).
    public var remoteAddress: String? { self[param: "REMOTE_ADDR"] }
}

extension FastCGIRequest {
    /// Copies a libfcgi params array (`NAME=value` C strings up to a NULL entry): the array is freed by
    /// `FCGX_Finish_r`, so nothing may point into it afterwards. An entry without `=` is a name with an empty
    /// value.
    package init(copyingEnvironment environment: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) {
        guard let environment else {
            self.init(storage: [], fields: [])
            return
        }
        // First pass: sizes, so that each array is allocated once and filled with plain copies.
        var total = 0
        var count = 0
        var entry = environment
        while let cString = entry.pointee {
            total += strlen(cString)
            count += 1
            entry += 1
        }
        var fields: [Field] = []
        fields.reserveCapacity(count)
        // At least one byte, so that the buffer has an address even when every entry is empty.
        let storage = [UInt8](unsafeUninitializedCapacity: max(1, total)) { storage, initialized in
            let base = storage.baseAddress!
            var end = 0
            entry = environment
            while let cString = entry.pointee {
                let length = strlen(cString)
                let bytes = UnsafeRawPointer(cString).assumingMemoryBound(to: UInt8.self)
                if let equals = memchr(bytes, Int32(UInt8(ascii: "=")), length) {
                    // The `=` is not kept: the name ends where the value starts.
                    let nameCount = UnsafeRawPointer(bytes).distance(to: UnsafeRawPointer(equals))
                    let valueCount = length - nameCount - 1
                    (base + end).initialize(from: bytes, count: nameCount)
                    (base + end + nameCount).initialize(from: bytes + nameCount + 1, count: valueCount)
                    fields.append(Field(
                        nameStart: end, nameCount: nameCount, valueStart: end + nameCount, valueCount: valueCount))
                    end += nameCount + valueCount
                } else {
                    (base + end).initialize(from: bytes, count: length)
                    fields.append(Field(nameStart: end, nameCount: length, valueStart: end + length, valueCount: 0))
                    end += length
                }
                entry += 1
            }
            initialized = end
        }
        self.init(storage: storage, fields: fields)
    }
}
