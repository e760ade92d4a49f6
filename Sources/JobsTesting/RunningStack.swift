import Foundation

/// A running stack of the real parts (nginx, the app, a store) that tests seed through `jobsctl`, talk to over HTTP
/// and run workers next to: the one-host ``Stack`` or the multi-host ``UpstreamStack``.
package protocol RunningStack: AnyObject, Sendable {
    /// Holds the stack's files and logs; a worker's log goes here too.
    var directory: TemporaryDirectory { get }
    /// The environment of every command run on the stack's store (`JOBS_STORE` set to it).
    var environment: [String: String] { get }
    /// nginx's port on 127.0.0.1.
    var port: UInt16 { get }
    /// Stops every process of the stack. Safe to call more than once.
    func stop()
}

extension RunningStack {
    /// A client for the stack's nginx.
    package var client: HTTPClient { HTTPClient(port: port) }

    /// Runs the steps that start the stack; when one fails, stops what started before passing the error on.
    func bringUp(_ steps: () throws -> Void) throws {
        do {
            try steps()
        } catch {
            stop()
            throw error
        }
    }
}

extension Stack: RunningStack {}
