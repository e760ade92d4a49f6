#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checks a connection before libfcgi reads a request from it: the start of the request (`BEGIN_REQUEST` for
/// the responder role, then `PARAMS` up to the empty one that ends them) must arrive whole and sane within a time
/// limit. Only then does `FCGX_Accept_r` read it, from bytes already checked.
///
/// Why: libfcgi allocates each param as its two declared lengths (up to 2^31 - 1 each) before reading it and
/// aborts the process when `malloc` fails, and it waits for a request's first bytes without a time limit. Here a
/// pair must fit in the params that were sent, the head must fit in ``maximumHeadBytes``, and a connection that
/// does not deliver a whole head in time is closed.
enum RequestHeadCheck {
    /// The longest request head (records up to the end of the params) accepted, in bytes: nginx's params for a
    /// request with 64 KiB of headers take about 70 KiB.
    static let maximumHeadBytes = 256 * 1024

    /// How long a connection may take to deliver a whole request head (nginx sends it at once): an idle
    /// connection, new or kept, holds its thread no longer than this.
    static let timeoutMilliseconds = 5_000

    /// What a look at the queued bytes found.
    enum Verdict: Equatable {
        /// A whole, sane head is queued: libfcgi may read it.
        case ready
        /// Not (yet) a whole head.
        case incomplete
        /// Bytes libfcgi must not see: a lying length, another role, another protocol version.
        case invalid
    }

    /// Waits until `descriptor` holds a whole request head, without consuming anything (`MSG_PEEK`). Returns
    /// `.ready`, or `.invalid` when the head is malformed, too big, cut short by the peer, or not complete within
    /// `timeoutMilliseconds`; `.incomplete` when `shouldStop` turned true while waiting (a signal interrupts the
    /// wait).
    /// `buffer` (``maximumHeadBytes`` long, reused across requests: allocating 256 KiB per request would map and
    /// unmap memory every time) receives the peeked bytes.
    static func wait(
        on descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, timeoutMilliseconds: Int,
        shouldStop: () -> Bool
    ) -> Verdict {
        let deadline = MonotonicClock.milliseconds() + timeoutMilliseconds
        var lastCount = -1
        while true {
            let count = recv(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT))
            if count == 0 { return .invalid }  // closed before a whole head
            if count < 0, errno != EAGAIN, errno != EWOULDBLOCK, errno != EINTR { return .invalid }
            if count > 0, count != lastCount {
                switch inspect(UnsafeRawBufferPointer(rebasing: buffer[..<count])) {
                case .ready: return .ready
                case .invalid: return .invalid
                case .incomplete: if count == buffer.count { return .invalid }
                }
                lastCount = count
            }
            if shouldStop() { return .incomplete }
            let remaining = deadline - MonotonicClock.milliseconds()
            guard remaining > 0 else { return .invalid }
            if count > 0 {
                // Part of a head is queued: poll would report it readable at once. Unless the peer is done
                // sending (then the head can never be whole), look again shortly.
                var waiting = pollfd(fd: descriptor, events: peerClosedEvent, revents: 0)
                if poll(&waiting, 1, 0) > 0 { return .invalid }
                usleep(UInt32(min(remaining, 2) * 1000))
            } else {
                var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                _ = poll(&waiting, 1, Int32(min(remaining, 1000)))
            }
        }
    }

    /// Whether `bytes` start with a whole, sane request head. Records before `BEGIN_REQUEST` and records of other
    /// request ids are let through as libfcgi handles them (management records answered, others skipped), but
    /// their name-value pairs, like the params', must fit in what was sent.
    static func inspect(_ bytes: UnsafeRawBufferPointer) -> Verdict {
        var index = 0
        var requestID: Int?
        var params: [UInt8] = []
        while true {
            guard bytes.count - index >= 8 else { return .incomplete }
            guard bytes[index] == 1 else { return .invalid }  // FCGI_VERSION_1
            let type = bytes[index + 1]
            let id = Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
            let contentLength = Int(bytes[index + 4]) << 8 | Int(bytes[index + 5])
            let recordLength = 8 + contentLength + Int(bytes[index + 6])
            guard bytes.count - index >= recordLength else { return .incomplete }
            let content = bytes[(index + 8)..<(index + 8 + contentLength)]
            index += recordLength

            if id == 0 {
                // A management record; GET_VALUES (9) carries name-value pairs that libfcgi reads like params.
                if type == 9, !pairsFit(content) { return .invalid }
                continue
            }
            switch (type, requestID) {
            case (1, nil):  // BEGIN_REQUEST
                // Exactly 8 bytes, as libfcgi requires (it ends the connection over any other size), for the
                // responder role.
                guard contentLength == 8, content[content.startIndex] == 0, content[content.startIndex + 1] == 1
                else { return .invalid }
                requestID = id
            case (4, let current?) where current == id:  // PARAMS of the request
                if contentLength == 0 { return pairsFit(params) ? .ready : .invalid }
                params += content
            case (4, nil):
                // PARAMS before any BEGIN_REQUEST: libfcgi skips them, but they bound nothing; refuse.
                return .invalid
            default:
                continue  // another request's records, STDIN before the params end, …: libfcgi skips them
            }
        }
    }

    /// Whether every name-value pair in `pairs` has both its lengths and its bytes inside `pairs`.
    static func pairsFit<C: Collection>(_ pairs: C) -> Bool where C.Element == UInt8, C.Index == Int {
        var index = pairs.startIndex
        func length() -> Int? {
            guard index < pairs.endIndex else { return nil }
            if pairs[index] < 0x80 {
                index += 1
                return Int(pairs[index - 1])
            }
            guard pairs.endIndex - index >= 4 else { return nil }
            let value = Int(pairs[index] & 0x7F) << 24 | Int(pairs[index + 1]) << 16 | Int(pairs[index + 2]) << 8
                | Int(pairs[index + 3])
            index += 4
            return value
        }
        while index < pairs.endIndex {
            guard let nameLength = length(), let valueLength = length(),
                nameLength <= pairs.endIndex - index, valueLength <= pairs.endIndex - index - nameLength
            else { return false }
            index += nameLength + valueLength
        }
        return true
    }

    /// `POLLRDHUP` (Linux): the peer shut down its sending side. Not visible from Swift (it needs `_GNU_SOURCE`).
    private static let peerClosedEvent: Int16 = 0x2000
}
