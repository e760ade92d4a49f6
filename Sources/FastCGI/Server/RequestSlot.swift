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
        request.pointee.ipcFd = descriptor
        return 0
    }

    /// Closes the held connection without answering (its request head was refused, or the server is stopping).
    func dropConnection() {
        if request.pointee.ipcFd >= 0 { close(request.pointee.ipcFd) }
        request.pointee.ipcFd = -1
        request.pointee.keepConnection = 0
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

    /// Reads and drops what is left of the request body, so that a connection kept for the next request is
    /// positioned at its start. Past `discardLimit` bytes it stops and makes `finish` close the connection.
    func discardInput() {
        guard let input = request.pointee.in else { return }
        var total = 0
        while total <= Self.discardLimit {
            let count = FCGX_GetStr(discardBuffer.baseAddress, Int32(discardBuffer.count), input)
            if count <= 0 { return }
            total += Int(count)
        }
        request.pointee.keepConnection = 0
    }

    /// Flushes the response, ends the request and frees its params. The corresponding C function is
    /// `FCGX_Finish_r`; it closes the connection unless the web server asked to keep it and nothing failed.
    func finish() {
        FCGX_Finish_r(request)
    }
}
