import Foundation
import JobsTesting
import Testing

/// Malformed FastCGI records sent straight to the app's socket (no nginx in between): whatever arrives, every
/// jobs-fcgi process stays alive and a normal request through nginx still answers. Where FastCGI defines an
/// answer (`UNKNOWN_TYPE`, `GET_VALUES_RESULT`, a response to a request that is whole after all), it is checked.
@Suite(.serialized, .sharedStack)
struct RawFastCGITests {
    let fixture: StackFixture

    init() throws {
        fixture = try StackFixture.require()
    }

    typealias Raw = RawFastCGIClient

    /// What the app must answer on the raw connection, beyond staying alive.
    enum Answer: Sendable {
        /// Nothing in particular: closing, silence or an error response are all fine.
        case anything
        /// A record `UNKNOWN_TYPE` naming this type, on request id 0.
        case unknownType(UInt8)
        /// A `GET_VALUES_RESULT` on request id 0.
        case valuesResult
        /// A CGI response on request id 1 with this status, then `END_REQUEST`.
        case status(Int)
        /// No answer: the connection is closed at once (the request head was refused before libfcgi read it).
        case refused
        /// Either a CGI response with this status, or no CGI output at all (the request ended or the connection
        /// closed) — never another status or half a head. libfcgi treats a second `BEGIN_REQUEST` as a protocol
        /// error or skips it depending on how the records arrive in its reads, so both endings occur.
        case statusOrClosed(Int)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]
        /// Close the sending side after the bytes (the app sees end of file); otherwise keep it open while
        /// reading.
        var endInput: Bool = true
        var answer: Answer = .anything
        var testDescription: String { name }
    }

    /// How long a raw connection is read, at most: past the app's own 5 s limit for a request head, so that the
    /// app ends every connection it does not answer before the test stops listening (with room for a loaded
    /// machine); an answer or a close returns at once.
    static let readTimeout: TimeInterval = 15

    static let valid = Raw.request(uri: "/public/00000000000000000000/jobs")
    static let begin = Raw.beginRequest()
    static let someParams = Raw.record(.params, content: Raw.nameValuePairs([("REQUEST_METHOD", "GET")]))

    static let cases: [Case] = [
        Case(name: "nothing at all", bytes: []),
        Case(name: "half a record header", bytes: Array(begin.prefix(5))),
        Case(name: "BEGIN_REQUEST with half its body", bytes: Array(begin.prefix(11))),
        Case(name: "PARAMS declaring 1000 bytes, 10 sent", bytes: begin + Raw.record(.params, content: Array(repeating: 0x41, count: 10), declaredLength: 1000)),
        Case(name: "PARAMS declaring 65535 bytes, none sent", bytes: begin + Raw.record(.params, declaredLength: 65535)),
        Case(name: "name and value lengths of 2^31 - 1", bytes: begin + Raw.record(.params, content: Raw.length(Int(Int32.max)) + Raw.length(Int(Int32.max)) + Array("REQUEST_URI".utf8)), answer: .refused),
        Case(name: "name length 2^31 - 1, value length 1 (sum past Int32)", bytes: begin + Raw.record(.params, content: Raw.length(Int(Int32.max)) + [1] + Array(repeating: 0x41, count: 200)) + Raw.record(.params) + Raw.record(.stdin), answer: .refused),
        Case(name: "lengths 2^31 - 2 and 2 (sum 2^31)", bytes: begin + Raw.record(.params, content: Raw.length(Int(Int32.max) - 1) + [2] + Array(repeating: 0x41, count: 200)), answer: .refused),
        Case(name: "four-byte length cut short", bytes: begin + Raw.record(.params, content: [0x80, 0x00]) + Raw.record(.params) + Raw.record(.stdin), answer: .refused),
        Case(name: "a pair longer than its record", bytes: begin + Raw.record(.params, content: [100, 5] + Array("ABC".utf8)) + Raw.record(.params) + Raw.record(.stdin), answer: .refused),
        Case(name: "BEGIN_REQUEST with a 16-byte body", bytes: Raw.record(.beginRequest, content: Array(begin[8..<16]) + Array(repeating: 0, count: 8)) + Array(valid.dropFirst(begin.count)), answer: .refused),
        Case(name: "a second BEGIN_REQUEST, same id", bytes: begin + begin + Array(valid.dropFirst(begin.count)), answer: .statusOrClosed(401)),
        Case(name: "a second BEGIN_REQUEST, another id", bytes: begin + Raw.beginRequest(requestID: 2) + Array(valid.dropFirst(begin.count)), answer: .statusOrClosed(401)),
        Case(name: "unknown management record type 42", bytes: begin + Raw.record(42, requestID: 0, content: [1, 2, 3]) + Array(valid.dropFirst(begin.count)), answer: .unknownType(42)),
        Case(name: "only a management record, then silence", bytes: Raw.record(42, requestID: 0, content: [1, 2, 3]), endInput: false),
        Case(name: "unknown record type 200 for the request", bytes: begin + Raw.record(200, content: [9]) + Array(valid.dropFirst(begin.count)), answer: .status(401)),
        Case(name: "GET_VALUES", bytes: begin + Raw.record(.getValues, requestID: 0, content: Raw.nameValuePairs([("FCGI_MAX_CONNS", ""), ("FCGI_MAX_REQS", ""), ("FCGI_MPXS_CONNS", "")])) + Array(valid.dropFirst(begin.count)), answer: .valuesResult),
        Case(name: "GET_VALUES with a lying pair", bytes: begin + Raw.record(.getValues, requestID: 0, content: [0x80, 0, 0, 9, 0] + Array("FCGI".utf8)) + Array(valid.dropFirst(begin.count)), answer: .refused),
        Case(name: "BEGIN_REQUEST with request id 0", bytes: Raw.request(requestID: 0, uri: "/public/00000000000000000000/jobs")),
        Case(name: "PARAMS and STDIN for another id", bytes: begin + Raw.request(requestID: 2, uri: "/x").dropFirst(begin.count) + Array(valid.dropFirst(begin.count)), answer: .status(401)),
        Case(name: "STDIN before PARAMS end", bytes: begin + someParams + Raw.record(.stdin, content: Array("body".utf8)) + Raw.record(.stdin)),
        Case(name: "ABORT_REQUEST before PARAMS end", bytes: begin + someParams + Raw.record(.abortRequest)),
        Case(name: "ABORT_REQUEST after a whole request", bytes: valid + Raw.record(.abortRequest)),
        Case(name: "role 3 (filter)", bytes: Raw.beginRequest(role: 3) + Array(valid.dropFirst(begin.count))),
        Case(name: "role 0xFFFF", bytes: Raw.beginRequest(role: 0xFFFF) + Array(valid.dropFirst(begin.count))),
        Case(name: "version 0 header", bytes: [0] + Array(valid.dropFirst())),
        Case(name: "END_REQUEST and STDOUT sent to the app", bytes: begin + Raw.record(.endRequest, content: [0, 0, 0, 0, 0, 0, 0, 0]) + Raw.record(.stdout, content: [1])),
        Case(name: "padding 255 everywhere", bytes: Raw.beginRequest() + Raw.record(.params, content: Raw.nameValuePairs([("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/x")]), padding: 255) + Raw.record(.params, padding: 255) + Raw.record(.stdin, padding: 255), answer: .status(401)),
        Case(name: "1 MiB of STDIN", bytes: Array(valid.dropLast(8)) + (0..<17).flatMap { _ in Raw.record(.stdin, content: Array(repeating: 0x61, count: 65535)) } + Raw.record(.stdin), answer: .status(401)),
        Case(name: "a request, then garbage", bytes: valid + Array(repeating: 0xFF, count: 100), answer: .status(401)),
        Case(name: "kept connection: a request, then half a header", bytes: Raw.request(uri: "/x", keepConnection: true) + [1, 1, 0], answer: .status(401)),
    ]

    @Test(arguments: cases)
    func malformedRecordsKillNothing(_ test: Case) throws {
        let raw = try RawFastCGIClient(unixSocket: fixture.stack.socketPath)
        raw.send(test.bytes)
        if test.endInput { raw.shutdownWrite() }
        let (records, closed) = raw.readRecords(timeout: Self.readTimeout)
        raw.close()
        switch test.answer {
        case .anything:
            break
        case .unknownType(let type):
            let answer = try #require(records.first { $0.type == Raw.RecordType.unknownType.rawValue })
            #expect(answer.requestID == 0)
            #expect(answer.content.first == type)
        case .valuesResult:
            let answer = try #require(records.first { $0.type == Raw.RecordType.getValuesResult.rawValue })
            #expect(answer.requestID == 0)
        case .refused:
            #expect(records.isEmpty)
            #expect(closed)
        case .status(let status):
            #expect(Raw.output(of: records).hasPrefix("Status: \(status) "))
            #expect(records.contains { $0.type == Raw.RecordType.endRequest.rawValue && $0.requestID == 1 })
        case .statusOrClosed(let status):
            let output = Raw.output(of: records)
            #expect(output.isEmpty || output.hasPrefix("Status: \(status) "), "\(records)")
            #expect(closed || records.contains { $0.type == Raw.RecordType.endRequest.rawValue }, "\(records)")
        }
        expectAppAlive(fixture.stack)
        let response = try fixture.client.get("\(fixture.base)/jobs", key: fixture.key)
        #expect(response.status == 200)
    }

    /// A request head that libfcgi refuses (a `BEGIN_REQUEST` body of 16 bytes instead of 8) once made libfcgi close
    /// the connection and accept the next one itself, past the head check: that next connection's lying lengths
    /// then reached libfcgi (enough to stop a thread, or the process). As many rounds as the app has threads, and
    /// two more: each refused head is followed by a connection with a lying `GET_VALUES` pair, which must be
    /// refused too, and the app must still answer.
    @Test func refusedHeadsLeaveTheNextConnectionChecked() throws {
        let threads = fixture.stack.options.threads ?? ProcessInfo.processInfo.activeProcessorCount
        let lying = Self.begin
            + Raw.record(.getValues, requestID: 0, content: [0x80, 0, 0, 9, 0] + Array("FCGI".utf8))
            + Array(Self.valid.dropFirst(Self.begin.count))
        let badBegin = Raw.record(.beginRequest, content: Array(Self.begin[8..<16]) + Array(repeating: 0, count: 8))
            + Array(Self.valid.dropFirst(Self.begin.count))
        for round in 0..<(threads * fixture.stack.options.processes + 2) {
            for (name, bytes) in [("bad BEGIN_REQUEST", badBegin), ("lying GET_VALUES pair", lying)] {
                let raw = try RawFastCGIClient(unixSocket: fixture.stack.socketPath)
                raw.send(bytes)
                raw.shutdownWrite()
                let (records, closed) = raw.readRecords(timeout: Self.readTimeout)
                raw.close()
                #expect(records.isEmpty, "round \(round), \(name): \(records)")
                #expect(closed, "round \(round), \(name)")
            }
        }
        expectAppAlive(fixture.stack)
        let response = try fixture.client.get("\(fixture.base)/jobs", key: fixture.key)
        #expect(response.status == 200)
    }

    /// As many idle connections (opened, nothing sent) as the app has threads in all: each thread takes one and
    /// closes it when no request head arrived within 5 s, so a normal request still gets its answer, late.
    /// (Before the head check, libfcgi waited for a first byte forever while holding the accept mutex: one idle
    /// connection stopped its whole process.)
    @Test func idleConnectionsHoldNoThreadForever() throws {
        let threads = fixture.stack.options.threads ?? ProcessInfo.processInfo.activeProcessorCount
        let idle = try (0..<(threads * fixture.stack.options.processes)).map { _ in
            try RawFastCGIClient(unixSocket: fixture.stack.socketPath)
        }
        let started = Date()
        let response = try fixture.client.get("\(fixture.base)/jobs", key: fixture.key)
        print("idle connections: \(idle.count); a request behind them answered \(response.status) after \(Int(Date().timeIntervalSince(started) * 1000)) ms")
        #expect(response.status == 200)
        for connection in idle {
            // Closed by the app without an answer.
            let (records, closed) = connection.readRecords(timeout: patientTimeout)
            #expect(records.isEmpty)
            #expect(closed)
        }
        expectAppAlive(fixture.stack)
    }
}
