import Testing

@testable import JobsCore

@Suite("job import: JSON Lines")
struct ImportTests {
    @Test func minimalLineTakesDefaults() throws {
        let job = try JobImport.parse(line: #"{"referenceId":"u1","status":"completed"}"#, number: 1, now: 5_000)
        #expect(job.referenceID == "u1")
        #expect(job.status == .completed)
        #expect(job.action == .deleteUserData)
        #expect(job.description == "Delete user sessions of userId = u1")
        #expect(job.createdAt == 5_000)
        #expect(job.updatedAt == nil)
        #expect(job.startAt == 86_400_000)
        #expect(job.errors == nil)
    }

    @Test func theAPIsOwnShapeImports() throws {
        let line = #"{"jobId":3452,"description":"Delete user sessions of userId = mehdi@example.com","status":"cancelled","projectId":1,"action":"delete_user_data","referenceId":"mehdi@example.com","createdAt":1623912962910,"updatedAt":1623913015276,"startAt":1623954600000,"errors":null}"#
        let job = try JobImport.parse(line: line, number: 1, now: 0)
        #expect(job.status == .cancelled)
        #expect(job.createdAt == 1_623_912_962_910)
        #expect(job.updatedAt == 1_623_913_015_276)
        #expect(job.startAt == 1_623_954_600_000)
    }

    @Test(arguments: [
        "", "[]", "nope", #"{"status":"scheduled"}"#, #"{"referenceId":"u"}"#, #"{"referenceId":"u","status":"done"}"#,
        #"{"referenceId":"","status":"scheduled"}"#, #"{"referenceId":5,"status":"scheduled"}"#,
        #"{"referenceId":"u","status":"scheduled","createdAt":1.5}"#,
        #"{"referenceId":"u","status":"scheduled","createdAt":"1"}"#,
        #"{"referenceId":"u","status":"scheduled","createdAt":true}"#,
        #"{"referenceId":"u","status":"scheduled","createdAt":1e40}"#,
        #"{"referenceId":"u","status":"scheduled","createdAt":null}"#,
        #"{"referenceId":"u","status":"scheduled","statuz":"x"}"#,
        #"{"referenceId":"u\u0000","status":"scheduled"}"#,
        #"{"referenceId":"u","status":"scheduled","action":""}"#,
    ])
    func refusedLines(line: String) {
        #expect(throws: JobImport.LineError.self) { try JobImport.parse(line: line, number: 3, now: 0) }
    }

    @Test func errorNamesTheLine() {
        #expect(throws: JobImport.LineError(line: 7, reason: "\"referenceId\" is required")) {
            try JobImport.parse(line: #"{"status":"failed"}"#, number: 7, now: 0)
        }
    }
}
