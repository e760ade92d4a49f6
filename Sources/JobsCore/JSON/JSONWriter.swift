/// Writes JSON text straight into bytes: the fixed shapes of this API need no general encoder, and the order of
/// keys is exactly the order of the calls.
///
/// Built for pages of hundreds of objects: the bytes live in one buffer that the writer owns alone (it cannot be
/// copied, so no write checks for sharing), growing by doubling; each piece is one capacity check and one copy;
/// strings are checked for what needs escaping eight bytes at a time, and integers are written two digits at a
/// time. The writing methods are inlinable so that stores in other modules write their rows without a call per
/// piece.
public struct JSONWriter: ~Copyable {
    @usableFromInline var base: UnsafeMutablePointer<UInt8>
    @usableFromInline var capacity: Int
    @usableFromInline var written = 0

    /// A writer with room for `capacity` bytes before its first growth.
    public init(capacity: Int = 256) {
        self.capacity = max(64, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit {
        base.deallocate()
    }

    /// How many bytes have been written.
    public var count: Int { written }

    /// The bytes written so far (a copy).
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: written)) }

    /// The bytes as text.
    public var text: String { String(decoding: UnsafeBufferPointer(start: base, count: written), as: UTF8.self) }

    // MARK: Space

    /// Where the next `extra` bytes go, growing the buffer first if they do not fit. Writing them is the
    /// caller's job, and then adding them to ``written``.
    @inlinable @inline(__always)
    mutating func space(for extra: Int) -> UnsafeMutablePointer<UInt8> {
        if capacity &- written < extra { grow(toHold: extra) }
        return base + written
    }

    @usableFromInline
    mutating func grow(toHold extra: Int) {
        var newCapacity = capacity * 2
        while newCapacity - written < extra { newCapacity *= 2 }
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        grown.initialize(from: base, count: written)
        base.deallocate()
        base = grown
        capacity = newCapacity
    }

    /// Appends `byteCount` bytes from `source`.
    @inlinable @inline(__always)
    mutating func append(_ source: UnsafePointer<UInt8>, byteCount: Int) {
        space(for: byteCount).update(from: source, count: byteCount)
        written &+= byteCount
    }

    /// Forgets what was written after the first `count` bytes.
    @usableFromInline
    mutating func truncate(to count: Int) {
        written = count
    }

    // MARK: Pieces

    /// Appends text that is already JSON (punctuation, keys known to need no escaping).
    @inlinable @inline(__always)
    public mutating func raw(_ text: StaticString) {
        append(text.utf8Start, byteCount: text.utf8CodeUnitCount)
    }

    /// Appends `"key":` for a key that needs no escaping.
    public mutating func key(_ key: StaticString) {
        raw("\"")
        raw(key)
        raw("\":")
    }

    /// Appends a JSON string literal, escaping what RFC 8259 requires: `"`, `\` and the control characters
    /// below U+0020. Everything else, non-ASCII included, is copied as it is.
    public mutating func string(_ value: String) {
        var value = value
        // Native strings are contiguous UTF-8 already: no copy.
        value.withUTF8 { utf8 in
            _ = appendStringLiteral(utf8, asciiOnly: false)
        }
    }

    /// Appends a string, or `null`.
    public mutating func string(_ value: String?) {
        if let value { string(value) } else { raw("null") }
    }

    /// Appends the JSON string literal of text given as bytes that may not be valid UTF-8: exactly what
    /// `string(String(decoding: bytes, as: UTF8.self))` appends (invalid sequences become U+FFFD), without
    /// making a `String` when the bytes are ASCII.
    @inlinable @inline(__always)
    public mutating func string(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        let start = written
        if !appendStringLiteral(bytes, asciiOnly: true) {
            truncate(to: start)
            appendDecoded(bytes)
        }
    }

    /// The slow path of ``string(utf8:)``: the standard library's decoder says what non-ASCII bytes are.
    @usableFromInline
    mutating func appendDecoded(_ bytes: UnsafeBufferPointer<UInt8>) {
        string(String(decoding: bytes, as: UTF8.self))
    }

    /// Appends `"…"` with `text` escaped. With `asciiOnly`, stops at the first byte of 0x80 or above and
    /// returns `false`, having written part of the literal.
    @inlinable @inline(__always)
    mutating func appendStringLiteral(_ text: UnsafeBufferPointer<UInt8>, asciiOnly: Bool) -> Bool {
        let end = text.count
        guard let source = text.baseAddress else {
            raw("\"\"")
            return true
        }
        var index = Self.firstSpecialByte(source, from: 0, to: end, asciiOnly: asciiOnly)
        if index == end {
            // No escape: the quotes and the text in one piece.
            let target = space(for: end &+ 2)
            target[0] = UInt8(ascii: "\"")
            (target + 1).update(from: source, count: end)
            target[end &+ 1] = UInt8(ascii: "\"")
            written &+= end &+ 2
            return true
        }
        raw("\"")
        var runStart = 0
        while index < end {
            let byte = source[index]
            if byte >= 0x80 { return false }
            append(source + runStart, byteCount: index &- runStart)
            appendEscape(byte)
            index &+= 1
            runStart = index
            index = Self.firstSpecialByte(source, from: index, to: end, asciiOnly: asciiOnly)
        }
        append(source + runStart, byteCount: end &- runStart)
        raw("\"")
        return true
    }

    /// Whether `byte` must be escaped (or, with `asciiOnly`, is not ASCII).
    @inlinable @inline(__always)
    static func isSpecial(_ byte: UInt8, asciiOnly: Bool) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || (asciiOnly && byte >= 0x80)
    }

    /// The index of the first special byte (see ``isSpecial(_:asciiOnly:)``) in `start..<end`, or `end`.
    ///
    /// Eight bytes at a time: `(w - 0x01…) & ~w & 0x80…` is non-zero exactly when some byte of `w` is zero
    /// (a borrow only starts at a zero byte), and `(w - 0x20…) & ~w & 0x80…` when some byte is below 0x20; the
    /// quote and the backslash are zero bytes of `w` XOR that byte repeated. Within the word that has one, and
    /// in the last few bytes, byte by byte.
    @inlinable @inline(__always)
    static func firstSpecialByte(
        _ source: UnsafePointer<UInt8>, from start: Int, to end: Int, asciiOnly: Bool
    ) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        var index = start
        while end &- index >= 8 {
            let word = UnsafeRawPointer(source + index).loadUnaligned(as: UInt64.self)
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            var flags = (word &- ones &* 0x20) & ~word
            flags |= (quote &- ones) & ~quote
            flags |= (backslash &- ones) & ~backslash
            if asciiOnly { flags |= word }
            if flags & highBits != 0 { break }
            index &+= 8
        }
        while index < end, !isSpecial(source[index], asciiOnly: asciiOnly) {
            index &+= 1
        }
        return index
    }

    @usableFromInline
    mutating func appendEscape(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): raw("\\\"")
        case UInt8(ascii: "\\"): raw("\\\\")
        case 0x0A: raw("\\n")
        case 0x0D: raw("\\r")
        case 0x09: raw("\\t")
        default:
            let hex: StaticString = "0123456789abcdef"
            raw("\\u00")
            let target = space(for: 2)
            target[0] = hex.utf8Start[Int(byte >> 4)]
            target[1] = hex.utf8Start[Int(byte & 0x0F)]
            written &+= 2
        }
    }

    /// "00", "01", … "99": integers are written two digits at a time.
    @usableFromInline
    static var digitPairs: StaticString {
        """
        0001020304050607080910111213141516171819202122232425262728293031323334353637383940414243444546474849\
        5051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899
        """
    }

    /// Appends an integer in decimal.
    @inlinable @inline(__always)
    public mutating func integer(_ value: Int64) {
        var magnitude = value.magnitude
        // Int64.min has 19 digits; the loop stops at 20, where the next power of ten would overflow.
        var digits = 1
        var power: UInt64 = 10
        while digits < 20, magnitude >= power {
            digits &+= 1
            power = power &* 10
        }
        let length = value < 0 ? digits &+ 1 : digits
        let target = space(for: length)
        let pairs = Self.digitPairs.utf8Start
        if value < 0 { target[0] = UInt8(ascii: "-") }
        var position = length
        while magnitude >= 100 {
            let pair = Int(truncatingIfNeeded: magnitude % 100) &* 2
            magnitude /= 100
            position &-= 2
            target[position] = pairs[pair]
            target[position &+ 1] = pairs[pair &+ 1]
        }
        if magnitude >= 10 {
            let pair = Int(truncatingIfNeeded: magnitude) &* 2
            target[position &- 2] = pairs[pair]
            target[position &- 1] = pairs[pair &+ 1]
        } else {
            target[position &- 1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude)
        }
        written &+= length
    }

    /// Appends an integer, or `null`.
    @inlinable @inline(__always)
    public mutating func integer(_ value: Int64?) {
        if let value { integer(value) } else { raw("null") }
    }
}

// The writer owns its buffer alone and cannot be copied: handing it to another thread hands over the buffer.
extension JSONWriter: @unchecked Sendable {}
