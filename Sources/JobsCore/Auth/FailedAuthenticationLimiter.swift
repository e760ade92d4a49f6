import Foundation

/// Counts failed authentications per client address and refuses an address that failed too often, for the
/// rest of a one-minute window: guessing keys becomes slow, and a misconfigured client cannot flood the store.
///
/// The contract allows limiting, but never below 30 failures a minute. The count is per process (each
/// `jobs-fcgi` process keeps its own), so with N processes an address may fail up to N times the limit.
/// Shared by every thread of a process; its state is guarded by a lock.
public final class FailedAuthenticationLimiter: @unchecked Sendable {
    // Safe to share between threads: `windows` is only read or written with `lock` held.
    private let lock = NSLock()
    private var windows: [String: Window] = [:]

    /// Failures allowed per address in one window.
    public let limit: Int
    /// The length of a window, in milliseconds.
    public let windowMilliseconds: Int64
    /// Addresses tracked at most; past that, expired windows are dropped, and if none is, all are (failing open
    /// rather than growing without bound under a spray of addresses).
    public let maximumAddresses: Int

    struct Window {
        var start: Int64
        var failures: Int
    }

    /// The contract's floor: a limit below it is raised to it.
    public static let minimumLimit = 30

    public init(limit: Int, windowMilliseconds: Int64 = 60_000, maximumAddresses: Int = 10_000) {
        self.limit = max(limit, Self.minimumLimit)
        self.windowMilliseconds = windowMilliseconds
        self.maximumAddresses = maximumAddresses
    }

    /// Seconds until `address` may try again, or `nil` when it is not limited now.
    public func retryAfter(address: String, now: Int64) -> Int64? {
        lock.withLock {
            guard let window = windows[address], now - window.start < windowMilliseconds,
                window.failures >= limit
            else { return nil }
            let remaining = window.start + windowMilliseconds - now
            return max(1, (remaining + 999) / 1000)
        }
    }

    /// Counts one failed authentication of `address`.
    public func recordFailure(address: String, now: Int64) {
        lock.withLock {
            if var window = windows[address], now - window.start < windowMilliseconds {
                window.failures += 1
                windows[address] = window
                return
            }
            if windows.count >= maximumAddresses {
                windows = windows.filter { now - $0.value.start < windowMilliseconds }
                if windows.count >= maximumAddresses { windows.removeAll(keepingCapacity: true) }
            }
            windows[address] = Window(start: now, failures: 1)
        }
    }
}
