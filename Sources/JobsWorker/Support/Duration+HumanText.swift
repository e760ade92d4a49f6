extension Duration {
    /// How the log shows a duration that may be long: `1.234 s` under a minute, else its two largest units
    /// (`12 min 5 s`, `3 h 20 min`, `4 days 2 h`, `56 years 340 days`; a year is 365.25 days).
    var humanText: String {
        let milliseconds = max(0, inMilliseconds)
        guard milliseconds >= 60_000 else { return logText }
        let units: [(name: String, plural: String, milliseconds: Int64)] = [
            ("year", "years", 31_557_600_000), ("day", "days", 86_400_000), ("h", "h", 3_600_000),
            ("min", "min", 60_000), ("s", "s", 1000),
        ]
        var parts: [String] = []
        var rest = milliseconds
        for unit in units {
            let count = rest / unit.milliseconds
            rest %= unit.milliseconds
            if count > 0 || !parts.isEmpty {
                if count > 0 { parts.append("\(count) \(count == 1 ? unit.name : unit.plural)") }
                if parts.count == 2 || !parts.isEmpty && count == 0 { break }
            }
        }
        return parts.joined(separator: " ")
    }
}
