import Foundation
import JobsTesting
import Testing
import JobsWorker

/// Lease owner names, and how a worker tells from `/proc` that another worker of its host is gone.
@Suite struct LeaseOwnerTests {
    static let boot = "4c1d6a0e-8f7b-4a55-9d1e-2b3c4d5e6f70"

    /// A folder laid out like `/proc`: a boot id, a pid namespace, and `stat` files for the given pids.
    final class FakeProc {
        let folder: TemporaryDirectory
        var table: ProcessTable { ProcessTable(root: folder.path) }

        init(boot: String = LeaseOwnerTests.boot, namespace: UInt64 = 4_026_531_836) throws {
            folder = try TemporaryDirectory(prefix: "jobs-fake-proc")
            let files = FileManager.default
            try files.createDirectory(atPath: folder.appending("sys/kernel/random"), withIntermediateDirectories: true)
            try files.createDirectory(atPath: folder.appending("self/ns"), withIntermediateDirectories: true)
            try "\(boot)\n".write(toFile: folder.appending("sys/kernel/random/boot_id"), atomically: true, encoding: .utf8)
            try files.createSymbolicLink(
                atPath: folder.appending("self/ns/pid"), withDestinationPath: "pid:[\(namespace)]")
        }

        /// A process `pid` in state `state` started at `start` ticks, its command name `name`.
        func add(pid: Int32, start: UInt64, state: String = "S", name: String = "jobsctl") throws {
            try FileManager.default.createDirectory(atPath: folder.appending("\(pid)"), withIntermediateDirectories: true)
            let fields = [state] + (4...21).map { String($0) } + [String(start), "23", "24"]
            try "\(pid) (\(name)) \(fields.joined(separator: " "))\n".write(
                toFile: folder.appending("\(pid)/stat"), atomically: true, encoding: .utf8)
        }
    }

    static func owner(host: String = "web-1", pid: Int32 = 4242, start: UInt64 = 777, boot: String = boot,
                      namespace: UInt64 = 4_026_531_836) -> LeaseOwner {
        LeaseOwner(
            host: host, pid: pid, suffix: "9f3a",
            process: .init(startTicks: start, bootID: boot, pidNamespace: namespace))
    }

    @Test func aNameReadsBackAsTheOwnerItWasWrittenFrom() {
        let owner = Self.owner()
        #expect(owner.description == "web-1/4242/9f3a/777/\(Self.boot)/4026531836")
        #expect(LeaseOwner(parsing: owner.description) == owner)
        // The form before the process's identity: host, pid and suffix only.
        let old = LeaseOwner(parsing: "web-1/4242/9f3a")
        #expect(old == LeaseOwner(host: "web-1", pid: 4242, suffix: "9f3a", process: nil))
    }

    @Test(arguments: [
        "", "w1", "web-1/4242", "web-1/x/9f3a", "web-1/0/9f3a", "web-1/-3/9f3a", "/4242/9f3a", "web-1/4242/",
        "web-1/4242/9f3a/777", "web-1/4242/9f3a/x/\(boot)/1", "web-1/4242/9f3a/777//1", "web-1/4242/9f3a/777/b/n",
        "web-1/4242/9f3a/777/b/1/extra",
    ])
    func otherNamesAreNoOwnerThatCanBeChecked(name: String) {
        #expect(LeaseOwner(parsing: name) == nil)
    }

    @Test func thisProcessIsNamedWithItsIdentityAndIsNotGone() throws {
        let own = LeaseOwner.current()
        let process = try #require(own.process, "\(own)")
        #expect(own.pid == getpid())
        #expect(process.bootID == ProcessTable.system.bootID)
        #expect(LeaseOwner(parsing: own.description) == own)
        #expect(!own.isGone(onHost: own.host))
        // The same pid, started at another time: a reused pid, so the owner is gone.
        var reused = own
        reused.process?.startTicks += 1
        #expect(reused.isGone(onHost: own.host))
    }

    @Test func aStatLineIsReadAfterTheLastParenthesisOfTheCommandName() {
        let fields = (3...21).map { $0 == 3 ? "R" : String($0) } + ["123456", "23"]
        let line = "77 (a) (b c) \(fields.joined(separator: " "))"
        #expect(ProcessTable.state(stat: line) == .alive(startTicks: 123_456))
        #expect(ProcessTable.state(stat: line.replacingOccurrences(of: ") R ", with: ") Z ")) == .zombie)
        #expect(ProcessTable.state(stat: "77 (jobsctl) S 1 2") == nil)
        #expect(ProcessTable.state(stat: "no parenthesis") == nil)
    }

    @Test func anOwnerOfThisHostBootAndNamespaceIsGoneWhenItsPidIsAbsentReusedOrAZombie() throws {
        let proc = try FakeProc()
        try proc.add(pid: 100, start: 777)
        try proc.add(pid: 101, start: 900, name: "sh) S 1 (x")
        try proc.add(pid: 102, start: 777, state: "Z")
        #expect(!Self.owner(pid: 100).isGone(onHost: "web-1", table: proc.table))
        #expect(Self.owner(pid: 101).isGone(onHost: "web-1", table: proc.table))
        #expect(Self.owner(pid: 102).isGone(onHost: "web-1", table: proc.table))
        #expect(Self.owner(pid: 103).isGone(onHost: "web-1", table: proc.table))
    }

    @Test func anOwnerThatCannotBeCheckedIsNeverGone() throws {
        let proc = try FakeProc()
        let absent: Int32 = 103
        // Another host, another boot, another pid namespace (a container of the same host): its pids are not ours.
        #expect(!Self.owner(host: "web-2", pid: absent).isGone(onHost: "web-1", table: proc.table))
        #expect(!Self.owner(pid: absent, boot: "another-boot").isGone(onHost: "web-1", table: proc.table))
        #expect(!Self.owner(pid: absent, namespace: 1).isGone(onHost: "web-1", table: proc.table))
        // A name without the process's identity.
        #expect(!LeaseOwner(host: "web-1", pid: absent, suffix: "9f3a", process: nil)
            .isGone(onHost: "web-1", table: proc.table))
        // A /proc without a boot id, or with an unreadable stat file.
        let bare = ProcessTable(root: proc.folder.appending("missing"))
        #expect(!Self.owner(pid: absent).isGone(onHost: "web-1", table: bare))
        try proc.add(pid: 104, start: 1)
        try FileManager.default.removeItem(atPath: proc.folder.appending("104/stat"))
        try FileManager.default.createDirectory(
            atPath: proc.folder.appending("104/stat"), withIntermediateDirectories: true)
        #expect(!Self.owner(pid: 104).isGone(onHost: "web-1", table: proc.table))
    }
}
