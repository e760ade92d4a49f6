import Foundation

/// Looks at processes this test did not start directly (spawn-fcgi's children are re-parented and reaped by
/// init, not by us).
package enum ProcessStatus {
    /// Whether `pid` is a running process: it exists and is not a zombie waiting to be reaped.
    package static func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        return state(of: pid).map { $0 != "Z" && $0 != "X" } ?? false
    }

    /// The one-letter state of `pid` from `/proc/PID/stat` (`R`, `S`, `Z`, …), or `nil` if there is no such process.
    package static func state(of pid: pid_t) -> Character? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // "PID (comm) S …": comm may itself contain spaces and parentheses, so read after the last ")".
        return stat[stat.index(after: close)...].first { $0 != " " }
    }

    /// The one-letter states of every thread of `pid` (`/proc/PID/task/TID/stat`); empty if there is no such
    /// process. All `S` (sleeping in the kernel: in `accept`, `poll`, a lock) means the process is idle.
    package static func threadStates(of pid: pid_t) -> [Character] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.compactMap { task in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            return stat[stat.index(after: close)...].first { $0 != " " }
        }
    }

    /// The program name of `pid` (`/proc/PID/comm`), or `nil` if there is no such process.
    package static func name(of pid: pid_t) -> String? {
        (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?
            .trimmingCharacters(in: .newlines)
    }

    /// Waits until every one of `pids` is no longer alive, and returns how many seconds each one took from the
    /// call; a process still alive after `timeout` seconds is missing from the answer. Polls every millisecond,
    /// so each measure is exact to about that.
    package static func waitForExit(of pids: [pid_t], timeout: TimeInterval) -> [pid_t: TimeInterval] {
        let start = DispatchTime.now()
        var remaining = Set(pids)
        var exited: [pid_t: TimeInterval] = [:]
        while !remaining.isEmpty {
            let elapsed = TimeInterval(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            for pid in remaining where !isAlive(pid) {
                exited[pid] = elapsed
                remaining.remove(pid)
            }
            if elapsed > timeout { break }
            usleep(1000)
        }
        return exited
    }
}
