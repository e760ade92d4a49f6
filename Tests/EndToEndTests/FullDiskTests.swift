import Foundation
import JobsTesting
import Testing

/// A full disk under the store: the running stack (two FastCGI processes and a worker) answers writes with 503,
/// a JSON error and `Retry-After`, keeps answering reads, applies nothing half, and serves writes again by
/// itself, without a restart, once space returns.
///
/// The store lives on a small tmpfs mounted for the test, which needs CAP_SYS_ADMIN (root here, as in CI). Without
/// it the suite is reported as skipped with that reason; as root a mount that fails is a test failure.
@Suite(
    .serialized,
    .enabled(
        if: ScratchFilesystem.isPermitted,
        "needs CAP_SYS_ADMIN to mount a small tmpfs for the store: run the tests as root (deploy/test.sh does)"))
struct FullDiskTests {
    static let farFuture: Int64 = 4_102_444_800_000

    @Test func writesAnswer503WhileTheDiskIsFullReadsWorkAndServiceResumesWithoutARestart() throws {
        let filesystem = try ScratchFilesystem(kibibytes: 4096)
        let stack = try Stack(.init(processes: 2, scheduleDelay: "0s", storeFolder: filesystem.path))
        let tenant = try stack.createTenant("Full")
        let base = "/public/\(tenant.project.key)"
        let key = tenant.key.secret
        let client = stack.client
        let scheduled = try (0..<3).map { number in
            try #require(
                try stack.createJob(project: tenant.project.key, user: "kept-\(number)@example.com", startAt: Self.farFuture)[
                    "jobId"]?.int)
        }
        let pids = stack.appPIDs
        let folder = try TemporaryDirectory(prefix: "jobs-e2e-full")
        let action = try folder.writeExecutable(
            "action", "#!/bin/sh\ncat >/dev/null\necho \"$JOB_ID\" >> '\(folder.path)/ran'\n")

        let filled = try filesystem.fill()
        #expect(filled > 0)
        #expect(filesystem.freeBytes == 0)
        // A worker started now cannot claim anything, and must keep trying rather than exit.
        let worker = try stack.startWorker(["--poll-seconds", "0.1", "--action", "delete_user_data=\(action)"])

        // Writes: 503 with a JSON error and Retry-After, on each process (several requests reach both).
        for number in 0..<6 {
            let deletion = try client.delete("\(base)/users/full-\(number)@example.com", key: key)
            try expectError(deletion, 503)
            #expect(deletion.header("Retry-After") == "1", "\(deletion)")
            let cancel = try client.delete("\(base)/jobs/\(scheduled[number % scheduled.count])", key: key)
            try expectError(cancel, 503)
            #expect(cancel.header("Retry-After") == "1", "\(cancel)")
        }
        // What the app met was the full disk (the detail goes to the log only, never to the client).
        #expect(stack.appLog.contains("SQLITE_FULL"), "\(stack.appLog)")
        // Reads keep working.
        for id in scheduled {
            let job = try expectData(try client.get("\(base)/jobs/\(id)", key: key))
            #expect(job["status"]?.string == "scheduled")
        }
        let page = try expectData(try client.get("\(base)/jobs?limit=10", key: key))
        #expect(page.array?.count == 3)
        // Nothing half-applied: no job for the refused deletions, the refused cancels left their jobs as they were.
        #expect(try stack.query("SELECT id FROM jobs WHERE reference_id LIKE 'full-%'").isEmpty)
        #expect(
            try stack.query("SELECT id FROM jobs WHERE status <> 'scheduled' OR updated_at IS NOT NULL").isEmpty)
        #expect(stack.appPIDs == pids)
        #expect(pids.allSatisfy(stack.isAlive))
        #expect(worker.isRunning, "\(worker.log)")

        // Space returns: the same processes serve writes again, the first request on.
        try filesystem.free()
        for number in 0..<6 {
            let job = try expectData(try client.delete("\(base)/users/full-\(number)@example.com", key: key))
            #expect(job["status"]?.string == "scheduled")
        }
        let cancelled = try expectData(try client.delete("\(base)/jobs/\(scheduled[0])", key: key))
        #expect(cancelled["status"]?.string == "cancelled")
        #expect(stack.appPIDs == pids)
        #expect(pids.allSatisfy(stack.isAlive))
        // The worker, still the same process, runs the deletions requested after the disk was full.
        let ran = eventually {
            (folder.contents(of: "ran") ?? "").split(separator: "\n").count >= 6
        }
        #expect(ran, "\(worker.log)")
        #expect(worker.isRunning)
        try worker.stop()

        // The store is sound, with its WAL and shared-memory files, and holds exactly what was answered 200.
        #expect(try stack.integrityCheck() == "ok")
        #expect(FileManager.default.fileExists(atPath: stack.storePath + "-wal"))
        #expect(FileManager.default.fileExists(atPath: stack.storePath + "-shm"))
        let stored = try stack.query("SELECT reference_id FROM jobs WHERE reference_id LIKE 'full-%'")
        #expect(stored.count == 6)
        stack.stop()
    }
}

