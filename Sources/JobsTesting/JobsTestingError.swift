/// A failure of the test support itself (a binary missing, a process that did not start or stop, a malformed
/// response), with a message that says what to do about it.
public struct JobsTestingError: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
