import Testing

@testable import FastCGI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// FastCGI records as a web server (or an attacker) would write them.
enum Record {
    static let beginRequest: UInt8 = 1
    static let params: UInt8 = 4
    static let stdin: UInt8 = 5
    static let getValues: UInt8 = 9

    /// One record: version 1, `type`, `id`, the content and `padding` zero bytes; `declaredLength` overrides the
    /// content length written in the header.
    static func make(
        _ type: UInt8, id: Int = 1, _ content: [UInt8] = [], padding: Int = 0, declaredLength: Int? = nil
    ) -> [UInt8] {
        let length = declaredLength ?? content.count
        return [1, type, UInt8(id >> 8), UInt8(id & 0xFF), UInt8(length >> 8), UInt8(length & 0xFF), UInt8(padding), 0]
            + content + [UInt8](repeating: 0, count: padding)
    }

    /// `BEGIN_REQUEST` for `role` (1: responder), keeping the connection.
    static func begin(id: Int = 1, role: UInt16 = 1) -> [UInt8] {
        make(beginRequest, id: id, [UInt8(role >> 8), UInt8(role & 0xFF), 1, 0, 0, 0, 0, 0])
    }

    /// A name-value pair with one-byte or four-byte lengths, as declared (`nameLength`/`valueLength` may lie).
    static func pair(_ name: String, _ value: String, nameLength: Int? = nil, valueLength: Int? = nil) -> [UInt8] {
        func length(_ count: Int) -> [UInt8] {
            count < 0x80
                ? [UInt8(count)]
                : [UInt8(0x80 | (count >> 24) & 0x7F), UInt8((count >> 16) & 0xFF), UInt8((count >> 8) & 0xFF),
                    UInt8(count & 0xFF)]
        }
        return length(nameLength ?? name.utf8.count) + length(valueLength ?? value.utf8.count) + Array(name.utf8)
            + Array(value.utf8)
    }

    /// A whole, sane head: `BEGIN_REQUEST`, the params, the empty `PARAMS` that ends them.
    static let goodHead = begin()
        + make(params, pair("REQUEST_METHOD", "GET") + pair("REQUEST_URI", "/public/x/jobs"), padding: 3)
        + make(params)
}

func inspect(_ bytes: [UInt8]) -> RequestHeadCheck.Verdict {
    bytes.withUnsafeBytes { RequestHeadCheck.inspect($0) }
}

@Suite("Request head check: the bytes")
struct RequestHeadInspectionTests {
    @Test func wholeHeadIsReady() {
        #expect(inspect(Record.goodHead) == .ready)
        // Followed by the body, or by records libfcgi reads later: still ready.
        #expect(inspect(Record.goodHead + Record.make(Record.stdin, [1, 2, 3])) == .ready)
    }

    @Test func everyTruncationIsIncomplete() {
        for count in 0..<Record.goodHead.count {
            #expect(inspect(Array(Record.goodHead.prefix(count))) == .incomplete, "cut at \(count) bytes")
        }
    }

    @Test func contentLongerThanSentIsIncomplete() {
        // The header promises 200 bytes of params and 10 arrive: the head is not whole (the wait's deadline or
        // buffer bound decides, see the socket tests).
        let head = Record.begin() + Record.make(Record.params, [UInt8](repeating: 0, count: 10), declaredLength: 200)
        #expect(inspect(head) == .incomplete)
    }

    @Test(arguments: [
        (Int?.none, Int?.some(0x7FFF_FFFF)),  // a value of 2 GiB in a record of a few bytes
        (Int?.some(0x7FFF_FFFF), Int?.none),
        (Int?.some(100), Int?.none),  // a name running past the params
        (Int?.none, Int?.some(100)),
    ])
    func pairLongerThanTheParamsIsInvalid(nameLength: Int?, valueLength: Int?) {
        let pairs = Record.pair("REQUEST_URI", "/x", nameLength: nameLength, valueLength: valueLength)
        #expect(inspect(Record.begin() + Record.make(Record.params, pairs) + Record.make(Record.params)) == .invalid)
    }

    @Test func pairSplitAcrossRecordsIsReady() {
        // Params are one stream: a pair may span records, and only the whole stream must hold every pair.
        let pairs = Record.pair("REQUEST_METHOD", "GET")
        let head = Record.begin() + Record.make(Record.params, Array(pairs.prefix(5)))
            + Record.make(Record.params, Array(pairs.dropFirst(5))) + Record.make(Record.params)
        #expect(inspect(head) == .ready)
    }

    @Test func lyingGetValuesPairsAreInvalid() {
        let lying = Record.pair("FCGI_MAX_CONNS", "", valueLength: 0x10_0000)
        #expect(inspect(Record.make(Record.getValues, id: 0, lying) + Record.goodHead) == .invalid)
        #expect(inspect(Record.make(Record.getValues, id: 0, Record.pair("FCGI_MAX_CONNS", "")) + Record.goodHead) == .ready)
    }

    @Test(arguments: [UInt16(2), 3, 0, 0x0101])  // authorizer, filter, none, nonsense
    func otherRolesAreInvalid(role: UInt16) {
        let head = Record.begin(role: role) + Record.make(Record.params, Record.pair("A", "b")) + Record.make(Record.params)
        #expect(inspect(head) == .invalid)
    }

    @Test func beginRequestOfAnotherSizeIsInvalid() {
        let nine = Record.make(Record.beginRequest, [0, 1, 1, 0, 0, 0, 0, 0, 0])
        #expect(inspect(nine + Record.make(Record.params)) == .invalid)
    }

    @Test func otherVersionIsInvalid() {
        var head = Record.goodHead
        head[0] = 2
        #expect(inspect(head) == .invalid)
    }

