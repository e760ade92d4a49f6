import Foundation
import JobsFuzzing

#if JOBS_FUZZ
// The libFuzzer build (deploy/fuzz.sh): libFuzzer owns `main` and calls this for every input of the target named
// by JOBS_FUZZ_TARGET. A broken promise aborts, which libFuzzer records as a crash with its input.

/// The target this process fuzzes.
private let selectedTarget: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["JOBS_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        FileHandle.standardError.write(Data(
            "jobs-fuzz: set JOBS_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
        exit(2)
    }
    return target
}()

/// libFuzzer's entry point: one input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
    do {
        try selectedTarget.run(input)
    } catch {
        FileHandle.standardError.write(Data("jobs-fuzz: \(selectedTarget.rawValue): \(error)\n".utf8))
        abort()
    }
    return 0
}
#else
/// `jobs-fuzz TARGET PATH…`: replays corpus files (folders or single files) through a fuzz target and reports each
/// input that broke a promise; exits 1 if any did. `jobs-fuzz --list` names the targets. The fuzzing build of the
/// same target is made and run by deploy/fuzz.sh.
@main
struct JobsFuzz {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments == ["--list"] {
            print(FuzzTarget.allCases.map(\.rawValue).joined(separator: "\n"))
            return
        }
        guard arguments.count >= 2, let target = FuzzTarget(rawValue: arguments[0]) else {
            fail("usage: jobs-fuzz TARGET PATH… (targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")))", code: 2)
        }
        do {
            let (count, failures) = try CorpusReplay.replay(target, paths: Array(arguments.dropFirst()))
            for failure in failures { FileHandle.standardError.write(Data("\(failure)\n".utf8)) }
            print("\(target.rawValue): \(count) input\(count == 1 ? "" : "s"), \(failures.count) broke a promise")
            if !failures.isEmpty { exit(1) }
        } catch {
            fail("jobs-fuzz: \(error)", code: 2)
        }
    }

    private static func fail(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(code)
    }
}
#endif
