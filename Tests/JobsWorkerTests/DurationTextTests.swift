import Testing
@testable import JobsWorker

/// Durations in the worker's log: exact under a minute, in the two largest units beyond.
@Suite struct DurationTextTests {
    static let cases: [(milliseconds: Int64, text: String)] = [
        (0, "0.000 s"),
        (1_234, "1.234 s"),
        (59_999, "59.999 s"),
        (60_000, "1 min"),
        (725_000, "12 min 5 s"),
        (3_600_000 + 5_000, "1 h"),
        (12_000_000, "3 h 20 min"),
        (4 * 86_400_000 + 2 * 3_600_000 + 59_000, "4 days 2 h"),
        // The log line of an old job that prompted this: 1796456450.793 s after its startAt.
        (1_796_456_450_793, "56 years 338 days"),
        (Int64.max, "292271023 years 16 days"),
    ]

    @Test(arguments: cases)
    func humanText(milliseconds: Int64, text: String) {
        #expect(Duration.milliseconds(milliseconds).humanText == text)
    }
}
