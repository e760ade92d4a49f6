import Synchronization

/// Answers the monitoring pages (``MonitoringPage``) of one `jobs-fcgi` process: what it knows of itself (version,
/// pid, start time, threads, requests, memory, descriptors) and of the queue, read from the store at most once per
/// ``queueMaxAge`` per process, whatever the scrape rate.
public final class Monitor: Sendable {
    /// This process's request figures; the request handler counts every request in them.
    public let requests = RequestMetrics()

    /// The facts that do not change while the process runs.
    public struct Process: Sendable {
        /// The release (``Release/version``).
        public var version: String
        /// The process id.
        public var pid: Int64
        /// When the process started, in seconds since the epoch.
        public var startTime: Double
        /// The server's threads: requests answered at once.
        public var threads: Int
        /// The store's engine: `sqlite` or `postgresql`.
        public var storeKind: String

        /// The facts given.
        public init(version: String, pid: Int64, startTime: Double, threads: Int, storeKind: String) {
            self.version = version
            self.pid = pid
            self.startTime = startTime
            self.threads = threads
            self.storeKind = storeKind
        }
    }

    let process: Process
    /// How long the queue's figures are reused before a page reads them again, in milliseconds.
    public let queueMaxAge: Int64
    private let readProcessFigures: @Sendable () -> ProcessFigures
    private let clock: @Sendable () -> Int64
    private let cache = Mutex(QueueCache())

    /// The last reading of the queue, shared by the process's threads.
    struct QueueCache {
        /// When it was read (milliseconds since the epoch), and what came back: the figures, or why not.
        var reading: (at: Int64, result: Result<QueueSummary, QueueReadError>)?
        /// A thread is reading the queue now: the others keep showing the last reading meanwhile.
        var refreshing = false
    }

    /// Why the queue could not be read; the detail is for the log.
    struct QueueReadError: Error {
        var detail: String
    }

    /// - Parameters:
    ///   - queueMaxAge: milliseconds a reading of the queue is reused.
    ///   - processFigures: reads this process's figures from the system, once per page.
    ///   - clock: milliseconds since the epoch.
    public init(
        process: Process, queueMaxAge: Int64 = 10_000, processFigures: @escaping @Sendable () -> ProcessFigures,
        clock: @escaping @Sendable () -> Int64 = JobsAPI.now
    ) {
        self.process = process
        self.queueMaxAge = queueMaxAge
        self.readProcessFigures = processFigures
        self.clock = clock
    }

    /// What a monitoring request produced: the answer, and for the log what went wrong reading the store.
    public struct Answer: Sendable {
        public var response: APIResponse
        public var diagnostic: String?
    }

    /// Answers `page` for a request with `method`, reading the queue (when its last reading is too old) with
    /// `store`, the calling thread's own connection. `GET` and `HEAD` only.
    public func respond(to page: MonitoringPage, method: String, store: any JobStore) -> Answer {
        guard method == "GET" || method == "HEAD" else {
            return Answer(
                response: APIError(status: 405, message: "Method not allowed", headers: [("Allow", "GET, HEAD")])
                    .response,
                diagnostic: nil)
        }
        var response: APIResponse
        var diagnostic: String?
        switch page {
        case .notFound:
            response = APIError.routeNotFound.response
        case .ping:
            response = APIResponse(status: 200, headers: Self.textHeaders, body: Array("pong\n".utf8))
        case .status:
            let (reading, failure) = queue(store: store)
            diagnostic = failure
            response = APIResponse(
                status: 200, headers: APIResponse.jsonHeaders,
                body: statusJSON(requests.snapshot(), readProcessFigures(), reading))
        case .metrics:
            let (reading, failure) = queue(store: store)
            diagnostic = failure
            response = APIResponse(
                status: 200, headers: Self.metricsHeaders,
                body: Array(metricsText(requests.snapshot(), readProcessFigures(), reading).utf8))
        }
        response.includesBody = method != "HEAD"
        return Answer(response: response, diagnostic: diagnostic)
    }

