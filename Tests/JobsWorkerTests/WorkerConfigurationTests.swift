import Foundation
import JobsCore
import JobsTesting
import Testing
@testable import JobsWorker

/// The bounds a worker's configuration keeps, and a worker run at their extremes.
@Suite struct WorkerConfigurationTests {
    static let program = [JobAction.deleteUserData: ActionProgram(action: .deleteUserData, executable: "/bin/true")]
    typealias Bounds = WorkerConfiguration.Bounds

    @Test func aConfigurationWithoutAnyProgramIsRefused() {
        let error = #expect(throws: WorkerConfiguration.SettingError.self) {
            try WorkerConfiguration(programs: [:])
        }
        #expect(error?.setting == .programs)
    }

    static let outOfBounds: [(name: String, setting: WorkerConfiguration.SettingError.Setting, make: @Sendable () throws -> WorkerConfiguration)] = [
        ("concurrency 0", .concurrency, { try WorkerConfiguration(programs: program, concurrency: 0) }),
        ("concurrency 65", .concurrency, { try WorkerConfiguration(programs: program, concurrency: 65) }),
        ("concurrency Int.max", .concurrency, { try WorkerConfiguration(programs: program, concurrency: .max) }),
        ("poll 49 ms", .pollInterval, { try WorkerConfiguration(programs: program, pollInterval: .milliseconds(49)) }),
        ("poll Int64.max s", .pollInterval, { try WorkerConfiguration(programs: program, pollInterval: .seconds(Int64.max)) }),
        ("lease 0", .lease, { try WorkerConfiguration(programs: program, lease: .zero) }),
        ("lease -1 s", .lease, { try WorkerConfiguration(programs: program, lease: .seconds(-1)) }),
        ("lease a day and a ms", .lease, { try WorkerConfiguration(programs: program, lease: .milliseconds(86_400_001)) }),
        ("lease Int64.max s", .lease, { try WorkerConfiguration(programs: program, lease: .seconds(Int64.max)) }),
        ("watch 0", .watchInterval, { try WorkerConfiguration(programs: program, watchInterval: .zero) }),
        ("timeout 0", .actionTimeout, { try WorkerConfiguration(programs: program, actionTimeout: .zero) }),
        ("timeout 367 days", .actionTimeout, { try WorkerConfiguration(programs: program, actionTimeout: .seconds(367 * 86_400)) }),
        ("timeout Int64.max s", .actionTimeout, { try WorkerConfiguration(programs: program, actionTimeout: .seconds(Int64.max)) }),
        ("grace -1 ms", .grace, { try WorkerConfiguration(programs: program, grace: .milliseconds(-1)) }),
        ("grace Int64.min s", .grace, { try WorkerConfiguration(programs: program, grace: .seconds(Int64.min)) }),
        ("grace an hour and a ms", .grace, { try WorkerConfiguration(programs: program, grace: .milliseconds(3_600_001)) }),
        ("errors limit 0", .errorsLimit, { try WorkerConfiguration(programs: program, errorsLimit: 0) }),
        ("errors limit 4097", .errorsLimit, { try WorkerConfiguration(programs: program, errorsLimit: 4097) }),
    ]

    @Test(arguments: outOfBounds.map { ($0.name, $0.setting) })
    func aValueOutsideItsBoundsIsRefusedNamingTheSetting(name: String, setting: WorkerConfiguration.SettingError.Setting) {
        let make = Self.outOfBounds.first { $0.name == name }!.make
        let error = #expect(throws: WorkerConfiguration.SettingError.self, "\(name)") { try make() }
        #expect(error?.setting == setting, "\(name)")
    }

    @Test func secondsFromAnOptionNeverTrapInTheConversion() {
        #expect(Duration.seconds(checking: .nan) == nil)
        #expect(Duration.seconds(checking: .infinity) == nil)
        #expect(Duration.seconds(checking: -.infinity) == nil)
        #expect(Duration.seconds(checking: 1e300) == .seconds(Int64.max))
        #expect(Duration.seconds(checking: -1e300) == .seconds(Int64.min))
        #expect(Duration.seconds(checking: 0.05) == .milliseconds(50))
        #expect(Duration.seconds(checking: 86_400) == .seconds(86_400))
        #expect(WorkerConfiguration.secondsText(Bounds.pollInterval) == "0.05 to 3600")
        #expect(WorkerConfiguration.secondsText(Bounds.lease) == "0.1 to 86400")
    }

    /// Every bound at its largest, then at its smallest: the worker claims (`now + lease`), runs and records
    /// a job, and stops, without any sum trapping.
    @Test(arguments: [true, false])
    func aWorkerRunsAtTheExtremesOfEveryBound(largest: Bool) throws {
        let fixture = try RunFixture()
        let program = try fixture.script(largest ? "exit 0" : "sleep 5")
        let configuration = try WorkerConfiguration(
            owner: RunFixture.owner,
            programs: [.deleteUserData: ActionProgram(action: .deleteUserData, executable: program)],
            concurrency: largest ? Bounds.concurrency.upperBound : Bounds.concurrency.lowerBound,
            pollInterval: largest ? Bounds.pollInterval.upperBound : Bounds.pollInterval.lowerBound,
            lease: largest ? Bounds.lease.upperBound : Bounds.lease.lowerBound,
            watchInterval: largest ? nil : Bounds.watchInterval.lowerBound,
            actionTimeout: largest ? Bounds.actionTimeout.upperBound : Bounds.actionTimeout.lowerBound,
            grace: largest ? Bounds.grace.upperBound : Bounds.grace.lowerBound,
            runOnce: true,
            errorsLimit: largest ? Bounds.errorsLimit.upperBound : Bounds.errorsLimit.lowerBound)
        let job = fixture.store.add(user: "extreme", startAt: 1000)
        let store = fixture.store
        let worker = JobRunner(
            configuration: configuration, connect: { store }, log: fixture.lines.log,
            environment: ["PATH=/usr/bin:/bin"])
        let summary = try worker.run()
        #expect(summary.claimed == 1)
        if largest {
            #expect(fixture.store.job(job.id)?.status == .completed, "\(fixture.lines.text)")
        } else {
            // A 1 ms time limit: the program is stopped and the job fails, with no grace before SIGKILL.
            #expect(fixture.store.job(job.id)?.status == .failed, "\(fixture.lines.text)")
            #expect(fixture.store.job(job.id)?.errors?.hasPrefix("timed out after 0.001 s") == true)
        }
    }

    @Test func aWorkerClaimsOnlyTheJobsOfItsActions() throws {
        let fixture = try RunFixture()
        let program = try fixture.script("exit 0")
        let own = fixture.store.add(user: "own", startAt: 1000)
        let other = fixture.store.add(user: "other", startAt: 1000, action: JobAction(rawValue: "export_user_data"))
        let store = fixture.store
        let worker = JobRunner(
            configuration: try fixture.configuration(program: program, once: true), connect: { store },
            log: fixture.lines.log, environment: ["PATH=/usr/bin:/bin"])
        let summary = try worker.run()
        #expect(summary.claimed == 1)
        #expect(fixture.store.job(own.id)?.status == .completed)
        #expect(fixture.store.job(other.id) == other)
    }
}
