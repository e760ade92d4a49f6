import ArgumentParser
import JobsCore
import JobsWorker

/// What `jobsctl worker` and `jobsctl action-runner` share: the `--action NAME=EXECUTABLE` programs and the
/// `--action-env` names, each from its options, else from its environment variable.
enum ActionOptions {
    /// The programs of `options` (or, when none was given, of `variable`'s space-separated entries), each checked
    /// (``ActionProgram/init(parsing:relativeTo:)``) and each action once. An error names the option or variable.
    static func programs(
        _ options: [String], variable: String, environment: [String: String]
    ) throws -> [JobAction: ActionProgram] {
        let fromEnvironment = options.isEmpty
        var programs: [JobAction: ActionProgram] = [:]
        for entry in fromEnvironment ? words(environment[variable]) : options {
            let program: ActionProgram
            do {
                program = try ActionProgram(parsing: entry)
            } catch {
                throw ValidationError("\(fromEnvironment ? variable : "--action"): \(error)")
            }
            guard programs[program.action] == nil else {
                throw ValidationError("action \(program.action.rawValue) is given twice")
            }
            programs[program.action] = program
        }
        return programs
    }

    /// The `--action-env` names of `options`, or, when none was given, `variable`'s space-separated names.
    static func environmentNames(_ options: [String], variable: String, environment: [String: String]) -> [String] {
        options.isEmpty ? words(environment[variable]) : options
    }

    private static func words(_ text: String?) -> [String] {
        (text ?? "").split(whereSeparator: \.isWhitespace).map(String.init)
    }
}
