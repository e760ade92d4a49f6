#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One server thread: makes its handler, then accepts and answers requests until the server stops.
final class ServerThread: Sendable {
    let index: Int
    let state: ServerState
    let listener: FastCGIListener
    let wake: WakePipe
    let makeHandler: @Sendable () throws -> any FastCGIHandler
    let log: @Sendable (String) -> Void

    init(
        index: Int, state: ServerState, listener: FastCGIListener, wake: WakePipe,
        makeHandler: @escaping @Sendable () throws -> any FastCGIHandler, log: @escaping @Sendable (String) -> Void
    ) {
        self.index = index
        self.state = state
        self.listener = listener
        self.wake = wake
        self.makeHandler = makeHandler
        self.log = log
    }

    /// Starts the thread. Returns its id, or the error of `pthread_create`.
    func start() -> Result<pthread_t, FastCGIError> {
        let context = Unmanaged.passRetained(self)
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            Unmanaged<ServerThread>.fromOpaque(raw).takeRetainedValue().run()
            return nil
        }, context.toOpaque())
        guard status == 0 else {
            context.release()
            return .failure(.system("pthread_create", code: status))
        }
        return .success(thread)
    }

    /// The thread's body.
    private func run() {
        defer {
            state.threadEnded()
            wake.notify()
        }
        let handler: any FastCGIHandler
        do {
            handler = try makeHandler()
        } catch {
            state.fail(error)
            return
        }
        let slot = RequestSlot(listeningOn: listener.fileDescriptor)
        var lastAcceptError: Int32 = 0

        serving: while true {
            // A kept connection is this thread's own; otherwise accept a new one. Every idle thread waits in
            // `accept` at once, without an accept mutex: Linux hands each connection to one waiting thread.
            if !slot.holdsConnection {
                guard state.beginWaiting(thread: index) else { break serving }
                let status = slot.acceptConnection()
                state.endWaiting(thread: index)

                if status < 0 {
                    if state.isStopping || ShutdownSignals.received != nil { break serving }
                    let code = 0 &- status
                    switch code {
                    case EINTR, ECONNABORTED, EPROTO, ECONNRESET, EAGAIN:
                        continue serving
                    case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                        // Out of descriptors or memory: requests in flight will free some. Say so once, then retry.
                        if code != lastAcceptError {
                            log("accept on \(listener.boundAddress) failed, retrying: \(FastCGIError.text(ofErrno: code))")
                            lastAcceptError = code
                        }
                        usleep(100_000)
                        continue serving
                    default:
                        state.fail(FastCGIError.system("accept on \(listener.boundAddress)", code: code))
                        break serving
                    }
                }
                lastAcceptError = 0
            }

            // The request head is checked before libfcgi reads it (a slow connection holds this thread only, and
            // for at most the head timeout).
            guard state.beginWaiting(thread: index) else {
                slot.dropConnection()
                break serving
            }
            let verdict = RequestHeadCheck.wait(
                on: slot.connection, into: slot.headBuffer, timeoutMilliseconds: RequestHeadCheck.timeoutMilliseconds,
                shouldStop: { [state] in state.isStopping || ShutdownSignals.received != nil })
            let status = verdict == .ready ? slot.readRequest() : -1
            state.endWaiting(thread: index)
            guard verdict == .ready, status >= 0 else {
                slot.dropConnection()
                if state.isStopping || ShutdownSignals.received != nil { break serving }
                continue serving
            }

            state.beginRequest(thread: index, at: MonotonicClock.milliseconds())
            slot.write(handler.respond(to: slot.copyRequest()))
            slot.finish()
            state.countRequest(thread: index)
        }
    }
}
