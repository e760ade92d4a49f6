import CFastCGI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One `FCGX_Request`, owned by one worker thread for its whole life.
///
/// The request lives on the heap and never moves: its streams point back at it. `deinit` frees what libfcgi
/// allocated for it and closes a connection it still holds.
final class RequestSlot {
    /// Body bytes read and thrown away after a response before the connection is closed instead of kept.
    static let discardLimit = 1 << 20

    let request: UnsafeMutablePointer<FCGX_Request>
    private let listeningDescriptor: Int32
    /// Where ``RequestHeadCheck`` peeks at a request head: allocated once, not per request.
    let headBuffer: UnsafeMutableRawBufferPointer
    /// Where `discardInput` reads body bytes it drops: allocated once, not per request.
    private let discardBuffer: UnsafeMutableBufferPointer<CChar>

    /// A request whose connections ``acceptConnection()`` accepts on `listeningDescriptor`.
    ///
    /// libfcgi itself gets no listening socket (-1): when it meets a protocol error while reading a request
    /// (a `BEGIN_REQUEST` body of the wrong size, a second `BEGIN_REQUEST`), `FCGX_Accept_r` closes that
    /// connection and accepts the next one on its own, which would hand that connection to libfcgi without
    /// ``RequestHeadCheck`` seeing it first. With no socket to accept on, it returns an error instead, and the
    /// worker accepts (and checks) the next connection as always.
    init(listeningOn listeningDescriptor: Int32) {
        self.listeningDescriptor = listeningDescriptor
        request = .allocate(capacity: 1)
        request.initialize(to: FCGX_Request())
        FCGX_InitRequest(request, -1, FCGI_FAIL_ACCEPT_ON_INTR)
        discardBuffer = .allocate(capacity: 1 << 14)
        headBuffer = .allocate(byteCount: RequestHeadCheck.maximumHeadBytes, alignment: 1)
    }

    deinit {
        // Frees streams and params (no-ops once FCGX_Finish_r ran) and closes a kept connection; with no
        // connection (ipcFd -1) libfcgi closes nothing.
        FCGX_Free(request, 1)
        request.deinitialize(count: 1)
        request.deallocate()
        discardBuffer.deallocate()
        headBuffer.deallocate()
    }

    /// Whether the slot holds a connection the web server asked to keep (`FCGI_KEEP_CONN`): the next accept
    /// reads from it instead of accepting a new one.
    var holdsConnection: Bool { request.pointee.ipcFd >= 0 }

    /// The connection held (`-1` for none).
    var connection: Int32 { request.pointee.ipcFd }

    /// Accepts a new connection, which ``readRequest()`` then reads from: libfcgi's own accept is never used, so
    /// that ``RequestHeadCheck`` sees every connection first. The corresponding C function is `accept4`: 0, or a
    /// negated `errno` (fresh: libfcgi's accept could return a stale one while a shutdown was pending).
    func acceptConnection() -> Int32 {
        // Close-on-exec: not inherited by programs started later.
        let descriptor = cfastcgi_accept_cloexec(listeningDescriptor)
        guard descriptor >= 0 else { return 0 &- errno }
        boundReads(of: descriptor)
        request.pointee.ipcFd = descriptor
        return 0
    }

    /// Closes the held connection without answering (its request head was refused, or the server is stopping).
    func dropConnection() {
        if request.pointee.ipcFd >= 0 { close(request.pointee.ipcFd) }
        request.pointee.ipcFd = -1
        request.pointee.keepConnection = 0
        request.pointee.detached = 0
    }

    /// Reads the next request from the held connection. The corresponding C function is `FCGX_Accept_r`: 0, or
    /// a negative value when libfcgi gave up on the connection (it closed it).
    func readRequest() -> Int32 {
        // FCGX_Accept_r starts by finishing the previous request, which closes the connection unless it is
        // marked kept; the BEGIN_REQUEST it reads next sets the mark for this request.
        request.pointee.keepConnection = 1
        return FCGX_Accept_r(request)
    }

    /// The params of the request just accepted, copied: libfcgi frees its array in `finish`.
    func copyRequest() -> FastCGIRequest {
        FastCGIRequest(copyingEnvironment: request.pointee.envp)
    }

