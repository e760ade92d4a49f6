import Foundation
import JobsTesting
import Testing

/// `deploy/actions/delete-user-data` run by a real `jobsctl worker` on a real store, for deletions requested
/// through nginx: `completed` only when the user's data is gone from a data folder that exists; every setting
/// that leaves it nowhere to delete from fails the job, visibly, with the reason.
@Suite
struct ExampleActionWorkerTests {
    /// The folder of `user`'s data under `root`: named by the SHA-256 of the id, as deploy/demo.sh makes it.
    static func userFolder(_ user: String, in root: String) throws -> String {
        let hashed = try Command.run("/bin/sh", ["-c", "printf '%s' \"$1\" | sha256sum", "sh", user])
        let hash = try #require(hashed.output.split(separator: " ").first)
        return root + "/users/" + hash
    }

    /// A user data folder `USER_DATA_DIR` may name, and what a deletion run with it must end as.
    enum DataFolder: String, CaseIterable, Sendable {
        case unset, missing, aFile, withoutUsersFolder, withoutTheUser, withTheUsersData

        /// The status the job ends in, and what its errors say.
        var expected: (status: String, errors: String?) {
            switch self {
            case .unset: return ("failed", "USER_DATA_DIR is not set")
            case .missing: return ("failed", "does not exist; nothing was deleted")
            case .aFile: return ("failed", "is not a folder; nothing was deleted")
            case .withoutUsersFolder: return ("failed", "holds no users/ folder")
            case .withoutTheUser, .withTheUsersData: return ("completed", nil)
            }
        }
    }

    @Test(arguments: DataFolder.allCases)
    func aDeletionCompletesOnlyWhenTheDataFolderExists(folder: DataFolder) throws {
        let fixture = try WorkerFixture()
        let user = "ada@example.com"
        let root = fixture.folder.appending("data")
        var dataDirectory = root
        switch folder {
        case .unset: dataDirectory = ""
        case .missing: dataDirectory = root + "/nowhere"
        case .aFile: try fixture.folder.write("data")
        case .withoutUsersFolder: try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        case .withoutTheUser:
            try FileManager.default.createDirectory(atPath: root + "/users", withIntermediateDirectories: true)
        case .withTheUsersData:
            let userFolder = try Self.userFolder(user, in: root)
            try FileManager.default.createDirectory(atPath: userFolder, withIntermediateDirectories: true)
            try Data("{}".utf8).write(to: URL(fileURLWithPath: userFolder + "/batch-0001.jsonl"))
        }
        // A bystander's data, which no run may touch.
        let bystander = try Self.userFolder("grace@example.com", in: root)
        if folder == .withoutTheUser || folder == .withTheUsersData {
            try FileManager.default.createDirectory(atPath: bystander, withIntermediateDirectories: true)
            try Data("{}".utf8).write(to: URL(fileURLWithPath: bystander + "/batch-0001.jsonl"))
        }

        let id = try #require(try fixture.requestDeletion(user)["jobId"]?.int)
        let result = try fixture.stack.runWorkerOnce(
            ["--action", "delete_user_data=" + SourceTree.path("deploy/actions/delete-user-data"),
             "--action-env", "USER_DATA_DIR"],
            environment: ["USER_DATA_DIR": dataDirectory])
        #expect(result.succeeded, "\(result.errorOutput)")

        let job = try fixture.job(id)
        let (status, errors) = folder.expected
        #expect(job["status"]?.string == status, "\(folder): \(job)\n\(result.errorOutput)")
        if let errors {
            #expect(job["errors"]?.string?.contains(errors) == true, "\(folder): \(job)")
            #expect(result.errorOutput.contains("running → failed"))
        } else {
            #expect(job["errors"]?.isNull == true)
            #expect(!FileManager.default.fileExists(atPath: try Self.userFolder(user, in: root)))
            #expect(FileManager.default.fileExists(atPath: bystander + "/batch-0001.jsonl"))
        }
    }
}
