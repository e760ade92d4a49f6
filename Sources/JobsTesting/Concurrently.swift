import Foundation

/// Lets threads that have finished preparing (each opened its own connection) start their contended step at
/// the same moment, so the race the test is about really happens.
package final class StartLine: @unchecked Sendable {
    // Safe to share: `arrived` is only touched with `condition` locked.
    private let condition = NSCondition()
    private let count: Int
    private var arrived = 0

    package init(count: Int) { self.count = count }

    /// Blocks until `count` threads have called this.
    package func arriveAndWait() {
        condition.lock()
        defer { condition.unlock() }
        arrived += 1
        if arrived == count {
            condition.broadcast()
        } else {
            while arrived < count { condition.wait() }
        }
    }
}

/// Results gathered from several threads.
final class Collected<Element: Sendable>: @unchecked Sendable {
    // Safe to share: `elements` is only touched with `lock` held.
    private let lock = NSLock()
    private var elements: [Element] = []

    func append(_ element: Element) {
        lock.lock()
        defer { lock.unlock() }
        elements.append(element)
    }

    var values: [Element] {
        lock.lock()
        defer { lock.unlock() }
        return elements
    }
}

/// Runs `body` on `threads` new threads at once and returns what each returned (in no particular order).
/// `body` gets the shared ``StartLine`` to wait at once it is ready.
package func concurrently<Element: Sendable>(
    threads: Int, _ body: @escaping @Sendable (StartLine) -> Element
) -> [Element] {
    let startLine = StartLine(count: threads)
    let results = Collected<Element>()
    let group = DispatchGroup()
    for _ in 0..<threads {
        group.enter()
        let thread = Thread {
            results.append(body(startLine))
            group.leave()
        }
        thread.start()
    }
    group.wait()
    return results.values
}
