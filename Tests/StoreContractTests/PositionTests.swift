import JobsCore
import JobsTesting
import Testing

@Suite("Store contract: Positions: every project's jobs numbered densely in id order")
struct ContractPositionTests {
    /// `[id, position]` of the project's jobs in id order.
    static func positions(_ fixture: ContractFixture, projectID: Int64) throws -> [[Int64]] {
        try fixture.integerRows("SELECT id, position FROM jobs WHERE project_id = ?1 ORDER BY id", projectID, columns: 2)
    }

    /// `[position_base, last_position]` of the project.
    static func bounds(_ fixture: ContractFixture, projectID: Int64) throws -> [Int64] {
        try #require(
            try fixture.integerRows(
                "SELECT position_base, last_position FROM projects WHERE id = ?1", projectID, columns: 2
            ).first)
    }

    /// Whether the project's jobs in id order hold `position_base + 1 … last_position` with no gap.
    static func isDense(_ fixture: ContractFixture, projectID: Int64) throws -> Bool {
        let rows = try positions(fixture, projectID: projectID)
        let bounds = try bounds(fixture, projectID: projectID)
        return rows.map { $0[1] } == Array((bounds[0] + 1)..<(bounds[1] + 1)) && bounds[1] - bounds[0] == rows.count
    }

    @Test("creates and imports take the next position of their own project; a conflict consumes none", arguments: StoreKind.allCases)
    func createAndImport(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let other = try fixture.makeProject()
            let store = try fixture.connector.connect()
            let first = try fixture.insertJob(userID: "a")
            try fixture.insertJob(userID: "a", projectID: other.id)
            guard case .created = try store.createJob(
                .deleteUserData(userID: "b", createdAt: 1, startAt: 2), projectID: fixture.project.id)
            else {
                Issue.record("no job created")
                return
            }
            #expect(
                try store.createJob(.deleteUserData(userID: "a", createdAt: 1, startAt: 2), projectID: fixture.project.id)
                    == .conflict(existingJobID: first.id))
            try fixture.insertJob(userID: "a", status: .completed)
            #expect(try Self.positions(fixture, projectID: fixture.project.id).map { $0[1] } == [1, 2, 3])
            #expect(try Self.bounds(fixture, projectID: fixture.project.id) == [0, 3])
            #expect(try Self.positions(fixture, projectID: other.id).map { $0[1] } == [1])
        }
    }

    @Test("a job for a missing project is refused as invalid, and no position is taken anywhere", arguments: StoreKind.allCases)
    func missingProject(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let error = #expect(throws: StoreError.self) { try fixture.insertJob(userID: "a", projectID: 9999) }
            #expect(error?.kind == .invalid)
            let bounds = try Self.bounds(fixture, projectID: fixture.project.id)
            #expect(bounds == [0, 0])
        }
    }

    @Test("of 8 threads creating jobs in one project at once, the positions follow the ids with no gap", arguments: StoreKind.allCases)
    func concurrentCreates(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let connector = fixture.connector
            let projectID = fixture.project.id
            let results = concurrently(threads: 8) { startLine in
                let store = Result { try connector.connect() }
                startLine.arriveAndWait()
                return Result {
                    for index in 0..<10 {
                        _ = try store.get().createJob(
                            .deleteUserData(userID: "u\(index)-\(UInt64.random(in: 0...UInt64.max))", createdAt: 1, startAt: 2),
                            projectID: projectID)
                    }
                }
            }
            for result in results { try result.get() }
            #expect(try Self.positions(fixture, projectID: projectID).map { $0[1] } == Array(1...80))
            #expect(try Self.isDense(fixture, projectID: projectID))
        }
    }
}
