/// Plain, slow re-statements of the contract's parsing rules, written apart from the code under test so that a
/// fuzz target can compare the two.
enum ReferenceParsing {
    /// RFC 3986 percent-decoding to UTF-8 text without NUL; `nil` for a bad escape, bad UTF-8 or a NUL.
    static func decode(_ bytes: [UInt8], plusIsSpace: Bool = false) -> String? {
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x25 {
                guard index + 2 < bytes.count, let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2])
                else { return nil }
                output.append(high * 16 + low)
                index += 3
            } else {
                output.append(plusIsSpace && byte == 0x2B ? 0x20 : byte)
                index += 1
            }
        }
        guard !output.contains(0), let text = String(validating: output, as: UTF8.self) else { return nil }
        return text
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x41...0x46: return byte - 0x41 + 10
        case 0x61...0x66: return byte - 0x61 + 10
        default: return nil
        }
    }

    /// ASCII digits only, at least one, with a value of at most `Int64.max` (leading zeros allowed).
    static func decimal(_ text: String) -> Int64? {
        let digits = Array(text.utf8)
        guard !digits.isEmpty, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        let significant = String(decoding: digits.drop(while: { $0 == 0x30 }), as: UTF8.self)
        if significant.isEmpty { return 0 }
        let maximum = String(Int64.max)
        guard significant.count < maximum.count || (significant.count == maximum.count && significant <= maximum)
        else { return nil }
        return Int64(significant)
    }

    /// What jobs-fcgi makes of raw URI bytes: printable ASCII kept, every other byte as `%XX`.
    static func uriText(_ bytes: [UInt8]) -> [UInt8] {
        let digits = Array("0123456789ABCDEF".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            if byte > 0x20 && byte < 0x7F {
                text.append(byte)
            } else {
                text += [0x25, digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
            }
        }
        return text
    }
}
