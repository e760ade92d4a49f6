import Foundation
import JobsCore
import WebhookDelivery

/// Delivers the outbox's events from inside `jobsctl worker`, on threads of their own, so that a slow receiver
/// never holds up claiming or running jobs.
///
/// Each of ``senders`` threads has its own store connection and libcurl handle, and loops: claim one due event
/// under a lease (``WebhookStore/claimDueDeliveries(owner:now:leaseUntil:limit:)``: of any number of workers, one
/// gets it), post it signed, record the attempt fenced on that lease, and look again at once; when nothing is
/// due, wait for ``pollInterval`` or for ``jobEnded()`` (a job this worker finished has an event due now).
/// The lease (``lease``) outlasts the 10 s limit on a request, so no two workers send one attempt at once; a
/// worker that dies mid-attempt leaves the event to be taken over when the lease ends (the receiver may then see
/// that `webhook-id` twice, never two ids for one event).
public final class WebhookDeliveries: @unchecked Sendable {
    // Safe to share: the mutable state (`stopping`, `generation`, `active`) is only touched with `state` held;
    // the rest is set in `init`.

    /// Opens a connection for the calling thread.
    public typealias Connect = @Sendable () throws -> any WebhookStore

    /// The worker's name; each sender claims as `OWNER/webhooks-N`.
    public let owner: String
    /// Threads sending at once.
    public let senders: Int
    /// How long a sender waits before looking again when nothing was due.
    public let pollInterval: Duration
    /// When failed attempts are tried again.
    public let schedule: DeliverySchedule
    /// How long a claimed event stays this worker's: the request's limit and a margin for the store's writes.
    public let lease: Duration
    /// The limit on one request.
    public let requestTimeout: Duration

    let connect: Connect
    let log: WorkerLog
    private let state = NSCondition()
    private var stopping = false
    private var generation = 0
    private var active = 0

    public init(
        owner: String, senders: Int, pollInterval: Duration, schedule: DeliverySchedule = DeliverySchedule(),
        requestTimeout: Duration = .seconds(10), connect: @escaping Connect, log: WorkerLog
    ) {
        self.owner = owner
        self.senders = senders
        self.pollInterval = pollInterval
        self.schedule = schedule
        self.requestTimeout = requestTimeout
        self.lease = requestTimeout + .seconds(5)
        self.connect = connect
        self.log = log
    }

    /// Initializes libcurl; call once, before any thread starts.
    public static func prepare() throws {
        try WebhookPoster.initializeLibrary()
    }

    /// Starts the sender threads.
    public func start() throws {
        for number in 1...max(senders, 1) where senders > 0 {
            state.withLock { active += 1 }
            do {
                try DetachedThread.start { [self] in
                    send(as: "\(owner)/webhooks-\(number)")
                    state.withLock {
                        active -= 1
                        state.broadcast()
                    }
                }
            } catch {
                state.withLock { active -= 1 }
                throw error
            }
        }
    }

    /// A job ended in this worker: its event (if its project has a webhook) is due now, so senders look at once.
    public func jobEnded() {
        state.withLock {
            generation += 1
            state.broadcast()
        }
    }

    /// Stops claiming; waits for the attempts under way (each ends within the request's limit).
    public func stop() {
        state.withLock {
            stopping = true
            state.broadcast()
        }
        let deadline = ContinuousClock.now + lease
        state.withLock {
            while active > 0 && ContinuousClock.now < deadline { state.wait(until: deadline) }
        }
    }

    /// Sends every event due now once, on the calling thread (`jobsctl worker --once`), then returns.
    public func deliverDueEvents() {
        guard let (store, poster) = open(as: owner) else { return }
        while attemptOne(as: "\(owner)/webhooks-once", store: store, poster: poster) {}
    }

