import Foundation

/// Runs every file of a corpus through a fuzz target, the way libFuzzer would, without libFuzzer: the normal
/// build's `jobs-fuzz` and the FuzzingTests use it to keep the committed corpus and every fixed crash passing.
public enum CorpusReplay {
    /// A corpus file whose input broke a promise.
    public struct Failure: Sendable, CustomStringConvertible {
        public var file: String
        public var finding: FuzzFinding
        public var description: String { "\(file): \(finding)" }
    }

    /// The files under `paths` (a folder: its regular files, sorted by name; a file: itself).
    public static func files(in paths: [String]) throws -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: path])
            }
            if isDirectory.boolValue {
                let names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
                files += names.map { path + "/" + $0 }.filter { !$0.hasSuffix("/.gitkeep") }
            } else {
                files.append(path)
            }
        }
        return files
    }

    /// Runs `target` on every file under `paths`; returns how many ran and the ones that broke a promise.
    public static func replay(_ target: FuzzTarget, paths: [String]) throws -> (count: Int, failures: [Failure]) {
        let files = try files(in: paths)
        var failures: [Failure] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: file])
            }
            do {
                try target.run(Array(data))
            } catch {
                failures.append(Failure(file: file, finding: error))
            }
        }
        return (files.count, failures)
    }
}