    @Test func paramsBeforeBeginRequestAreInvalid() {
        #expect(inspect(Record.make(Record.params, Record.pair("A", "b")) + Record.goodHead) == .invalid)
    }

    @Test func unknownRecordTypesAreLeftToLibfcgi() {
        // libfcgi answers UNKNOWN_TYPE for a management record and ends the connection over an unexpected type of
        // the request (a protocol error): neither allocates by a declared length, so the check lets them through
        // and judges the params alone.
        let management = Record.make(42, id: 0, [1, 2, 3, 4])
        #expect(inspect(management + Record.goodHead) == .ready)
        let ofTheRequest = Record.make(42, id: 1, [1, 2, 3, 4])
        #expect(inspect(Record.begin() + ofTheRequest + Record.make(Record.params, Record.pair("A", "b"))
            + Record.make(Record.params)) == .ready)
        // ...but such a record is still read whole before the params count.
        #expect(inspect(Record.begin() + Record.make(42, id: 1, [1], declaredLength: 900)) == .incomplete)
    }

    @Test func secondBeginRequestDoesNotRestartTheHead() {
        // libfcgi does not multiplex: it answers a second BEGIN_REQUEST with CANT_MPX_CONN and skips it, so the
        // params that bound the request are still those of the first id, and a lying pair among them is refused.
        let second = Record.begin(id: 2)
        #expect(inspect(Record.begin() + second + Record.make(Record.params, Record.pair("A", "b"))
            + Record.make(Record.params)) == .ready)
        let lying = Record.make(Record.params, Record.pair("A", "b", valueLength: 5000))
        #expect(inspect(Record.begin() + lying + second + Record.make(Record.params)) == .invalid)
        // The second request's params are skipped by libfcgi, but they may not end the first one's head.
        #expect(inspect(Record.begin() + second + Record.make(Record.params, id: 2)) == .incomplete)
    }
}

/// A connected pair of unix stream sockets: `server` is what the check peeks at, `client` the web server's end.
final class SocketPair {
    let server: Int32
    var client: Int32

    init() throws {
        var descriptors: [Int32] = [-1, -1]
        let kind = Int32(SOCK_STREAM.rawValue)
        guard socketpair(AF_UNIX, kind, 0, &descriptors) == 0 else { throw SocketPairError() }
        server = descriptors[0]
        client = descriptors[1]
    }

    deinit {
        close(server)
        if client >= 0 { close(client) }
    }

    func send(_ bytes: [UInt8]) {
        let sent = bytes.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
        precondition(sent == bytes.count)
    }

    func closeClient() {
        close(client)
        client = -1
    }

    /// The check on `server` with a buffer of `bufferBytes`.
    func wait(bufferBytes: Int = RequestHeadCheck.maximumHeadBytes, timeoutMilliseconds: Int = 5_000,
        shouldStop: () -> Bool = { false }
    ) -> RequestHeadCheck.Verdict {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferBytes, alignment: 1)
        defer { buffer.deallocate() }
        return RequestHeadCheck.wait(
            on: server, into: buffer, timeoutMilliseconds: timeoutMilliseconds, shouldStop: shouldStop)
    }

    struct SocketPairError: Error {}
}

@Suite("Request head check: the socket")
struct RequestHeadWaitTests {
    @Test func queuedHeadIsReadyAndNotConsumed() throws {
        let pair = try SocketPair()
        pair.send(Record.goodHead)
        #expect(pair.wait() == .ready)
        // MSG_PEEK: libfcgi still reads every byte.
        var bytes = [UInt8](repeating: 0, count: Record.goodHead.count + 1)
        let count = bytes.withUnsafeMutableBytes { recv(pair.server, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        #expect(count == Record.goodHead.count)
    }

    @Test func peerClosingMidHeadIsInvalid() throws {
        let pair = try SocketPair()
        pair.send(Array(Record.goodHead.prefix(20)))
        pair.closeClient()
        #expect(pair.wait() == .invalid)
    }

    @Test func peerClosingBeforeAnyByteIsInvalid() throws {
        let pair = try SocketPair()
        pair.closeClient()
        #expect(pair.wait() == .invalid)
    }

    @Test func headNotWholeInTimeIsInvalid() throws {
        let pair = try SocketPair()
        pair.send(Record.begin() + Record.make(Record.params, [1, 2], declaredLength: 300))
        let started = MonotonicClock.milliseconds()
        #expect(pair.wait(timeoutMilliseconds: 100) == .invalid)
        #expect(MonotonicClock.milliseconds() - started >= 100)
    }

    @Test func idleConnectionIsInvalidAfterTheTimeout() throws {
        let pair = try SocketPair()
        #expect(pair.wait(timeoutMilliseconds: 50) == .invalid)
    }

    @Test func paramsOverTheBoundAreInvalid() throws {
        // Params that never end, filling the buffer: the bound, not the deadline, refuses them.
        let pair = try SocketPair()
        let filler = Record.make(Record.params, Record.pair("HTTP_X", String(repeating: "x", count: 1000)))
        pair.send(Record.begin() + Array([[UInt8]](repeating: filler, count: 5).joined()))
        let started = MonotonicClock.milliseconds()
        #expect(pair.wait(bufferBytes: 4096, timeoutMilliseconds: 5_000) == .invalid)
        #expect(MonotonicClock.milliseconds() - started < 5_000)
    }

    @Test func stopRequestedWhileWaitingIsIncomplete() throws {
        let pair = try SocketPair()
        #expect(pair.wait(timeoutMilliseconds: 5_000, shouldStop: { true }) == .incomplete)
    }
}
