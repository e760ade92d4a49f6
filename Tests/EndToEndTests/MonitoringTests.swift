import Foundation
import JobsTesting
import Testing

/// Issue 16: `/jobs-api/ping`, `/jobs-api/status` and `/jobs-api/metrics` through the shipped nginx site, the
/// metrics read by a real Prometheus parser (Debian's python3-prometheus-client), and the workers as
/// `jobsctl status` and the metrics see them.
@Suite
struct MonitoringTests {
    /// One sample as the Prometheus parser read it.
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    /// The metrics text parsed by `prometheus_client.parser.text_string_to_metric_families`: every sample, or a
    /// failure carrying the parser's error.
    static func parseMetrics(_ text: String) throws -> [Sample] {
        let script = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            out = []
            for family in text_string_to_metric_families(sys.stdin.read()):
                for s in family.samples:
                    out.append({"name": s.name, "type": family.type, "labels": s.labels, "value": s.value})
            print(json.dumps(out))
            """
        let result = try Command.run("/usr/bin/python3", ["-c", script], input: Data(text.utf8))
        guard result.succeeded else { throw JobsTestingError("the Prometheus parser refused the metrics: \(result.errorOutput)") }
        let parsed = try JSONValue(parsing: result.output)
        return (parsed.array ?? []).map { sample in
            var labels: [String: String] = [:]
            for key in sample["labels"]?.keys ?? [] { labels[key] = sample["labels"]?[key]?.string }
            return Sample(
                name: sample["name"]?.string ?? "", labels: labels,
                value: Double(sample["value"]?.description ?? "") ?? .nan)
        }
    }

    static func value(_ samples: [Sample], _ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }?.value
    }

    @Test func pingStatusAndMetricsAnswerThroughNginxWithoutAKey() throws {
        let fixture = try WorkerFixture()
        let client = fixture.client

        let ping = try client.get("/jobs-api/ping")
        #expect(ping.status == 200)
        #expect(ping.text == "pong\n")
        #expect(ping.header("Content-Type")?.hasPrefix("text/plain") == true)
        #expect(try client.request("HEAD", "/jobs-api/ping").status == 200)
        let post = try client.request("POST", "/jobs-api/ping")
        #expect(post.status == 405)
        #expect(post.header("Allow") == "GET, HEAD")
        #expect(try client.get("/jobs-api/nothing").status == 404)

        // Requests to count: a 401 and a 200; a deletion due now (the stack's schedule delay is 0 s).
        #expect(try client.get("\(fixture.base)/jobs").status == 401)
        #expect(try client.get("\(fixture.base)/jobs", key: fixture.key).status == 200)
        let job = try fixture.requestDeletion("monitored@example.com")
        let jobID = try #require(job["jobId"]?.int)

        let status = try client.get("/jobs-api/status")
        #expect(status.status == 200)
        #expect(status.mediaType == "application/json")
        let report = try status.json()
        #expect(fixture.stack.appPIDs.map(Int64.init).contains(report["pid"]?.int ?? 0), "\(report)")
        #expect(report["version"]?.string?.isEmpty == false)
        #expect((report["threads"]?.int ?? 0) >= 1)
        #expect(report["requestsInFlight"]?.int == 1)
        #expect((report["maxRequestsInFlight"]?.int ?? 0) >= 1)
        #expect((report["requestsByStatus"]?["401"]?.int ?? 0) >= 1)
        #expect((report["requestsByStatus"]?["405"]?.int ?? 0) >= 1)
        #expect((report["residentMemoryBytes"]?.int ?? 0) > 1_000_000)
        #expect((report["openFileDescriptors"]?.int ?? 0) >= 3)
        #expect(report["store"]?["kind"]?.string == (Stack.StoreKind.configured == .postgres ? "postgresql" : "sqlite"))
        #expect(report["store"]?["up"] == JSONValue.bool(true))
        #expect(report["queue"]?["jobs"]?["scheduled"]?.int == 1)
        #expect(report["queue"]?["dueNow"]?.int == 1)
        #expect(report["queue"]?["liveWorkers"]?.int == 0)
        #expect(report["queue"]?["webhookDeliveries"]?["pending"]?.int == 0)
        #expect(report["queue"]?["webhookDeliveries"]?["failed"]?.int == 0)

        let metrics = try client.get("/jobs-api/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        let samples = try Self.parseMetrics(metrics.text)
        #expect((Self.value(samples, "process_resident_memory_bytes") ?? 0) > 1_000_000)
        #expect((Self.value(samples, "process_open_fds") ?? 0) >= 3)
        #expect((Self.value(samples, "process_start_time_seconds") ?? 0) > 1_700_000_000)
        #expect((Self.value(samples, "jobs_api_requests_total", ["code": "401"]) ?? 0) >= 1)
        #expect((Self.value(samples, "jobs_api_requests_total", ["code": "200"]) ?? 0) >= 2)
        let answered = Self.value(samples, "jobs_api_request_duration_seconds_count") ?? 0
        #expect(answered >= 6)
        #expect(Self.value(samples, "jobs_api_request_duration_seconds_bucket", ["le": "+Inf"]) == answered)
        #expect(Self.value(samples, "jobs_api_requests_in_flight") == 1)
        #expect(Self.value(samples, "jobs_api_store_up") == 1)
        #expect(Self.value(samples, "jobs_api_jobs", ["status": "scheduled"]) == 1)
        #expect(Self.value(samples, "jobs_api_jobs_due") == 1)
        #expect(Self.value(samples, "jobs_api_workers_live") == 0)
        #expect(Self.value(samples, "jobs_api_webhook_deliveries", ["state": "pending"]) == 0)
        #expect(Self.value(samples, "jobs_api_webhook_deliveries", ["state": "failed"]) == 0)
        #expect(Self.value(samples, "jobs_api_info")  == 1)

        // Answered monitoring pages leave the log alone; and no log line carries the user id.
        let log = fixture.stack.appLog
        #expect(!log.contains("/jobs-api/ping 200"), "\(log)")
        #expect(log.contains("/jobs-api/ping 405"), "\(log)")
        #expect(!log.contains("monitored@example.com"))
        _ = jobID
    }

    /// The shipped site opens the monitoring pages to 127.0.0.1 and ::1 only: a client from another address (here
    /// 127.0.0.2, a loopback address that is not 127.0.0.1, so the test needs no second host) gets nginx's JSON
    /// 403, and the app never sees the request.
    @Test func anotherAddressIsRefusedTheMonitoringPages() throws {
        let fixture = try WorkerFixture()
        for page in ["/jobs-api/ping", "/jobs-api/status", "/jobs-api/metrics"] {
            let refused = try Command.run(
                "/usr/bin/curl",
                ["-sS", "--interface", "127.0.0.2", "-w", "\n%{http_code}", "http://127.0.0.1:\(fixture.stack.port)\(page)"])
            #expect(refused.succeeded, "\(refused.errorOutput)")
            let lines = refused.output.split(separator: "\n")
            #expect(lines.last == "403", "\(page): \(refused.output)")
            #expect(try JSONValue(parsing: String(lines.first ?? ""))["error"]?.string == "Forbidden", "\(refused.output)")
            // The same page from 127.0.0.1 answers.
            #expect(try fixture.client.get(page).status == 200)
        }
        // nginx refused them: the app answered no 403.
        let status = try JSONValue(parsing: try fixture.client.get("/jobs-api/status").text)
        #expect(status["requestsByStatus"]?["403"] == nil, "\(status)")
    }

    @Test func aWorkerIsSeenWhileItRunsAgesOutWhenKilledAndLeavesWhenStopped() throws {
        let fixture = try WorkerFixture()
        let job = try fixture.requestDeletion("watched@example.com")
        let id = try #require(job["jobId"]?.int)
        let worker = try fixture.stack.startWorker(
            ["--poll-seconds", "0.1", "--lease-seconds", "1"] + fixture.action("sleep 300"))
        try fixture.waitForJob(id, status: "running")

        let status = try #require(try fixture.stack.jobsctl(["status", "--json"]).first)
        let workers = status["workers"]?.array ?? []
        #expect(workers.count == 1, "\(status)")
        #expect(workers.first?["pid"]?.int == Int64(worker.pid))
        #expect(workers.first?["jobsRunning"]?.int == 1)
        #expect(workers.first?["actions"]?.array?.compactMap(\.string) == ["delete_user_data"])
        #expect(workers.first?["host"]?.string?.isEmpty == false)
        #expect(status["running"]?.int == 1)
        #expect(status["expiredLeases"]?.int == 0)
        // The metrics see it too, once their few seconds of reuse are over.
        #expect(eventually {
            let samples = (try? Self.parseMetrics(fixture.client.get("/jobs-api/metrics").text)) ?? []
            return Self.value(samples, "jobs_api_workers_live") == 1
        })

        // Killed: it cannot unregister; once its last refresh is older than its lease (1 s), it is no longer live,
        // and its job's lease has expired.
        worker.send(SIGKILL)
        #expect(eventually {
            let now = try? fixture.stack.jobsctl(["status", "--json"]).first
            return now?["workers"]?.array?.isEmpty == true && now?["workersNotSeen"]?.int == 1
                && now?["expiredLeases"]?.int == 1
        })

        // Stopped with SIGTERM, a worker removes its row: the killed one's is all that is left.
        let second = try fixture.stack.startWorker(
            ["--poll-seconds", "0.1", "--lease-seconds", "1", "--grace-seconds", "0"] + fixture.action("exit 0"))
        #expect(eventually {
            (try? fixture.stack.jobsctl(["status", "--json"]).first?["workers"]?.array?.count) == 1
        })
        _ = try second.stop()
        let after = try #require(try fixture.stack.jobsctl(["status", "--json"]).first)
        #expect(after["workers"]?.array?.isEmpty == true)
        #expect(after["workersNotSeen"]?.int == 1)
    }
}
