import Foundation

extension NSCondition {
    /// With the lock held: releases it until another thread calls `broadcast()` or `deadline` passes (never, when
    /// `nil`), then holds it again. Wake-ups can be spurious: callers check their condition again.
    func wait(until deadline: ContinuousClock.Instant?) {
        guard let deadline else {
            wait()
            return
        }
        let remaining = ContinuousClock.now.duration(to: deadline)
        guard remaining > .zero else { return }
        // A wall-clock date for NSCondition; callers loop on their monotonic deadline, so a clock step only
        // shortens or lengthens one wait.
        let seconds = Double(remaining.components.seconds) + Double(remaining.components.attoseconds) / 1e18
        _ = wait(until: Date(timeIntervalSinceNow: min(seconds, 86_400)))
    }
}