extension FullDiskTests {
    /// The store's filesystem read-only. Linux refuses `mount -o remount,ro` while jobs-fcgi holds the store open
    /// for writing, so the filesystem turns read-only while the app is down: jobs-fcgi crashes (SIGKILL, which
    /// leaves the WAL and shared-memory files behind, as any crash does), the filesystem is remounted read-only
    /// before the supervisor (systemd's `Restart=always`, one second later; held until the remount is done, so
    /// that a slow remount cannot race it) starts it again. It serves reads from
    /// the read-only store and answers writes with 503; once the filesystem is writable again, writes succeed
    /// with no restart.
    @Test func aReadOnlyStoreServesReadsAnswersWritesWith503AndResumesWhenWritableAgain() throws {
        let filesystem = try ScratchFilesystem(kibibytes: 4096)
        let stack = try Stack(.init(processes: 1, scheduleDelay: "24h", storeFolder: filesystem.path))
        let tenant = try stack.createTenant("ReadOnly")
        let base = "/public/\(tenant.project.key)"
        let key = tenant.key.secret
        let client = stack.client
        let job = try #require(
            try stack.createJob(project: tenant.project.key, user: "kept@example.com", startAt: Self.farFuture)["jobId"]?
                .int)
        let app = try SupervisedApp(stack: stack, restartDelay: 1)
        defer { app.stop() }
        _ = try expectData(try client.delete("\(base)/users/before@example.com", key: key))

        // The supervisor restarts nothing until the filesystem is read-only (the remount must not race its delay).
        app.holdRestarts()
        let crashed = try #require(app.killProcess())
        #expect(eventually { !stack.isAlive(crashed) && app.pid == nil })
        try filesystem.remount(readOnly: true)
        app.releaseRestarts()
        #expect(eventually { app.pid != nil })
        try stack.waitUntilServing()
        let restarts = app.restartCount

        for number in 0..<4 {
            let deletion = try client.delete("\(base)/users/read-only-\(number)@example.com", key: key)
            try expectError(deletion, 503)
            #expect(deletion.header("Retry-After") == "1", "\(deletion)")
            let cancel = try client.delete("\(base)/jobs/\(job)", key: key)
            try expectError(cancel, 503)
        }
        #expect(stack.appLog.contains("SQLITE_READONLY"), "\(stack.appLog)")
        let read = try expectData(try client.get("\(base)/jobs/\(job)", key: key))
        #expect(read["status"]?.string == "scheduled")
        #expect(try expectData(try client.get("\(base)/jobs", key: key)).array?.count == 2)

        try filesystem.remount(readOnly: false)
        for number in 0..<4 {
            let created = try expectData(try client.delete("\(base)/users/read-only-\(number)@example.com", key: key))
            #expect(created["status"]?.string == "scheduled")
        }
        #expect(try expectData(try client.delete("\(base)/jobs/\(job)", key: key))["status"]?.string == "cancelled")
        #expect(app.restartCount == restarts, "the app had to be restarted")
        #expect(try stack.integrityCheck() == "ok")
    }
}
