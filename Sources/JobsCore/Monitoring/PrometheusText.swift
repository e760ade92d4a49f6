import Foundation

/// Text in the Prometheus exposition format, version 0.0.4: for each metric family a `# HELP` and a `# TYPE` line,
/// then its samples, `name{label="value"} number`, one per line.
struct PrometheusText {
    private(set) var text = ""

    /// A metric family's type.
    enum Kind: String {
        case counter, gauge, histogram
    }

    init() {
        text.reserveCapacity(4096)
    }

    /// Starts the family `name`.
    mutating func family(_ name: String, _ kind: Kind, _ help: String) {
        text += "# HELP \(name) \(Self.escapedHelp(help))\n# TYPE \(name) \(kind.rawValue)\n"
    }

    /// One sample of the family started last.
    mutating func sample(_ name: String, labels: [(String, String)] = [], _ value: Double) {
        text += name
        if !labels.isEmpty {
            text += "{"
            text += labels.map { "\($0.0)=\"\(Self.escapedLabel($0.1))\"" }.joined(separator: ",")
            text += "}"
        }
        text += " \(Self.number(value))\n"
    }

    /// A value as the format writes it: integers without a fraction, others as Swift prints them (`0.0025`,
    /// `1e-06`), which Go's `ParseFloat` reads.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// `\` and newline escaped, as `# HELP` requires.
    static func escapedHelp(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// `\`, `"` and newline escaped, as a label value requires.
    static func escapedLabel(_ text: String) -> String {
        escapedHelp(text).replacingOccurrences(of: "\"", with: "\\\"")
    }
}
