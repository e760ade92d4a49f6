import FastCGI
import JobsCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A FastCGI params block (the content of `PARAMS` records: name-value pairs, lengths of one byte or four with
/// the high bit set), turned into the `NAME=value` C strings libfcgi hands over, copied by
/// ``FastCGIRequest/init(copyingEnvironment:)`` and answered by the API. Checks that every param reads back as a
/// plain model of the block says (first occurrence wins, a C string ends at its first NUL) and that the response
/// keeps ``ResponseCheck``'s promises.
enum FastCGIParamsTarget {
    /// Names whose lookups are compared with the model, at most: the check is quadratic.
    static let checkedNames = 64

    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        // What libfcgi's ReadParams builds: `name=value` and a NUL, one C string per pair.
        let entries = pairs(in: input).map { $0.name + [UInt8(ascii: "=")] + $0.value + [0] }
        // ...which C code reads up to the first NUL; an entry's name ends at its first `=`.
        let model: [(name: [UInt8], value: [UInt8])] = entries.map { entry in
            let string = entry.prefix(while: { $0 != 0 })
            guard let equals = string.firstIndex(of: UInt8(ascii: "=")) else { return (Array(string), []) }
            return (Array(string[..<equals]), Array(string[(equals + 1)...]))
        }
        let request = withEnvironment(entries) { FastCGIRequest(copyingEnvironment: $0) }

        let params = request.params
        try require(params.count == model.count, "\(params.count) params, the block has \(model.count)")
        for (param, expected) in zip(params, model) {
            try require(param.value == expected.value, "param \(param.name) value \(param.value), expected \(expected.value)")
        }
        var seen: Set<[UInt8]> = []
        for (name, value) in model where seen.count < checkedNames && !seen.contains(name) {
            seen.insert(name)
            // Only names that are valid UTF-8 can be asked for by a String.
            guard let text = String(validating: name, as: UTF8.self) else { continue }
            let found = request.bytes(ofParam: text)
            try require(found == value, "lookup of \(text.debugDescription) gave \(found ?? []), expected \(value)")
        }
        // Every Idempotency-Key header, as the API reads them: each occurrence, in order.
        let keys = model.filter { $0.name.elementsEqual("HTTP_IDEMPOTENCY_KEY".utf8) }
            .map { String(decoding: $0.value, as: UTF8.self) }
        let readKeys = request.values(ofParam: "HTTP_IDEMPOTENCY_KEY")
        try require(readKeys == keys, "Idempotency-Key values \(readKeys), expected \(keys)")
        _ = try APIExchange(request)
    }

    /// The name-value pairs of a params block, as far as the block holds whole ones.
    static func pairs(in block: [UInt8]) -> [(name: [UInt8], value: [UInt8])] {
        var pairs: [(name: [UInt8], value: [UInt8])] = []
        var index = 0
        func length() -> Int? {
            guard index < block.count else { return nil }
            if block[index] < 0x80 {
                index += 1
                return Int(block[index - 1])
            }
            guard index + 4 <= block.count else { return nil }
            let value = (Int(block[index] & 0x7F) << 24) | (Int(block[index + 1]) << 16)
                | (Int(block[index + 2]) << 8) | Int(block[index + 3])
            index += 4
            return value
        }
        while let nameLength = length(), let valueLength = length() {
            guard nameLength <= block.count - index, valueLength <= block.count - index - nameLength else { break }
            let name = Array(block[index..<(index + nameLength)])
            let value = Array(block[(index + nameLength)..<(index + nameLength + valueLength)])
            pairs.append((name, value))
            index += nameLength + valueLength
        }
        return pairs
    }

    /// Calls `body` with a NULL-terminated array of C strings holding `entries` (each ends with its own NUL).
    static func withEnvironment<Result>(
        _ entries: [[UInt8]], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Result
    ) -> Result {
        let storage = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, entries.reduce(0) { $0 + $1.count }))
        let array = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: entries.count + 1)
        defer {
            storage.deallocate()
            array.deallocate()
        }
        var offset = 0
        for (index, entry) in entries.enumerated() {
            entry.withUnsafeBytes { bytes in
                UnsafeMutableRawPointer(storage + offset).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            }
            array[index] = storage + offset
            offset += entry.count
        }
        array[entries.count] = nil
        return body(array)
    }
}
