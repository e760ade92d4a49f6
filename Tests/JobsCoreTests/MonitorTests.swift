import JobsCore
import JobsTesting
import Testing

@Suite("Monitoring pages in process: request figures, and a store that reports no queue")
struct MonitorTests {
    static func monitor() -> Monitor {
        Monitor(
            process: Monitor.Process(version: "9.9.9", pid: 42, startTime: 1_700_000_000.5, threads: 2, storeKind: "sqlite"),
            processFigures: {
                ProcessFigures(
                    residentMemoryBytes: 1_048_576, openFileDescriptors: 7, maximumFileDescriptors: 1024,
                    cpuSeconds: 0.25, threads: 3)
            })
    }

    @Test func requestFiguresCountCodesBucketsAndTheMostInFlight() {
        let metrics = RequestMetrics()
        metrics.begin()
        metrics.begin()
        metrics.end(status: 200, microseconds: 700)
        metrics.end(status: 599, microseconds: 20_000_000)
        metrics.begin()
        metrics.end(status: 404, microseconds: 1_000)
        let snapshot = metrics.snapshot()
        #expect(snapshot.inFlight == 0)
        #expect(snapshot.mostInFlight == 2)
        #expect(snapshot.byCode.map(\.code) == ["200", "404", "5xx"])
        #expect(snapshot.answered == 3)
        // 700 µs and 1 ms both fall in the 1 ms bucket (upper bounds are inclusive); 20 s in +Inf.
        #expect(snapshot.buckets[1] == 2)
        #expect(snapshot.buckets.last == 1)
        #expect(snapshot.totalMicroseconds == 20_001_700)
    }

    @Test func pagesAnswerWithoutAStoreThatReportsAQueue() {
        let monitor = Self.monitor()
        let store = InMemoryJobStore()
        let ping = monitor.respond(to: .ping, method: "GET", store: store).response
        #expect(ping.status == 200 && ping.body == Array("pong\n".utf8))
        let refused = monitor.respond(to: .metrics, method: "POST", store: store).response
        #expect(refused.status == 405 && refused.header("Allow") == "GET, HEAD")
        #expect(monitor.respond(to: .notFound, method: "GET", store: store).response.status == 404)

        let status = monitor.respond(to: .status, method: "GET", store: store)
        let text = String(decoding: status.response.body, as: UTF8.self)
        #expect(text.contains(#""store":{"kind":"sqlite","up":false},"queue":null"#), "\(text)")
        #expect(status.diagnostic?.contains("reports no queue") == true)

        let metrics = monitor.respond(to: .metrics, method: "HEAD", store: store).response
        #expect(metrics.includesBody == false)
        let lines = String(decoding: metrics.body, as: UTF8.self)
        #expect(lines.contains("jobs_api_info{version=\"9.9.9\",pid=\"42\"} 1\n"))
        #expect(lines.contains("process_start_time_seconds 1700000000.5\n"))
        #expect(lines.contains("jobs_api_store_up{store=\"sqlite\"} 0\n"))
        #expect(!lines.contains("jobs_api_jobs_due"))
    }

    @Test(arguments: [
        ("/jobs-api/ping", MonitoringPage.ping), ("/jobs-api/status", .status), ("/jobs-api/metrics", .metrics),
        ("/jobs-api/", .notFound), ("/jobs-api/metrics/", .notFound),
    ])
    func pathsNameTheirPage(path: String, page: MonitoringPage) {
        #expect(MonitoringPage(path: Substring(path)) == page)
    }

    @Test(arguments: ["/public/3sWXSsqHgSKnE87YkNJK/jobs", "/jobs-api", "/jobs-apix/ping", "/", ""])
    func otherPathsAreTheAPIs(path: String) {
        #expect(MonitoringPage(path: Substring(path)) == nil)
    }
}
