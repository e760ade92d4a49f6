/// The one reading of integers in URLs: ASCII decimal digits only, with a value that fits `Int64`.
///
/// A sign, a space, a decimal point, an exponent, hex, non-ASCII digits, an empty string or a value past
/// `Int64.max` are "not an integer". Leading zeros are digits like any other (`01` is 1). Never traps.
enum DecimalInteger {
    /// The integer `bytes` spell, or `nil` when they are not one.
    static func parse<S: Sequence>(_ bytes: S) -> Int64? where S.Element == UInt8 {
        var value: Int64 = 0
        var sawDigit = false
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = shifted.addingReportingOverflow(Int64(byte &- UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
            sawDigit = true
        }
        return sawDigit ? value : nil
    }

    /// The integer `text` spells, or `nil`.
    static func parse(_ text: String) -> Int64? { parse(text.utf8) }
    /// The integer `text` spells, or `nil`.
    static func parse(_ text: Substring) -> Int64? { parse(text.utf8) }
}
