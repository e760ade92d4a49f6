extension Duration {
    /// The duration in whole milliseconds, rounded down (store times are milliseconds).
    var inMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (milliseconds, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        return overflow ? Int64.max : milliseconds + attoseconds / 1_000_000_000_000_000
    }

    /// `1.234 s`: how the log shows a duration.
    var logText: String {
        let milliseconds = max(0, inMilliseconds)
        let fraction = String(milliseconds % 1000)
        return "\(milliseconds / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction) s"
    }
}

extension Duration {
    /// `30 s`, `0.250 s`: a configured interval, as messages name it.
    var settingText: String {
        let milliseconds = max(0, inMilliseconds)
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : logText
    }
}
