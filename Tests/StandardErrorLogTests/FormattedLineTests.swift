import StandardErrorLog
import Testing

@Suite("Log lines: one line per call, control characters escaped, long lines cut")
struct FormattedLineTests {
    static func formatted(_ line: String, prefix: String = "p[1]: ") -> String {
        var line = line
        let bytes = line.withUTF8 { StandardError.formattedLine(utf8: $0, prefix: prefix) }
        return String(decoding: bytes, as: UTF8.self)
    }

    static let escapes: [(line: String, expected: String)] = [
        ("GET /public/x/jobs 200 0.4ms key=7", "p[1]: GET /public/x/jobs 200 0.4ms key=7\n"),
        ("", "p[1]: \n"),
        ("a\nb", "p[1]: a\\u{a}b\n"),
        ("\r\n\t", "p[1]: \\u{d}\\u{a}\\u{9}\n"),
        ("nul\u{0}end", "p[1]: nul\\u{0}end\n"),
        ("del\u{7F}", "p[1]: del\\u{7f}\n"),
        ("esc\u{1B}[31m", "p[1]: esc\\u{1b}[31m\n"),
        ("naïve ユーザー 🚀", "p[1]: naïve ユーザー 🚀\n"),
        ("\u{1F}\u{1F}", "p[1]: \\u{1f}\\u{1f}\n"),
    ]

    @Test("control characters become \\u{…} escapes; everything else is copied", arguments: escapes)
    func escaping(line: String, expected: String) {
        #expect(Self.formatted(line) == expected)
    }

    @Test("the prefix is escaped like the line")
    func prefixEscaped() {
        #expect(Self.formatted("x", prefix: "a\nb: ") == "a\\u{a}b: x\n")
    }

    @Test("a line longer than the limit is cut at a character boundary and ends with …")
    func longLinesCut() {
        let line = String(repeating: "é", count: StandardError.maximumLineLength)
        let bytes = Array(Self.formatted(line, prefix: "").utf8)
        #expect(bytes.count <= StandardError.maximumLineLength + 1)
        #expect(bytes.last == UInt8(ascii: "\n"))
        let text = String(decoding: bytes.dropLast(), as: UTF8.self)
        #expect(text.hasSuffix("é…"))
        #expect(!text.contains("\u{FFFD}"))
    }
}
