#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The name a worker's leases carry, `HOST/PID/RANDOM/START/BOOT-ID/PID-NAMESPACE`: which process on which host
/// holds a job, precisely enough that another worker on the same host can tell that process is gone.
///
/// `START` is the process's start time in clock ticks after boot (field 22 of `/proc/PID/stat`), `BOOT-ID` the
/// kernel's `/proc/sys/kernel/random/boot_id` and `PID-NAMESPACE` the inode of `/proc/self/ns/pid`: a pid means
/// the same process only within one boot and one pid namespace (containers on one host share the boot id but
/// not their pids), and a reused pid has another start time. `RANDOM` tells apart names that would otherwise be
/// equal. A name without the last three parts (`HOST/PID/RANDOM`, the form before them, or a worker that could
/// not read `/proc`) names a process that cannot be checked: its leases are left to expire.
public struct LeaseOwner: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var pid: Int32
    public var suffix: String
    /// Start time, boot id and pid namespace, when known.
    public var process: ProcessIdentity?

    /// What identifies a process across pid reuse, reboots and containers.
    public struct ProcessIdentity: Sendable, Equatable {
        /// Clock ticks after boot (`/proc/PID/stat` field 22).
        public var startTicks: UInt64
        /// `/proc/sys/kernel/random/boot_id`.
        public var bootID: String
        /// The inode of the pid namespace (`/proc/self/ns/pid`).
        public var pidNamespace: UInt64

        public init(startTicks: UInt64, bootID: String, pidNamespace: UInt64) {
            self.startTicks = startTicks
            self.bootID = bootID
            self.pidNamespace = pidNamespace
        }
    }

    public init(host: String, pid: Int32, suffix: String, process: ProcessIdentity?) {
        self.host = host
        self.pid = pid
        self.suffix = suffix
        self.process = process
    }

    public var description: String {
        let base = "\(host)/\(pid)/\(suffix)"
        guard let process else { return base }
        return base + "/\(process.startTicks)/\(process.bootID)/\(process.pidNamespace)"
    }

    /// Reads a name written by ``description``; `nil` for anything else (a name of another form, a made-up one).
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3 || parts.count == 6, !parts[0].isEmpty, !parts[2].isEmpty,
            let pid = Int32(parts[1]), pid > 0
        else { return nil }
        host = String(parts[0])
        self.pid = pid
        suffix = String(parts[2])
        if parts.count == 6 {
            guard let start = UInt64(parts[3]), !parts[4].isEmpty, let namespace = UInt64(parts[5]) else {
                return nil
            }
            process = ProcessIdentity(startTicks: start, bootID: String(parts[4]), pidNamespace: namespace)
        } else {
            process = nil
        }
    }

    /// This process's name: its host, pid, a random suffix and, when `/proc` tells them, its start time, the boot
    /// id and its pid namespace.
    public static func current() -> LeaseOwner {
        let host = WorkerConfiguration.hostName()
        var generator = SystemRandomNumberGenerator()
        let suffix = String(UInt32.random(in: 0...UInt32.max, using: &generator), radix: 16)
        let pid = getpid()
        var identity: ProcessIdentity?
        if case .alive(let start)? = ProcessTable.system.state(of: pid), let boot = ProcessTable.system.bootID,
            let namespace = ProcessTable.system.pidNamespace
        {
            identity = ProcessIdentity(startTicks: start, bootID: boot, pidNamespace: namespace)
        }
        return LeaseOwner(
            host: host.isEmpty || host.contains("/") ? "localhost" : host, pid: pid, suffix: suffix,
            process: identity)
    }

    /// Whether this owner is a process of `host`'s, in the boot and pid namespace `table` sees, that is gone:
    /// no process has its pid, or the one that has it started at another time (the pid was reused), or it is a
    /// zombie (dead, not reaped yet). `false` whenever that cannot be told: another host, another boot or
    /// namespace, an owner without the process's identity, `/proc` unreadable.
    public func isGone(onHost host: String, table: ProcessTable = .system) -> Bool {
        guard let process, self.host == host, let boot = table.bootID, process.bootID == boot,
            let namespace = table.pidNamespace, process.pidNamespace == namespace
        else { return false }
        switch table.state(of: pid) {
        case .absent?, .zombie?: return true
        case .alive(let start)?: return start != process.startTicks
        case nil: return false
        }
    }
}

/// What `/proc` says about processes: the boot id, this process's pid namespace, a pid's state and start time.
public struct ProcessTable: Sendable {
    /// What became of a pid.
    public enum State: Sendable, Equatable {
        /// No process has this pid.
        case absent
        /// A process that exited and is not reaped yet.
        case zombie
        /// A process that started at this time (clock ticks after boot).
        case alive(startTicks: UInt64)
    }

    /// `/proc` (or another folder laid out like it, for tests).
    public var root: String

    public init(root: String) { self.root = root }

    /// The running system's `/proc`.
    public static let system = ProcessTable(root: "/proc")

    /// `ROOT/sys/kernel/random/boot_id`, without its newline; `nil` if unreadable.
    public var bootID: String? {
        guard let text = Self.contents(of: "\(root)/sys/kernel/random/boot_id") else { return nil }
        let id = text.filter { !$0.isWhitespace }
        return id.isEmpty || id.contains("/") ? nil : id
    }

    /// The inode of `ROOT/self/ns/pid` (`pid:[4026531836]`); `nil` if unreadable.
    public var pidNamespace: UInt64? {
        var buffer = [CChar](repeating: 0, count: 64)
        let count = readlink("\(root)/self/ns/pid", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        let text = String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard text.hasPrefix("pid:["), text.hasSuffix("]") else { return nil }
        return UInt64(text.dropFirst(5).dropLast())
    }

    /// The state of `pid` from `ROOT/PID/stat`; `nil` when it cannot be read for another reason than its absence.
    public func state(of pid: Int32) -> State? {
        let path = "\(root)/\(pid)/stat"
        guard let text = Self.contents(of: path) else { return errno == ENOENT || errno == ESRCH ? .absent : nil }
        return Self.state(stat: text)
    }

    /// Reads a `/proc/PID/stat` line: the fields after the command name (which may hold spaces and parentheses,
    /// so the last `)` ends it) are the state (field 3) … the start time (field 22).
    public static func state(stat text: String) -> State? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count >= 20, let start = UInt64(fields[19]) else { return nil }
        return fields[0] == "Z" || fields[0] == "X" ? .zombie : .alive(startTicks: start)
    }

    /// The whole of a small file, `nil` with `errno` set when it cannot be opened or read.
    private static func contents(of path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { break }
            bytes += buffer.prefix(count)
            if bytes.count > 65_536 { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
