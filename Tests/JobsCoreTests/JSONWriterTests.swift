import JobsCore
import Testing

/// The writer's fast paths (eight bytes at a time, ASCII only from raw bytes, two digits at a time, a buffer that
/// grows) against plain references.
@Suite("JSON writer")
struct JSONWriterTests {
    /// The JSON string literal of `text`, one byte at a time, the plainest way: what the writer must match.
    static func reference(_ text: String) -> [UInt8] {
        var literal: [UInt8] = [UInt8(ascii: "\"")]
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): literal += Array(#"\""#.utf8)
            case UInt8(ascii: "\\"): literal += Array(#"\\"#.utf8)
            case 0x0A: literal += Array(#"\n"#.utf8)
            case 0x0D: literal += Array(#"\r"#.utf8)
            case 0x09: literal += Array(#"\t"#.utf8)
            case 0x00..<0x20:
                let hex = String(byte, radix: 16)
                literal += Array(("\\u00" + (hex.count == 1 ? "0" : "") + hex).utf8)
            default: literal.append(byte)
            }
        }
        literal.append(UInt8(ascii: "\""))
        return literal
    }

    /// `string(utf8:)` must give what decoding the bytes into a `String` and writing that gives, and both the
    /// plain reference.
    static func expectSameAsDecoded(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        var fromBytes = JSONWriter()
        bytes.withUnsafeBufferPointer { fromBytes.string(utf8: $0) }
        let decoded = String(decoding: bytes, as: UTF8.self)
        var fromString = JSONWriter()
        fromString.string(decoded)
        let expected = reference(decoded)
        #expect(fromBytes.bytes == expected, "\(bytes)", sourceLocation: sourceLocation)
        #expect(fromString.bytes == expected, "\(bytes)", sourceLocation: sourceLocation)
    }

    @Test("text from bytes is written as the decoded String is", arguments: [
        [], [0x00], [0x41, 0x00, 0x42], Array(0x00...0x1F) + [0x7F], Array(#"a"b\c"#.utf8),
        Array("naïve ユーザー 🚀 \u{2028}".utf8), [0xFF], [0x80], [0x41, 0xFF, 0x42, 0xC3], [0xC0, 0xAF],
        [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], Array("12345678\"".utf8), Array("1234567\\".utf8),
        Array("abcdefghijklmnopqrstuvwxyz0123456789\u{1}".utf8), Array("abcdefgh".utf8) + [0xFF] + Array("\"x".utf8),
    ] as [[UInt8]])
    func bytesLikeDecodedString(bytes: [UInt8]) {
        Self.expectSameAsDecoded(bytes)
    }

    @Test("every one- and two-byte text from bytes is written as the decoded String is")
    func everyShortText() {
        for first in 0...255 {
            Self.expectSameAsDecoded([UInt8(first)])
            for second in 0...255 {
                Self.expectSameAsDecoded([UInt8(first), UInt8(second)])
            }
        }
    }

    @Test("texts of mixed bytes and lengths around eight from bytes are written as the decoded String is")
    func mixedTexts() {
        // A fixed pseudo-random sequence, mostly ASCII letters, now and then a byte that needs care.
        let alphabet: [UInt8] =
            Array("abcXYZ019 @~".utf8) + [0x22, 0x5C, 0x00, 0x0A, 0x1F, 0x7F, 0xC3, 0xA9, 0xFF, 0x80]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<3000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let length = Int(state >> 59) + Int((state >> 40) & 7)
            var bytes: [UInt8] = []
            for index in 0..<length {
                let pick = (state >> UInt64((index * 5) % 60)) & 0xFF
                bytes.append(pick < 200 ? alphabet[Int(pick) % 12] : alphabet[Int(pick) % alphabet.count])
            }
            Self.expectSameAsDecoded(bytes)
        }
    }

    @Test("strings escape quotes, backslashes and control characters, and nothing else")
    func escapes() {
        var writer = JSONWriter()
        writer.string("\u{0}\u{8}\t\n\u{C}\r\u{1F}\u{7F} \"\\/ é")
        #expect(writer.text == #""\u0000\u0008\t\n\u000c\r\u001f\#u{7F} \"\\/ é""#)
    }

    @Test("pieces past the first capacity grow the buffer and keep every byte")
    func growth() {
        var writer = JSONWriter(capacity: 1)
        var expected: [UInt8] = []
        for index in 0..<5000 {
            writer.raw("[")
            writer.integer(Int64(index) * 7919)
            writer.string(String(repeating: "x\"", count: index % 40))
            writer.raw("]")
            expected += Array("[\(Int64(index) * 7919)\"".utf8)
            expected += Array(String(repeating: #"x\""#, count: index % 40).utf8)
            expected += Array("\"]".utf8)
        }
        #expect(writer.count == expected.count)
        #expect(writer.bytes == expected)
    }

    @Test("integers are written as String(describing:) writes them", arguments: [
        Int64.min, Int64.min + 1, -1_000_000_000_000_000_000, -100, -10, -9, -1, 0, 1, 9, 10, 11, 99, 100, 101, 999,
        1000, 65_536, 1_623_912_955_277, 999_999_999_999_999_999, 1_000_000_000_000_000_000, Int64.max - 1,
        Int64.max,
    ] as [Int64])
    func integers(value: Int64) {
        var writer = JSONWriter()
        writer.integer(value)
        writer.integer(Optional(value))
        writer.integer(nil as Int64?)
        #expect(writer.text == String(value) + String(value) + "null")
    }

    @Test("every power of ten and its neighbours is written as String(describing:) writes it")
    func powersOfTen() {
        var power: Int64 = 1
        for _ in 0...18 {
            for value in [power - 1, power, power + 1, -power, -(power - 1)] {
                var writer = JSONWriter()
                writer.integer(value)
                #expect(writer.text == String(value))
            }
            power = power.multipliedReportingOverflow(by: 10).partialValue
        }
    }
}