    /// Writes `bytes` to the request's output stream. The corresponding C function is `FCGX_PutStr`. Returns
    /// false once a write fails (the web server or its client went away); the rest is dropped.
    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool {
        guard let output = request.pointee.out else { return false }
        return bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return true }
            let chunk = 1 << 16
            var offset = 0
            while offset < buffer.count {
                let count = min(chunk, buffer.count - offset)
                let written = (base + offset).withMemoryRebound(to: CChar.self, capacity: count) {
                    FCGX_PutStr($0, Int32(count), output)
                }
                guard written == Int32(count) else { return false }
                offset += count
            }
            return true
        }
    }

    /// Reads and drops what is left of the request body, within ``inputDeadlineMilliseconds`` and up to
    /// ``discardLimit`` bytes. Returns whether the input ended (the empty `STDIN` record was read): only then is a
    /// kept connection positioned at the start of the next request.
    private func discardInput() -> Bool {
        guard let input = request.pointee.in else { return true }
        let deadline = MonotonicClock.milliseconds() + Self.inputDeadlineMilliseconds
        var total = 0
        while total <= Self.discardLimit {
            if FCGX_HasSeenEOF(input) != 0 { return true }
            // One read per call at most, so that the deadline is checked between reads (each bounded by the
            // connection's receive timeout): a peer sending a byte now and then holds the thread no longer.
            let count = FCGX_GetStr(discardBuffer.baseAddress, Int32(min(discardBuffer.count, Self.readChunk)), input)
            if count < 0 || FCGX_GetError(input) != 0 { return false }
            if count == 0 { return FCGX_HasSeenEOF(input) != 0 }
            total += Int(count)
            if MonotonicClock.milliseconds() >= deadline { return false }
        }
        return false
    }

    /// Flushes the response and ends the request. The corresponding C function is `FCGX_Finish_r`.
    ///
    /// A connection the web server asked to keep (`FCGI_KEEP_CONN`) stays open, positioned at the next request,
    /// when the rest of the input was read in time; any other connection is closed here at once. libfcgi's own
    /// close is never used: after `shutdown(SHUT_WR)` it waits up to 2 s per read for the peer to close its side.
    /// That wait guards against a TCP reset making the peer drop the answer while input it sent is still unread;
    /// here the input is read to its end first (with a deadline), and whatever is still queued is read before
    /// closing.
    func finish() {
        let inputEnded = discardInput()
        let keep = request.pointee.keepConnection != 0 && inputEnded
        // `detached`: if libfcgi closes the connection (a write or read failed), it closes it without waiting.
        // `keepConnection`: otherwise it leaves the connection open, for this slot to keep or close.
        request.pointee.detached = 1
        request.pointee.keepConnection = 1
        FCGX_Finish_r(request)
        let descriptor = request.pointee.ipcFd
        guard !keep, descriptor >= 0 else { return }
        request.pointee.ipcFd = -1
        request.pointee.keepConnection = 0
        request.pointee.detached = 0
        closeAnswered(descriptor, inputEnded: inputEnded)
    }

    /// Closes a connection whose answer is written: reads what the peer already sent (so that closing sends a
    /// FIN rather than a reset), without waiting for more, then closes.
    private func closeAnswered(_ descriptor: Int32, inputEnded: Bool) {
        if !inputEnded { shutdown(descriptor, Int32(SHUT_WR)) }
        var drained = 0
        while drained <= Self.discardLimit {
            let count = recv(descriptor, discardBuffer.baseAddress, discardBuffer.count, Int32(MSG_DONTWAIT))
            if count <= 0 { break }
            drained += count
        }
        close(descriptor)
    }

    /// Bounds each read of an accepted connection (the receive timeout, `SO_RCVTIMEO`): libfcgi reads with
    /// blocking `read(2)`, and a peer that stops sending must not hold a thread. The request head is already
    /// queued when libfcgi reads it (``RequestHeadCheck``), so only reading the body can wait this long.
    func boundReads(of descriptor: Int32) {
        var timeout = timeval(
            tv_sec: Self.inputDeadlineMilliseconds / 1000, tv_usec: (Self.inputDeadlineMilliseconds % 1000) * 1000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// How long reading the rest of a request's input may take after the answer, in milliseconds (nginx sends
    /// the whole request at once).
    static let inputDeadlineMilliseconds = 1_000

    /// The most bytes one read of the body asks libfcgi for: small enough that it reads the socket once.
    private static let readChunk = 4096
}
