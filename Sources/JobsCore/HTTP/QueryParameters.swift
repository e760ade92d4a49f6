/// The parameters of a query string, read lazily: the first occurrence of a name counts.
public struct QueryParameters: Sendable {
    private let query: String

    public init(_ query: String) { self.query = query }

    /// The raw (still encoded) value of the first parameter called `name`; `""` for `name` or `name=`.
    /// Names are compared after percent-decoding; a pair whose name cannot be decoded is skipped.
    public func rawValue(_ name: String) -> Substring? {
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let rawName = parts[0]
            let matches: Bool
            if rawName.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) {
                matches = (try? PercentDecoding.decodeQueryComponent(rawName.utf8)) == name
            } else {
                matches = rawName == name
            }
            if matches { return parts.count > 1 ? parts[1] : "" }
        }
        return nil
    }

    /// The first value of `name` read as a ``DecimalInteger``, or `nil` when absent or not an integer.
    /// The value is percent-decoded first, so `%31` is 1; `+1` stays a sign (not an integer).
    public func integer(_ name: String) -> Int64? {
        guard let raw = rawValue(name) else { return nil }
        if !raw.utf8.contains(UInt8(ascii: "%")) { return DecimalInteger.parse(raw) }
        guard let decoded = try? PercentDecoding.decode(raw.utf8) else { return nil }
        return DecimalInteger.parse(decoded)
    }
}