    /// A sender thread's loop.
    private func send(as sender: String) {
        var connection: (any WebhookStore, WebhookPoster)?
        while !state.withLock({ stopping }) {
            let seen = state.withLock { generation }
            if connection == nil { connection = open(as: sender) }
            var attempted = false
            if let (store, poster) = connection {
                attempted = attemptOne(as: sender, store: store, poster: poster)
            }
            if attempted { continue }
            let deadline = ContinuousClock.now + pollInterval
            state.withLock {
                while !stopping && generation == seen && ContinuousClock.now < deadline { state.wait(until: deadline) }
            }
        }
    }

    private func open(as sender: String) -> (any WebhookStore, WebhookPoster)? {
        do {
            return (try connect(), try WebhookPoster(timeoutMilliseconds: Int(requestTimeout.inMilliseconds)))
        } catch {
            log.write("webhooks \(sender): cannot open the store or libcurl (trying again in \(pollInterval.settingText)): \(error)")
            return nil
        }
    }

    /// Claims one due event and makes one attempt; whether there was one.
    private func attemptOne(as sender: String, store: any WebhookStore, poster: WebhookPoster) -> Bool {
        let now = JobsAPI.now()
        let claimed: ClaimedDelivery
        do {
            guard
                let first = try store.claimDueDeliveries(
                    owner: sender, now: now, leaseUntil: now + lease.inMilliseconds, limit: 1
                ).first
            else { return false }
            claimed = first
        } catch {
            log.write("webhooks \(sender): claiming due deliveries failed (trying again in \(pollInterval.settingText)): \(error)")
            return false
        }
        let event = claimed.event
        let subject = "webhook \(event.eventID) (\(event.type) of job \(event.job.id), project \(event.projectID))"
        let attempt = event.attempts + 1

        let status: Int64?
        let error: String?
        let started = ContinuousClock.now
        if let webhook = claimed.webhook, !claimed.secrets.isEmpty {
            if let problem = Webhook.problem(url: webhook.url, allowsHTTP: webhook.allowsHTTP) {
                (status, error) = (nil, "URL refused: \(problem)")
            } else {
                let timestamp = JobsAPI.now() / 1000
                let body = event.body
                let signature = WebhookSecret.signatureHeader(
                    secrets: claimed.secrets, eventID: event.eventID, timestamp: timestamp, body: body)
                let headers = [
                    "webhook-id: \(event.eventID)", "webhook-timestamp: \(timestamp)", "webhook-signature: \(signature)",
                ]
                switch poster.post(url: webhook.url, headers: headers, body: body) {
                case .answered(let code):
                    (status, error) = (code, (200...299).contains(code) ? nil : "HTTP \(code)")
                case .failed(let text):
                    (status, error) = (nil, text)
                }
            }
        } else {
            (status, error) = (nil, "webhook removed")
        }
        let elapsed = started.duration(to: .now)
        let at = JobsAPI.now()
        var (state, next) = schedule.outcome(attempt: attempt, at: at, status: status, retryUntil: event.retryUntil)
        if claimed.webhook == nil { (state, next) = (.failed, nil) }

        do {
            guard
                try store.recordDeliveryAttempt(
                    rowID: event.rowID, owner: sender, at: at, state: state, nextAttemptAt: next, status: status,
                    error: error)
            else {
                log.write("\(subject): attempt \(attempt) made, but its lease had passed to another worker")
                return true
            }
        } catch {
            log.write("\(subject): recording attempt \(attempt) failed (its lease ends and it is tried again): \(error)")
            return true
        }
        let answer = status.map { "HTTP \($0)" } ?? (error ?? "no answer")
        switch state {
        case .delivered:
            log.write("\(subject): delivered, attempt \(attempt), \(answer) in \(elapsed.logText), "
                + "\(Duration.milliseconds(max(0, at - event.occurredAt)).logText) after the job ended")
        case .pending:
            log.write("\(subject): attempt \(attempt) failed (\(error ?? answer)) in \(elapsed.logText); next in "
                + "\(Duration.milliseconds(max(0, (next ?? at) - at)).settingText)")
        case .failed:
            log.write("\(subject): attempt \(attempt) failed (\(error ?? answer)); given up")
        }
        return true
    }
}
