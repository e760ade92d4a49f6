import Foundation

/// How long a test waits, at most, for something it expects to happen: long enough for a 2-core machine that
/// builds something else at the same time (every wait polls, so a fast machine never waits that long), short
/// enough that a test whose event never comes fails in reasonable time.
package let patientTimeout: TimeInterval = 60

/// Polls `condition` every 20 ms until it holds or `timeout` seconds passed; returns whether it held.
///
/// The one way tests wait for something to happen: never a fixed sleep before an assertion. Use it as
/// `#expect(eventually { … }, "what did not happen")` or, when the test cannot go on without it,
/// `try #require(eventually { … }, "what did not happen")`. A test that must show that something does *not*
/// happen waits for a later event that proves the system has had its chance (a later job done, a log line),
/// then asserts the absence.
package func eventually(timeout: TimeInterval = patientTimeout, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if try condition() { return true }
        if Date() > deadline { return false }
        usleep(20_000)
    }
}

/// A `/bin/sh` loop for a test's action program that waits until the file at `path` (a shell word: quote it, or
/// use `"$DIR/go"`) exists, so that the test decides when the program goes on instead of a `sleep` in the program
/// racing the test. It gives up after about `seconds`, so that a program abandoned by a failed test ends by itself.
package func shellWaitingForFile(_ path: String, seconds: Int = Int(patientTimeout)) -> String {
    "i=0; while [ ! -e \(path) ] && [ $i -lt \(seconds * 50) ]; do sleep 0.02; i=$((i + 1)); done"
}
