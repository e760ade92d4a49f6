import ArgumentParser
import JobsCore

/// A time given on the command line: milliseconds since the Unix epoch (`1767225600000`), an ISO 8601 date-time
/// with its offset (`2026-01-01T00:00:00Z`, `2026-01-01T09:30:00.250+02:00`), or an ISO 8601 date, meaning its
/// midnight UTC (`2026-01-01`).
enum TimeArgument {
    /// The earliest time accepted: the epoch (``Job/timeRange``).
    static let earliest = Job.timeRange.lowerBound
    /// The latest time accepted: the last millisecond of year 9999, which ISO 8601's four-digit years can write.
    static let latest = Job.timeRange.upperBound

    /// What every time option accepts, for its messages.
    static let rule = "a time from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z: an ISO 8601 date-time "
        + "with its offset (2026-01-01T00:00:00Z), an ISO 8601 date (2026-01-01, its midnight UTC), or "
        + "milliseconds since the epoch (1767225600000)"

    /// The time `text` gives, in milliseconds since the epoch, or a `ValidationError` that names `option`.
    static func parse(_ text: String, option: String) throws -> Int64 {
        guard let time = milliseconds(text) else { throw ValidationError("\(option) \(text): must be \(rule)") }
        return time
    }

    /// The time `text` gives, within ``earliest`` … ``latest``; `nil` otherwise.
    static func milliseconds(_ text: String) -> Int64? {
        let time: Int64?
        if !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) {
            time = Int64(text)
        } else {
            time = iso8601(Array(text.utf8))
        }
        guard let time, time >= earliest, time <= latest else { return nil }
        return time
    }

    /// `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM[:SS[.fraction]]` then `Z` or `±HH:MM` (`±HHMM`, `±HH`).
    private static func iso8601(_ bytes: [UInt8]) -> Int64? {
        var index = 0
        func number(_ digits: Int) -> Int64? {
            guard index + digits <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[index..<index + digits] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - 0x30)
            }
            index += digits
            return value
        }
        func expect(_ character: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == character else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect(UInt8(ascii: "-")), let month = number(2), expect(UInt8(ascii: "-")),
            let day = number(2), (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year)
        else { return nil }
        let midnight = daysFromCivil(year: year, month: month, day: day) * 86_400_000
        if index == bytes.count { return midnight }

        guard index < bytes.count, [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")].contains(bytes[index])
        else { return nil }
        index += 1
        guard let hour = number(2), hour < 24, expect(UInt8(ascii: ":")), let minute = number(2), minute < 60
        else { return nil }
        var second: Int64 = 0
        var millisecond: Int64 = 0
        if expect(UInt8(ascii: ":")) {
            guard let value = number(2), value < 60 else { return nil }
            second = value
            if expect(UInt8(ascii: ".")) || expect(UInt8(ascii: ",")) {
                var digits = 0
                while index < bytes.count, (0x30...0x39).contains(bytes[index]) {
                    if digits < 3 { millisecond = millisecond * 10 + Int64(bytes[index] - 0x30) }
                    digits += 1
                    index += 1
                }
                guard digits > 0 else { return nil }
                for _ in digits..<max(digits, 3) { millisecond *= 10 }
            }
        }
        // The offset is required: a time without one would mean the reader's local time, whatever that is.
        var offset: Int64 = 0
        if expect(UInt8(ascii: "Z")) || expect(UInt8(ascii: "z")) {
            offset = 0
        } else if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign: Int64 = bytes[index] == UInt8(ascii: "+") ? 1 : -1
            index += 1
            guard let hours = number(2), hours < 24 else { return nil }
            var minutes: Int64 = 0
            if index < bytes.count {
                _ = expect(UInt8(ascii: ":"))
                guard let value = number(2), value < 60 else { return nil }
                minutes = value
            }
            offset = sign * (hours * 60 + minutes) * 60_000
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        return midnight + ((hour * 60 + minute) * 60 + second) * 1000 + millisecond - offset
    }

    private static func isLeap(_ year: Int64) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's `days_from_civil`).
    private static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// `2026-01-01T00:00:00.000Z`: a time in milliseconds since the epoch (from 1970), as messages show it: the
    /// webhooks' RFC 3339 text (``RFC3339``).
    static func iso8601Text(_ milliseconds: Int64) -> String {
        RFC3339.text(milliseconds: milliseconds)
    }
}

/// How long something lasts, given as `--schedule-delay` reads it: `0s`, `90s`, `15m`, `24h`, `7d` (at most 366
/// days).
enum DurationArgument {
    static let rule = "must be a duration such as 0s, 90s, 15m, 24h or 7d (at most 366d)"

    /// The duration `text` gives, in milliseconds, or a `ValidationError` that names `option`.
    static func parse(_ text: String, option: String) throws -> Int64 {
        guard case .fixed(let milliseconds)? = ScheduleDelay(parsing: text) else {
            throw ValidationError("\(option) \(text): \(rule)")
        }
        return milliseconds
    }
}
