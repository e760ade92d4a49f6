import JobsCore
import Testing

@Suite("Webhooks: Standard Webhooks signatures, the body's timestamp, the retry schedule")
struct WebhookSigningTests {
    /// The specification's own example (also what the `standardwebhooks` PyPI package signs for it).
    @Test func signsTheSpecificationsExample() throws {
        let secret = try #require(WebhookSecret(base64: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let header = WebhookSecret.signatureHeader(
            secrets: [secret], eventID: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330,
            body: #"{"test": 2432232314}"#)
        #expect(header == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(secret.text == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    }

    @Test func twoSecretsGiveTwoSignaturesSeparatedByASpace() {
        let first = WebhookSecret.random(), second = WebhookSecret.random()
        #expect(first != second && first.bytes.count == 32)
        let header = WebhookSecret.signatureHeader(secrets: [first, second], eventID: "msg_1", timestamp: 1, body: "{}")
        let parts = header.split(separator: " ")
        #expect(parts.count == 2 && parts.allSatisfy { $0.hasPrefix("v1,") })
        #expect(WebhookSecret(base64: first.base64) == first)
    }

    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"), (1_700_000_010_001, "2023-11-14T22:13:30.001Z"),
        (951_782_400_000, "2000-02-29T00:00:00.000Z"), (-1, "1969-12-31T23:59:59.999Z"),
    ])
    func timestampsAreRFC3339UTC(milliseconds: Int64, text: String) {
        #expect(RFC3339.text(milliseconds: milliseconds) == text)
    }

    @Test func retriesBackOffFourfoldUpToTenHoursAndStopAfterThreeDays() {
        let schedule = DeliverySchedule()
        #expect((1...9).map(schedule.wait(afterAttempts:)) == [
            5_000, 20_000, 80_000, 320_000, 1_280_000, 5_120_000, 20_480_000, 36_000_000, 36_000_000,
        ])
        #expect(schedule.outcome(attempt: 1, at: 10, status: 204, retryUntil: 5).state == .delivered)
        #expect(schedule.outcome(attempt: 1, at: 10, status: 500, retryUntil: 100) == (.pending, 5_010))
        #expect(schedule.outcome(attempt: 2, at: 10, status: nil, retryUntil: 100) == (.pending, 20_010))
        #expect(schedule.outcome(attempt: 13, at: 100, status: 302, retryUntil: 100) == (.failed, nil))
        // Attempts go on for at least 3 days: the waits never pass over the end in one step longer than 10 h.
        var time: Int64 = 0, attempt: Int64 = 1
        while case (.pending, let next?) = schedule.outcome(attempt: attempt, at: time, status: 500,
                                                              retryUntil: DeliverySchedule.retryPeriod) {
            time = next
            attempt += 1
        }
        #expect(time >= DeliverySchedule.retryPeriod && attempt == 15)
    }
}
