import Foundation
import JobsCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ProcessFigures {
    /// This process's figures now: resident memory (`/proc/self/statm`), open descriptors (the entries of
    /// `/proc/self/fd`), the descriptor limit (`getrlimit`), CPU time (`getrusage`), threads (`/proc/self/stat`).
    /// A figure the system does not give (no `/proc`) is `nil`.
    static func current() -> ProcessFigures {
        ProcessFigures(
            residentMemoryBytes: residentMemoryBytes(), openFileDescriptors: openFileDescriptors(),
            maximumFileDescriptors: maximumFileDescriptors(), cpuSeconds: cpuSeconds(), threads: threads())
    }

    /// The second field of `/proc/self/statm` (resident pages) times the page size.
    private static func residentMemoryBytes() -> Int64? {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int64(fields[1]) else { return nil }
        return pages * Int64(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// The entries of `/proc/self/fd` but the descriptor that reads it. The corresponding C functions are
    /// `opendir` and `readdir`.
    private static func openFileDescriptors() -> Int64? {
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        var count: Int64 = 0
        while let entry = readdir(directory) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { $0.first == UInt8(ascii: ".") }
            if !isDot { count += 1 }
        }
        return max(0, count - 1)
    }

    /// The soft limit on open descriptors. The corresponding C function is `getrlimit`.
    private static func maximumFileDescriptors() -> Int64? {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else { return nil }
        return Int64(clamping: limit.rlim_cur)
    }

    /// User and system time of every thread. The corresponding C function is `getrusage`.
    private static func cpuSeconds() -> Double? {
        var usage = rusage()
        guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 else { return nil }
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Field 20 of `/proc/self/stat`, counted after the command name's closing parenthesis.
    private static func threads() -> Int64? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After ")": state is field 3, so field 20 is the 18th.
        guard fields.count > 17 else { return nil }
        return Int64(fields[17])
    }
}
