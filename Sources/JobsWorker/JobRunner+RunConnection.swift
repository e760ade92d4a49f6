import JobsCore

extension JobRunner {
    /// The store connection for a run's thread. Opening it may fail for a moment (a database restarting, a
    /// network blip): it is tried again, after 0.25, 0.5, 1 and then every 2 s, as long as the job's lease leaves
    /// room for the run's first renewal (a watch interval, plus a second). Returns `nil` once that room is gone or
    /// the worker is stopping: the job then stays `running` until its lease expires, and a worker runs it again.
    func connectForRun(_ run: JobRun) -> (any WorkerStore)? {
        let giveUpAt = run.claimed.leaseExpiresAt - configuration.watchInterval.inMilliseconds - 1000
        var delays: [Duration] = [.milliseconds(250), .milliseconds(500), .seconds(1)]
        var attempts = 0
        while true {
            attempts += 1
            do {
                let store = try connect()
                if attempts > 1 {
                    log.write("\(run.subject): the store opened on attempt \(attempts); running the job")
                }
                return store
            } catch {
                let delay = delays.isEmpty ? .seconds(2) : delays.removeFirst()
                let now = JobsAPI.now()
                guard !isStopping, now + delay.inMilliseconds < giveUpAt else {
                    log.write(
                        "\(run.subject): cannot open the store (\(error)) after \(attempts) attempt"
                            + "\(attempts == 1 ? "" : "s"); the job stays running until its lease expires, then a "
                            + "worker runs it again")
                    return nil
                }
                if attempts == 1 {
                    log.write("\(run.subject): cannot open the store (\(error)); trying again within its lease")
                }
                pause(delay)
            }
        }
    }
}
