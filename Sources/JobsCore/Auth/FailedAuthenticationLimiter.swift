import Foundation

/// Counts failed authentications per client network and answers 429 to a network that failed too often, for the
/// rest of a one-minute window: guessing keys becomes slow, and a misconfigured client is told to back off.
///
/// A request with a valid key is never refused: the limiter judges only requests that failed authentication, so
/// clients sharing an address with a failing one (a NAT, an office egress, a load balancer) keep working. An IPv6
/// client counts by its /64, the block one host or site is given, so it cannot step around the limit by changing
/// addresses. The contract allows limiting, but never below 30 failures a minute. The count is per process (each
/// `jobs-fcgi` process keeps its own), so with N processes a network may fail up to N times the limit.
/// Shared by every thread of a process; its state is guarded by a lock.
public final class FailedAuthenticationLimiter: @unchecked Sendable {
    // Safe to share between threads: `windows` is only read or written with `lock` held.
    private let lock = NSLock()
    private var windows: [String: Window] = [:]

    /// Failures allowed per network in one window.
    public let limit: Int
    /// The length of a window, in milliseconds.
    public let windowMilliseconds: Int64
    /// Networks tracked at most. When full, expired windows go first, then the oldest windows of networks still
    /// under their limit; a network over its limit is dropped only when every tracked network is, so a spray of
    /// new addresses cannot free a limited one.
    public let maximumAddresses: Int

    struct Window {
        var start: Int64
        var failures: Int
    }

    /// The contract's floor: a limit below it is raised to it.
    public static let minimumLimit = 30

    /// A limiter allowing `limit` failures (at least ``minimumLimit``) per network in each window.
    public init(limit: Int, windowMilliseconds: Int64 = 60_000, maximumAddresses: Int = 10_000) {
        self.limit = max(limit, Self.minimumLimit)
        self.windowMilliseconds = windowMilliseconds
        self.maximumAddresses = max(maximumAddresses, 1)
    }

    /// Seconds until the network of `address` may fail again without a 429, or `nil` when it is not limited now.
    public func retryAfter(address: String, now: Int64) -> Int64? {
        let network = Self.network(of: address)
        return lock.withLock {
            guard let window = windows[network], now - window.start < windowMilliseconds,
                window.failures >= limit
            else { return nil }
            let remaining = window.start + windowMilliseconds - now
            return max(1, (remaining + 999) / 1000)
        }
    }

    /// Counts one failed authentication of the network of `address`.
    public func recordFailure(address: String, now: Int64) {
        let network = Self.network(of: address)
        lock.withLock {
            if var window = windows[network], now - window.start < windowMilliseconds {
                window.failures = min(window.failures + 1, limit)
                windows[network] = window
                return
            }
            if windows.count >= maximumAddresses { evict(now: now) }
            windows[network] = Window(start: now, failures: 1)
        }
    }

    /// Makes room for a tenth of the table at once (so a spray costs one sort per thousand new addresses, not one
    /// per address). Called with `lock` held.
    private func evict(now: Int64) {
        windows = windows.filter { now - $0.value.start < windowMilliseconds }
        let keep = maximumAddresses - max(1, maximumAddresses / 10)
        guard windows.count > keep else { return }
        let victims = windows.sorted { first, second in
            let firstLimited = first.value.failures >= limit, secondLimited = second.value.failures >= limit
            if firstLimited != secondLimited { return !firstLimited }
            return first.value.start < second.value.start
        }.prefix(windows.count - keep)
        for victim in victims { windows[victim.key] = nil }
    }

    /// The key an address counts under: an IPv4 address as it is, an IPv6 address by its /64 (an IPv4-mapped IPv6
    /// address as its IPv4 address), anything else that does not parse as it is.
    public static func network(of address: String) -> String {
        guard address.contains(":"), let groups = ipv6Groups(address) else { return address }
        if groups[0..<5].allSatisfy({ $0 == 0 }) && groups[5] == 0xffff {
            return "\(groups[6] >> 8).\(groups[6] & 0xff).\(groups[7] >> 8).\(groups[7] & 0xff)"
        }
        return groups[0..<4].map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
    }

    /// The eight 16-bit groups of an IPv6 address in text form (RFC 4291 2.2: `::` once, a dotted IPv4 tail, a
    /// `%zone` suffix ignored), or `nil` when it is not one.
    static func ipv6Groups(_ text: String) -> [UInt16]? {
        let address = text.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false)[0]
        let halves = address.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func parse(_ part: String, last: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            var groups: [UInt16] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if last && index == pieces.count - 1 && piece.contains(".") {
                    let octets = piece.split(separator: ".", omittingEmptySubsequences: false)
                    guard octets.count == 4 else { return nil }
                    var bytes: [UInt16] = []
                    for octet in octets {
                        guard (1...3).contains(octet.count), octet.allSatisfy(\.isASCII),
                            let value = UInt16(octet), value <= 255
                        else { return nil }
                        bytes.append(value)
                    }
                    groups.append(bytes[0] << 8 | bytes[1])
                    groups.append(bytes[2] << 8 | bytes[3])
                } else {
                    guard (1...4).contains(piece.count), piece.allSatisfy(\.isHexDigit), piece.allSatisfy(\.isASCII),
                        let value = UInt16(piece, radix: 16)
                    else { return nil }
                    groups.append(value)
                }
            }
            return groups
        }
        if halves.count == 1 {
            guard let groups = parse(halves[0], last: true), groups.count == 8 else { return nil }
            return groups
        }
        guard let head = parse(halves[0], last: false), let tail = parse(halves[1], last: true),
            head.count + tail.count <= 7
        else { return nil }
        return head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
    }
}
