/// A failure of the test support itself (a binary missing, a process that did not start or stop, a malformed
/// response), with a message that says what to do about it.
package struct JobsTestingError: Error, CustomStringConvertible, Sendable {
    package var description: String

    package init(_ description: String) {
        self.description = description
    }
}
