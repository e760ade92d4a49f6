import Foundation
import Testing

@testable import JobsCore
import JobsTesting

/// The bounds every stored job keeps (issue 13): the API's own creation path stays within them, and import
/// applies the API's userId rule to referenceId.
@Suite("Job bounds")
struct JobLimitsTests {
    @Test func theAPIsLongestDescriptionFitsTheBound() {
        // 256 scalars of 4 bytes each: the longest user id the API accepts, in bytes.
        let user = String(repeating: "😀", count: JobsAPI.maximumUserIDLength)
        #expect((try? JobsAPI.userID(Substring(user.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!))) == user)
        let job = NewJob.deleteUserData(userID: user, createdAt: 0, startAt: 0)
        #expect(job.description.utf8.count == 1_057)
        #expect(job.description.utf8.count <= Job.maximumDescriptionBytes)
    }

    static let userIDs: [String] = [
        "a", "shekar@example.com", String(repeating: "x", count: 256), String(repeating: "x", count: 257),
        String(repeating: "é", count: 256), String(repeating: "😀", count: 257), "a\u{0}b", "zoë/../../etc passwd",
        "e\u{301}", String(repeating: "e\u{301}", count: 128), String(repeating: "e\u{301}", count: 129),
    ]

    @Test(arguments: userIDs)
    func importAcceptsAReferenceIDExactlyWhenTheAPIAcceptsTheUserID(user: String) {
        let encoded = Substring(user.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
        let api = (try? JobsAPI.userID(encoded)) != nil
        var line = JSONWriter()
        line.raw(#"{"status":"scheduled","referenceId":"#)
        line.string(user)
        line.raw("}")
        let imported = (try? JobImport.parse(line: line.text, number: 1, now: 0)) != nil
        #expect(api == imported, "\(user.unicodeScalars.count) scalars")
        #expect(api == Job.isValidReferenceID(user))
    }

    @Test func actionNamesAreWhatAWorkerCanRun() {
        #expect(JobAction.isValidName("delete_user_data"))
        #expect(JobAction.isValidName("export.user-data_v2"))
        #expect(JobAction.isValidName(String(repeating: "a", count: 64)))
        #expect(!JobAction.isValidName(String(repeating: "a", count: 65)))
        #expect(!JobAction.isValidName(""))
        #expect(!JobAction.isValidName("delete user data"))
        #expect(!JobAction.isValidName("déjà"))
    }

    @Test func aDocumentIsSplitIntoNumberedLinesWhateverTheirEndings() throws {
        let text = "\r\n" + #"{"referenceId":"a","status":"completed"}"# + "\r\n\n  \n" + #"{"referenceId":"b","status":"failed"}"#
        let document = try JobImport.parseDocument(bytes: Array(text.utf8), now: 0)
        #expect(document.lines == [2, 5])
        #expect(document.jobs.map(\.referenceID) == ["a", "b"])
        #expect(throws: JobImport.LineError(line: 2, reason: "not UTF-8")) {
            try JobImport.parseDocument(bytes: Array("\n".utf8) + [0x7B, 0xC3, 0x28, 0x7D], now: 0)
        }
    }
}
