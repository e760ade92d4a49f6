import Synchronization

/// This process's request figures since it started, counted with atomics: requests in flight and the most at once,
/// requests by status code, and a histogram of durations. Every server thread updates the one instance; a request
/// costs a few uncontended atomic additions and no lock.
public final class RequestMetrics: Sendable {
    /// The upper bounds of the duration histogram's buckets, in microseconds (the `le` labels are these in
    /// seconds); a last bucket, `+Inf`, takes the rest.
    public static let bucketBounds: [Int64] = [
        500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
        5_000_000, 10_000_000,
    ]

    /// The status codes counted one by one, in order; any other is counted under its class (`2xx`…`5xx`).
    public static let countedCodes: [Int] = [200, 201, 202, 204, 400, 401, 403, 404, 405, 409, 413, 429, 500, 503]

    private let inFlight = Atomic<Int>(0)
    private let mostInFlight = Atomic<Int>(0)
    /// One per ``countedCodes`` entry, then one per class 1xx…5xx, then one for anything else.
    private let byCode: [Counter]
    /// One per ``bucketBounds`` entry, then `+Inf`; each counts the requests of its bucket alone.
    private let buckets: [Counter]
    private let totalMicroseconds = Atomic<Int>(0)

    /// A counter that can sit in an array (an `Atomic` cannot be copied).
    private final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    /// Figures all at zero.
    public init() {
        byCode = (0..<(Self.countedCodes.count + 6)).map { _ in Counter() }
        buckets = (0...Self.bucketBounds.count).map { _ in Counter() }
    }

    /// A request starts.
    public func begin() {
        let now = inFlight.wrappingAdd(1, ordering: .relaxed).newValue
        var most = mostInFlight.load(ordering: .relaxed)
        while now > most {
            let (exchanged, original) = mostInFlight.compareExchange(
                expected: most, desired: now, ordering: .relaxed)
            if exchanged { break }
            most = original
        }
    }

    /// A request ended with `status` after `microseconds`.
    public func end(status: Int, microseconds: Int64) {
        inFlight.wrappingSubtract(1, ordering: .relaxed)
        byCode[Self.slot(status)].value.wrappingAdd(1, ordering: .relaxed)
        var bucket = 0
        while bucket < Self.bucketBounds.count && microseconds > Self.bucketBounds[bucket] { bucket += 1 }
        buckets[bucket].value.wrappingAdd(1, ordering: .relaxed)
        totalMicroseconds.wrappingAdd(Int(clamping: max(0, microseconds)), ordering: .relaxed)
    }

    /// The counter slot of a status code.
    private static func slot(_ status: Int) -> Int {
        if let index = countedCodes.firstIndex(of: status) { return index }
        if (100...599).contains(status) { return countedCodes.count + status / 100 - 1 }
        return countedCodes.count + 5
    }

    /// The figures now. Read counter by counter while requests go on: each is exact, and together they are as
    /// consistent as a scrape needs.
    public func snapshot() -> Snapshot {
        var codes: [(code: String, count: Int)] = []
        for (index, code) in Self.countedCodes.enumerated() {
            codes.append((String(code), byCode[index].value.load(ordering: .relaxed)))
        }
        for hundred in 1...5 {
            codes.append(("\(hundred)xx", byCode[Self.countedCodes.count + hundred - 1].value.load(ordering: .relaxed)))
        }
        codes.append(("other", byCode[Self.countedCodes.count + 5].value.load(ordering: .relaxed)))
        return Snapshot(
            inFlight: inFlight.load(ordering: .relaxed), mostInFlight: mostInFlight.load(ordering: .relaxed),
            byCode: codes.filter { $0.count > 0 }, buckets: buckets.map { $0.value.load(ordering: .relaxed) },
            totalMicroseconds: totalMicroseconds.load(ordering: .relaxed))
    }

    /// The figures at one time.
    public struct Snapshot: Sendable {
        /// Requests being answered now (this one included).
        public var inFlight: Int
        /// The most requests in flight at once since the process started.
        public var mostInFlight: Int
        /// Requests answered, by status code (`"200"`, or a class such as `"5xx"` for codes not counted one by
        /// one), only the codes seen.
        public var byCode: [(code: String, count: Int)]
        /// Requests per duration bucket (``bucketBounds``, then `+Inf`), not cumulative.
        public var buckets: [Int]
        /// The durations of every answered request added up, in microseconds.
        public var totalMicroseconds: Int

        /// Requests answered.
        public var answered: Int { buckets.reduce(0, +) }
    }
}
