import Testing

@testable import JobsCore

@Suite("DecimalInteger: the one reading of integers in URLs")
struct DecimalIntegerTests {
    @Test(arguments: [
        ("0", Int64(0)), ("1", 1), ("01", 1), ("3451", 3451), ("9223372036854775807", Int64.max),
        ("0009223372036854775807", Int64.max),
    ])
    func accepts(text: String, value: Int64) {
        #expect(DecimalInteger.parse(text) == value)
    }

    @Test(arguments: [
        "", "abc", "1.5", "1e3", "0x10", "+1", "-1", " 1", "1 ", "1,000", "９", "١٢", "9223372036854775808",
        "99999999999999999999", String(repeating: "9", count: 5000), "1\u{0}",
    ])
    func refuses(text: String) {
        #expect(DecimalInteger.parse(text) == nil)
    }
}

@Suite("Percent-decoding of path segments")
struct PercentDecodingTests {
    @Test(arguments: [
        ("shekar%40example.com", "shekar@example.com"), ("a%2Fb", "a/b"), ("a+b", "a+b"), ("%C3%A9", "é"),
        ("plain", "plain"), ("%2e%2e", ".."),
    ])
    func decodes(raw: String, expected: String) throws {
        #expect(try PercentDecoding.decode(Array(raw.utf8)) == expected)
    }

    @Test(arguments: [
        ("%ff", PercentDecodingError.invalidUTF8), ("%c0%af", .invalidUTF8), ("%ed%a0%80", .invalidUTF8),
        ("%00", .nulCharacter), ("%", .malformedEscape), ("%4", .malformedEscape), ("%zz", .malformedEscape),
    ])
    func refuses(raw: String, error: PercentDecodingError) {
        #expect(throws: error) { try PercentDecoding.decode(Array(raw.utf8)) }
    }

    @Test func queryComponentsTreatPlusAsSpace() throws {
        #expect(try PercentDecoding.decodeQueryComponent(Array("a+b%2B".utf8)) == "a b+")
    }
}

@Suite("Query parameters")
struct QueryParametersTests {
    @Test func firstOccurrenceCounts() {
        let query = QueryParameters("limit=5&limit=7&page=2")
        #expect(query.integer("limit") == 5)
        #expect(query.integer("page") == 2)
    }

    @Test func missingEmptyAndBareNames() {
        let query = QueryParameters("limit&page=")
        #expect(query.rawValue("limit") == "")
        #expect(query.integer("limit") == nil)
        #expect(query.integer("page") == nil)
        #expect(query.rawValue("other") == nil)
    }

    @Test func encodedNamesAndValues() {
        #expect(QueryParameters("%6Cimit=%31%30").integer("limit") == 10)
        #expect(QueryParameters("limit=%2B1").integer("limit") == nil)
        #expect(QueryParameters("limit=%ff").integer("limit") == nil)
    }
}

@Suite("Bearer credentials (RFC 6750)")
struct BearerCredentialsTests {
    @Test func readsTheHeader() {
        #expect(BearerCredentials(header: nil) == .missing)
        #expect(BearerCredentials(header: "") == .missing)
        #expect(BearerCredentials(header: "Bearer") == .malformed)
        #expect(BearerCredentials(header: "Bearer ") == .malformed)
        #expect(BearerCredentials(header: "Bearer    ") == .malformed)
        #expect(BearerCredentials(header: "Basic dXNlcjpwYXNz") == .malformed)
        #expect(BearerCredentials(header: "Bearerabc") == .malformed)
        #expect(BearerCredentials(header: "Bearer abc") == .token("abc"))
        #expect(BearerCredentials(header: "bearer abc") == .token("abc"))
        #expect(BearerCredentials(header: "BEARER  abc ") == .token("abc"))
        // Found by the authorization fuzz target: only trailing spaces are dropped, not what follows a space.
        #expect(BearerCredentials(header: "Bearer abc x ") == .token("abc x"))
        #expect(BearerCredentials(header: "Bearer abc x") == .token("abc x"))
    }

    @Test(arguments: ["jobs_abc", "a.b-c_d~e+f/g==", "abc="])
    func wellFormedTokens(token: String) {
        #expect(BearerCredentials.isWellFormed(Substring(token)))
    }

