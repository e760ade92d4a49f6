import JobsCore
import SQLStore

extension PostgresJobStore {
    /// The claim's `$5`: the action names as PostgreSQL's text form of a `text[]`, `{"a","b"}`, each element
    /// quoted (`"` and `\` escaped).
    public static func actionList(_ actions: [JobAction]) -> SQLValue {
        let quoted = actions.map { action in
            var text = "\""
            for character in action.rawValue {
                if character == "\"" || character == "\\" { text.append("\\") }
                text.append(character)
            }
            return text + "\""
        }
        return .text("{" + quoted.joined(separator: ",") + "}")
    }

    /// NUL characters, which PostgreSQL's text cannot hold, become U+FFFD.
    public static func storable(errors: String) -> String {
        guard errors.utf8.contains(0) else { return errors }
        return String(String.UnicodeScalarView(errors.unicodeScalars.map { $0 == "\0" ? "\u{FFFD}" : $0 }))
    }
}
