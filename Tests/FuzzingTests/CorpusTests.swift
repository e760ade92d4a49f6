import Foundation
import JobsFuzzing
import JobsTesting
import Testing

/// The committed seed corpus (realistic requests and the bad-input table's cases) and every input a fuzz run
/// once found, replayed through each target on every test run: no crash and no broken promise.
@Suite("Fuzz corpus replays")
struct CorpusTests {
    @Test(arguments: FuzzTarget.allCases)
    func corpusKeepsEveryPromise(_ target: FuzzTarget) throws {
        let folder = SourceTree.path("Tests/FuzzCorpus/\(target.rawValue)")
        let (count, failures) = try CorpusReplay.replay(target, paths: [folder])
        #expect(count >= 10, "the seed corpus of \(target.rawValue) has only \(count) inputs")
        #expect(failures.isEmpty, "\(failures.map(\.description).joined(separator: "\n"))")
    }
}
