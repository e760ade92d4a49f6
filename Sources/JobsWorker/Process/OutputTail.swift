/// The last bytes a program wrote to a stream, at most `limit` of them: what a failed job keeps as `errors`.
///
/// However much the program writes, memory stays bounded: older bytes are dropped as newer ones arrive.
struct OutputTail: Sendable {
    /// The most bytes kept.
    let limit: Int
    private var kept: [UInt8] = []
    /// Whether bytes were dropped from the front.
    private(set) var isTruncated = false

    init(limit: Int) {
        precondition(limit > 0, "an output tail keeps at least one byte")
        self.limit = limit
        kept.reserveCapacity(min(limit, 64 * 1024))
    }

    /// Adds bytes the program wrote, dropping the oldest beyond `limit`.
    mutating func append<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        if bytes.count >= limit {
            // Exactly `limit` bytes into an empty tail drop nothing.
            isTruncated = isTruncated || bytes.count > limit || !kept.isEmpty
            kept = Array(bytes.suffix(limit))
            return
        }
        let overflow = kept.count + bytes.count - limit
        if overflow > 0 {
            kept.removeFirst(overflow)
            isTruncated = true
        }
        kept.append(contentsOf: bytes)
    }

    /// The bytes kept, as they came.
    var bytes: [UInt8] { kept }

    /// The tail as text for `errors` and the log: invalid UTF-8 (a sequence cut at the front, say) replaced,
    /// control characters other than newline and tab replaced by spaces, surrounding white space trimmed, and
    /// `…` in front when older output was dropped. Empty when the program wrote nothing visible.
    var text: String {
        var start = kept.startIndex
        if isTruncated {
            // The cut may have split a UTF-8 sequence: skip its continuation bytes.
            while start < kept.endIndex && kept[start] & 0xC0 == 0x80 { start += 1 }
        }
        let decoded = String(decoding: kept[start...], as: UTF8.self)
        var scalars = String.UnicodeScalarView()
        for scalar in decoded.unicodeScalars {
            let isControl = scalar.value < 0x20 || scalar.value == 0x7F
            scalars.append(isControl && scalar != "\n" && scalar != "\t" ? " " : scalar)
        }
        let trimmed = String(scalars).trimmingSurroundingWhitespace()
        guard !trimmed.isEmpty else { return "" }
        return isTruncated ? "…" + trimmed : trimmed
    }
}

extension String {
    /// The string without white space (newlines included) at either end.
    func trimmingSurroundingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