    static let textHeaders: [(name: String, value: String)] = [
        ("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
    ]
    /// The Prometheus text exposition format, version 0.0.4.
    static let metricsHeaders: [(name: String, value: String)] = [
        ("Content-Type", "text/plain; version=0.0.4; charset=utf-8"), ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
    ]

    /// A reading of the queue: when, and the figures or `nil` when the store did not answer.
    struct QueueReading {
        var at: Int64
        var summary: QueueSummary?
    }

    /// The last reading of the queue if it is recent (or another thread is reading it now), else a new one
    /// made with `store`; and, when this call read the store and that failed, the detail for the log.
    func queue(store: any JobStore) -> (QueueReading?, String?) {
        let now = clock()
        let cached = cache.withLock { cache -> (reading: (at: Int64, result: Result<QueueSummary, QueueReadError>)?, mine: Bool) in
            if let reading = cache.reading, cache.refreshing || now - reading.at < queueMaxAge {
                return (reading, false)
            }
            cache.refreshing = true
            return (cache.reading, true)
        }
        guard cached.mine else { return (cached.reading.map(Self.reading), nil) }
        let result: Result<QueueSummary, QueueReadError>
        if let monitoring = store as? any StoreMonitoring {
            do {
                result = .success(try monitoring.queueSummary(at: now))
            } catch {
                result = .failure(QueueReadError(detail: "\(error)"))
            }
        } else {
            result = .failure(QueueReadError(detail: "this store reports no queue"))
        }
        cache.withLock { cache in
            cache.reading = (now, result)
            cache.refreshing = false
        }
        let failure: String?
        if case .failure(let error) = result { failure = "reading the queue: \(error.detail)" } else { failure = nil }
        return (Self.reading((now, result)), failure)
    }

    private static func reading(_ reading: (at: Int64, result: Result<QueueSummary, QueueReadError>)) -> QueueReading {
        QueueReading(at: reading.at, summary: try? reading.result.get())
    }

    // MARK: Status

    func statusJSON(_ requests: RequestMetrics.Snapshot, _ figures: ProcessFigures, _ queue: QueueReading?)
        -> [UInt8]
    {
        var writer = JSONWriter(capacity: 1024)
        writer.raw("{")
        writer.key("version")
        writer.string(process.version)
        writer.raw(",")
        writer.key("pid")
        writer.integer(process.pid)
        writer.raw(",")
        writer.key("startTime")
        writer.integer(Int64(process.startTime * 1000))
        writer.raw(",")
        writer.key("threads")
        writer.integer(Int64(process.threads))
        writer.raw(",")
        writer.key("requestsInFlight")
        writer.integer(Int64(requests.inFlight))
        writer.raw(",")
        writer.key("maxRequestsInFlight")
        writer.integer(Int64(requests.mostInFlight))
        writer.raw(",")
        writer.key("requests")
        writer.integer(Int64(requests.answered))
        writer.raw(",")
        writer.key("requestsByStatus")
        writer.raw("{")
        for (index, entry) in requests.byCode.enumerated() {
            if index > 0 { writer.raw(",") }
            writer.string(entry.code)
            writer.raw(":")
            writer.integer(Int64(entry.count))
        }
        writer.raw("},")
        writer.key("residentMemoryBytes")
        writer.integer(figures.residentMemoryBytes)
        writer.raw(",")
        writer.key("openFileDescriptors")
        writer.integer(figures.openFileDescriptors)
        writer.raw(",")
        writer.key("store")
        writer.raw("{")
        writer.key("kind")
        writer.string(process.storeKind)
        writer.raw(",")
        writer.key("up")
        writer.raw(queue?.summary == nil ? "false" : "true")
        writer.raw("},")
        writer.key("queue")
        if let queue, let summary = queue.summary {
            writer.raw("{")
            writer.key("readAt")
            writer.integer(queue.at)
            writer.raw(",")
            writer.key("jobs")
            writer.raw("{")
            for (index, status) in JobStatus.allCases.enumerated() {
                if index > 0 { writer.raw(",") }
                writer.string(status.rawValue)
                writer.raw(":")
                writer.integer(summary.jobsByStatus[status] ?? 0)
            }
            writer.raw("},")
            writer.key("dueNow")
            writer.integer(summary.dueNow)
            writer.raw(",")
            writer.key("oldestDueAgeSeconds")
            writer.integer(summary.oldestDueAge / 1000)
            writer.raw(",")
            writer.key("expiredLeases")
            writer.integer(summary.expiredLeases)
            writer.raw(",")
            writer.key("liveWorkers")
            writer.integer(Int64(summary.liveWorkers.count))
            if let deliveries = summary.webhookDeliveries {
                writer.raw(",")
                writer.key("webhookDeliveries")
                writer.raw("{")
                writer.key("pending")
                writer.integer(deliveries.pending)
                writer.raw(",")
                writer.key("failed")
                writer.integer(deliveries.failed)
                writer.raw("}")
            }
            writer.raw("}")
        } else {
            writer.raw("null")
        }
        writer.raw("}")
        return writer.bytes
    }

    // MARK: Metrics

    func metricsText(_ requests: RequestMetrics.Snapshot, _ figures: ProcessFigures, _ queue: QueueReading?)
        -> String
    {
        var text = PrometheusText()
        text.family("jobs_api_info", .gauge, "The release and process id of this jobs-fcgi process.")
        text.sample("jobs_api_info", labels: [("version", process.version), ("pid", String(process.pid))], 1)
        text.family("process_start_time_seconds", .gauge, "Start time of the process since unix epoch in seconds.")
        text.sample("process_start_time_seconds", process.startTime)
        if let value = figures.cpuSeconds {
            text.family("process_cpu_seconds_total", .counter, "Total user and system CPU time spent in seconds.")
            text.sample("process_cpu_seconds_total", value)
        }
        if let value = figures.residentMemoryBytes {
            text.family("process_resident_memory_bytes", .gauge, "Resident memory size in bytes.")
            text.sample("process_resident_memory_bytes", Double(value))
        }
        if let value = figures.openFileDescriptors {
            text.family("process_open_fds", .gauge, "Number of open file descriptors.")
            text.sample("process_open_fds", Double(value))
        }
        if let value = figures.maximumFileDescriptors {
            text.family("process_max_fds", .gauge, "Maximum number of open file descriptors.")
            text.sample("process_max_fds", Double(value))
        }
        if let value = figures.threads {
            text.family("process_threads", .gauge, "Number of OS threads in the process.")
            text.sample("process_threads", Double(value))
        }
        text.family("jobs_api_threads", .gauge, "Server threads: requests this process answers at once.")
        text.sample("jobs_api_threads", Double(process.threads))
        text.family("jobs_api_requests_in_flight", .gauge, "Requests being answered now, this one included.")
        text.sample("jobs_api_requests_in_flight", Double(requests.inFlight))
        text.family(
            "jobs_api_requests_in_flight_max", .gauge,
            "The most requests in flight at once since the process started; at jobs_api_threads, it needs more.")
        text.sample("jobs_api_requests_in_flight_max", Double(requests.mostInFlight))
        text.family("jobs_api_requests_total", .counter, "Requests answered, by HTTP status code.")
        for entry in requests.byCode {
            text.sample("jobs_api_requests_total", labels: [("code", entry.code)], Double(entry.count))
        }
        text.family("jobs_api_request_duration_seconds", .histogram, "Time to answer a request, in seconds.")
        var cumulative = 0
        for (index, count) in requests.buckets.enumerated() {
            cumulative += count
            let bound = index < RequestMetrics.bucketBounds.count
                ? PrometheusText.number(Double(RequestMetrics.bucketBounds[index]) / 1_000_000) : "+Inf"
            text.sample("jobs_api_request_duration_seconds_bucket", labels: [("le", bound)], Double(cumulative))
        }
        text.sample("jobs_api_request_duration_seconds_sum", Double(requests.totalMicroseconds) / 1_000_000)
        text.sample("jobs_api_request_duration_seconds_count", Double(cumulative))

        text.family("jobs_api_store_up", .gauge, "Whether the store answered the last reading of the queue (1) or not (0).")
        text.sample("jobs_api_store_up", labels: [("store", process.storeKind)], queue?.summary == nil ? 0 : 1)
        guard let queue, let summary = queue.summary else { return text.text }
        text.family(
            "jobs_api_queue_read_timestamp_seconds", .gauge,
            "When the queue figures below were read from the store (they are reused for a few seconds).")
        text.sample("jobs_api_queue_read_timestamp_seconds", Double(queue.at) / 1000)
        text.family("jobs_api_jobs", .gauge, "Jobs in the store, by status.")
        for status in JobStatus.allCases {
            text.sample("jobs_api_jobs", labels: [("status", status.rawValue)], Double(summary.jobsByStatus[status] ?? 0))
        }
        text.family("jobs_api_jobs_due", .gauge, "Scheduled jobs whose start time has passed: waiting for a worker.")
        text.sample("jobs_api_jobs_due", Double(summary.dueNow))
        text.family(
            "jobs_api_oldest_due_job_age_seconds", .gauge,
            "How long the oldest due job has waited past its start time, in seconds; 0 when none is due.")
        text.sample("jobs_api_oldest_due_job_age_seconds", Double(summary.oldestDueAge) / 1000)
        text.family(
            "jobs_api_expired_leases", .gauge,
            "Running jobs whose lease expired or that hold none: their worker died or let go.")
        text.sample("jobs_api_expired_leases", Double(summary.expiredLeases))
        text.family(
            "jobs_api_workers_live", .gauge,
            "Registered workers seen within three poll intervals or their lease, whichever is longer.")
        text.sample("jobs_api_workers_live", Double(summary.liveWorkers.count))
        if let deliveries = summary.webhookDeliveries {
            text.family(
                "jobs_api_webhook_deliveries", .gauge,
                "Webhook events by delivery state: pending (not yet delivered, retried) and failed (given up).")
            text.sample("jobs_api_webhook_deliveries", labels: [("state", "pending")], Double(deliveries.pending))
            text.sample("jobs_api_webhook_deliveries", labels: [("state", "failed")], Double(deliveries.failed))
        }
        return text.text
    }
}
