import JobsCore
import JobsTesting
import Testing
@testable import JobsWorker

@Suite struct ActionProgramTests {
    @Test func readsNameEqualsExecutableAndResolvesRelativePaths() throws {
        let directory = try TemporaryDirectory()
        try directory.writeExecutable("delete", "#!/bin/sh\n")
        let absolute = try ActionProgram(parsing: "delete_user_data=\(directory.appending("delete"))")
        #expect(absolute == ActionProgram(action: .deleteUserData, executable: directory.appending("delete")))
        let relative = try ActionProgram(parsing: "delete_user_data=delete", relativeTo: directory.path)
        #expect(relative.executable == directory.appending("delete"))
        #expect(relative.description == "delete_user_data=\(directory.appending("delete"))")
    }

    @Test(arguments: ["delete_user_data", "=/bin/true", "delete_user_data=", "bad name=/bin/true", "a/b=/bin/true"])
    func refusesMalformedEntries(entry: String) {
        #expect(throws: WorkerError.self) { try ActionProgram(parsing: entry) }
    }

    @Test func refusesAMissingOrNonExecutableProgramAtOnce() throws {
        let directory = try TemporaryDirectory()
        let missing = #expect(throws: WorkerError.self) {
            try ActionProgram(parsing: "delete_user_data=\(directory.appending("nothing"))")
        }
        #expect(missing?.description.contains("No such file or directory") == true)
        try directory.write("plain", "not executable")
        let plain = #expect(throws: WorkerError.self) {
            try ActionProgram(parsing: "delete_user_data=\(directory.appending("plain"))")
        }
        #expect(plain?.description.contains("is not an executable file") == true)
        #expect(throws: WorkerError.self) { try ActionProgram(parsing: "delete_user_data=\(directory.path)") }
    }
}