    @Test(arguments: ["a b", "a=b", "é", "a\"b", String(repeating: "a", count: 513)])
    func illFormedTokens(token: String) {
        #expect(!BearerCredentials.isWellFormed(Substring(token)))
    }
}

@Suite("API keys")
struct APIKeyTests {
    @Test func generatedKeysAreRecognisableAndDistinct() {
        let first = APIKey.generate(), second = APIKey.generate()
        #expect(first.secret.hasPrefix("jobs_"))
        #expect(first.secret.count == 45)
        #expect(first.secret != second.secret)
        #expect(first.hash != second.hash)
        #expect(first.hint.hasPrefix(String(first.secret.prefix(9))))
        #expect(!first.hint.contains(String(first.secret.suffix(36))))
    }

    @Test func hashIsSHA256() {
        // SHA-256("abc"), FIPS 180-2 test vector.
        let hex = APIKeyHash(of: "abc").bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        #expect(hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func projectKeys() {
        #expect(ProjectKey("3sWXSsqHgSKnE87YkNJK") != nil)
        #expect(ProjectKey("3sWXSsqHgSKnE87YkNJ") == nil)
        #expect(ProjectKey("3sWXSsqHgSKnE87YkNJK1") == nil)
        #expect(ProjectKey("3sWXSsqHgSKnE87YkNJ/") == nil)
        #expect(ProjectKey("3sWXSsqHgSKnE87YkNJé") == nil)
        let random = ProjectKey.random()
        #expect(ProjectKey(random.rawValue) == random)
    }
}

@Suite("Schedule delay")
struct ScheduleDelayTests {
    @Test func nextMidnightUTC() {
        let day: Int64 = 86_400_000
        #expect(ScheduleDelay.nextMidnight.startAt(createdAt: 1_623_912_955_277) == 1_623_974_400_000)
        #expect(ScheduleDelay.nextMidnight.startAt(createdAt: 0) == day)
        #expect(ScheduleDelay.nextMidnight.startAt(createdAt: day) == 2 * day)
        #expect(ScheduleDelay.nextMidnight.startAt(createdAt: day - 1) == day)
        #expect(ScheduleDelay.nextMidnight.startAt(createdAt: Int64.max) == Int64.max)
    }

    @Test(arguments: [
        ("next-midnight", ScheduleDelay.nextMidnight), ("0s", .fixed(milliseconds: 0)),
        ("15m", .fixed(milliseconds: 900_000)), ("24h", .fixed(milliseconds: 86_400_000)),
        ("250ms", .fixed(milliseconds: 250)), ("2d", .fixed(milliseconds: 172_800_000)),
    ])
    func parses(text: String, delay: ScheduleDelay) {
        #expect(ScheduleDelay(parsing: text) == delay)
    }

    @Test(arguments: ["", "15", "-1s", "1.5h", "s", "99999999999999999999d", "367d", "tomorrow"])
    func refuses(text: String) {
        #expect(ScheduleDelay(parsing: text) == nil)
    }

    @Test func fixedDelayNeverOverflows() {
        #expect(ScheduleDelay.fixed(milliseconds: 1000).startAt(createdAt: Int64.max - 10) == Int64.max)
    }
}

@Suite("JSON")
struct JSONTests {
    @Test func jobHasTheTenKeysInOrder() {
        let job = Job(
            id: 3451, description: "Delete user sessions of userId = shekar@example.com", status: .scheduled,
            projectID: 1, action: .deleteUserData, referenceID: "shekar@example.com", createdAt: 1_623_912_955_277,
            updatedAt: nil, startAt: 1_623_954_600_000, errors: nil)
        #expect(
            job.jsonText
                == #"{"jobId":3451,"description":"Delete user sessions of userId = shekar@example.com","status":"scheduled","projectId":1,"action":"delete_user_data","referenceId":"shekar@example.com","createdAt":1623912955277,"updatedAt":null,"startAt":1623954600000,"errors":null}"#
        )
    }

    @Test func escapesStrings() {
        var writer = JSONWriter()
        writer.string("a\"b\\c\n\u{1}é\u{2028}")
        #expect(writer.text == #""a\"b\\c\n\u0001é\#u{2028}""#)
    }

    @Test(arguments: [Int64.min, -1, 0, 7, 1_623_912_955_277, Int64.max])
    func writesIntegers(value: Int64) {
        var writer = JSONWriter()
        writer.integer(value)
        #expect(writer.text == String(value))
    }
}
