/// Why a percent-encoded component could not be read.
enum PercentDecodingError: Error, Sendable, Equatable {
    /// A `%` not followed by two hex digits.
    case malformedEscape
    /// The decoded bytes are not valid UTF-8.
    case invalidUTF8
    /// The decoded text contains U+0000.
    case nulCharacter
}

/// Percent-decoding of one URL component (RFC 3986), strictly: the result must be valid UTF-8 without NUL.
///
/// `+` is left as it is: in a path it is a plus sign. Query values use ``decodeQueryComponent(_:)``.
enum PercentDecoding {
    /// The text `component` encodes; `+` stays a plus sign.
    static func decode<C: Collection>(_ component: C) throws(PercentDecodingError) -> String
    where C.Element == UInt8 {
        try decode(component, plusIsSpace: false)
    }

    /// Decodes a query name or value: like ``decode(_:)``, and `+` stands for a space (HTML forms).
    static func decodeQueryComponent<C: Collection>(_ component: C) throws(PercentDecodingError) -> String
    where C.Element == UInt8 {
        try decode(component, plusIsSpace: true)
    }

    static func decode<C: Collection>(_ component: C, plusIsSpace: Bool) throws(PercentDecodingError) -> String
    where C.Element == UInt8 {
        // The common case has nothing to decode: validate and copy once.
        if !component.contains(where: { $0 == UInt8(ascii: "%") || (plusIsSpace && $0 == UInt8(ascii: "+")) }) {
            return try validated(Array(component))
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(component.count)
        var index = component.startIndex
        while index != component.endIndex {
            let byte = component[index]
            if byte == UInt8(ascii: "%") {
                let first = component.index(after: index)
                guard first != component.endIndex else { throw .malformedEscape }
                let second = component.index(after: first)
                guard second != component.endIndex,
                    let high = hexValue(component[first]), let low = hexValue(component[second])
                else { throw .malformedEscape }
                bytes.append(high << 4 | low)
                index = component.index(after: second)
            } else {
                bytes.append(plusIsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index = component.index(after: index)
            }
        }
        return try validated(bytes)
    }

    private static func validated(_ bytes: [UInt8]) throws(PercentDecodingError) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .invalidUTF8 }
        guard !bytes.contains(0) else { throw .nulCharacter }
        return text
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
