/// An input that broke a promise a fuzz target checks (a 5xx, a body that is not JSON, a value that does not
/// survive a round trip, …): what was expected and what happened. Crashes are not findings: they end the
/// process, which is what libFuzzer watches for.
public struct FuzzFinding: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(_ description: String) { self.description = description }
}

/// Throws a ``FuzzFinding`` saying `message` unless `condition` holds.
func require(_ condition: Bool, _ message: @autoclosure () -> String) throws(FuzzFinding) {
    if !condition { throw FuzzFinding(message()) }
}
