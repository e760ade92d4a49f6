import Foundation

/// A running stack of the real parts (nginx, the app, a store) that tests seed through `jobsctl`, talk to over HTTP
/// and run workers next to: the one-host ``Stack`` or the multi-host ``UpstreamStack``.
public protocol RunningStack: AnyObject, Sendable {
    /// Holds the stack's files and logs; a worker's log goes here too.
    var directory: TemporaryDirectory { get }
    /// The environment of every command run on the stack's store (`JOBS_STORE` set to it).
    var environment: [String: String] { get }
    /// A client for the stack's nginx.
    var client: HTTPClient { get }
}

extension Stack: RunningStack {}
