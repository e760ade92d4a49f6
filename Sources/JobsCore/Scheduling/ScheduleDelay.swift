/// When a newly requested job becomes due: the operator's `--schedule-delay`.
public enum ScheduleDelay: Sendable, Equatable, CustomStringConvertible {
    /// The next midnight UTC after creation (the contract's default).
    case nextMidnight
    /// A fixed delay in milliseconds after creation (`0s` runs as soon as a worker looks).
    case fixed(milliseconds: Int64)

    static let millisecondsPerDay: Int64 = 86_400_000

    /// Reads `next-midnight` or a duration: a non-negative integer with a unit `ms`, `s`, `m`, `h` or `d`
    /// (`0s`, `15m`, `24h`), at most 366 days.
    public init?(parsing text: String) {
        if text == "next-midnight" {
            self = .nextMidnight
            return
        }
        let units: [(suffix: String, milliseconds: Int64)] = [
            ("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000), ("d", Self.millisecondsPerDay),
        ]
        for unit in units where text.hasSuffix(unit.suffix) {
            guard let amount = DecimalInteger.parse(text.dropLast(unit.suffix.count)),
                amount <= 366 * Self.millisecondsPerDay / unit.milliseconds
            else { return nil }
            self = .fixed(milliseconds: amount * unit.milliseconds)
            return
        }
        return nil
    }

    /// The `startAt` of a job created at `createdAt` (milliseconds since the epoch).
    public func startAt(createdAt: Int64) -> Int64 {
        switch self {
        case .nextMidnight:
            // Floor division, so that times before 1970 still land on the following midnight.
            let day = createdAt >= 0
                ? createdAt / Self.millisecondsPerDay : (createdAt + 1) / Self.millisecondsPerDay - 1
            let (next, overflow) = (day + 1).multipliedReportingOverflow(by: Self.millisecondsPerDay)
            return overflow ? Int64.max : next
        case .fixed(let milliseconds):
            let (sum, overflow) = createdAt.addingReportingOverflow(milliseconds)
            return overflow ? Int64.max : sum
        }
    }

    public var description: String {
        switch self {
        case .nextMidnight: return "next-midnight"
        case .fixed(let milliseconds): return "\(milliseconds)ms"
        }
    }
}
