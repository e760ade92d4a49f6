/// The parameters of a query string, read lazily: the first occurrence of a name counts.
struct QueryParameters {
    private let query: Substring

    init(_ query: Substring) { self.query = query }

    /// The raw (still encoded) value of the first parameter called `name`; `""` for `name` or `name=`.
    /// Names are compared after percent-decoding; a pair whose name cannot be decoded is skipped.
    func rawValue(_ name: String) -> Substring? {
        let utf8 = query.utf8
        var start = utf8.startIndex
        while start < utf8.endIndex {
            let end = utf8[start...].firstIndex(of: UInt8(ascii: "&")) ?? utf8.endIndex
            let pair = utf8[start..<end]
            start = end < utf8.endIndex ? utf8.index(after: end) : end
            guard !pair.isEmpty else { continue }
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            let rawName = pair[..<(equals ?? pair.endIndex)]
            let matches: Bool
            if rawName.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) {
                matches = (try? PercentDecoding.decodeQueryComponent(rawName)) == name
            } else {
                matches = rawName.elementsEqual(name.utf8)
            }
            if matches { return equals.map { Substring(pair[pair.index(after: $0)...]) } ?? "" }
        }
        return nil
    }

    /// The first value of `name` read as a ``DecimalInteger``, or `nil` when absent or not an integer.
    /// The value is percent-decoded first, so `%31` is 1; `+1` stays a sign (not an integer).
    func integer(_ name: String) -> Int64? {
        guard let raw = rawValue(name) else { return nil }
        if !raw.utf8.contains(UInt8(ascii: "%")) { return DecimalInteger.parse(raw) }
        guard let decoded = try? PercentDecoding.decode(raw.utf8) else { return nil }
        return DecimalInteger.parse(decoded)
    }
}
