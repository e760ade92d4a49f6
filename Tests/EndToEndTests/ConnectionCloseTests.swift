import Foundation
import JobsTesting
import Testing

/// How the app ends a connection after its answer: it reads the rest of the request's input within a deadline,
/// then closes without waiting for the web server to close its side.
@Suite(.serialized, .sharedStack)
struct ConnectionCloseTests {
    let fixture: StackFixture

    init() throws {
        fixture = try StackFixture.require()
    }

    typealias Raw = RawFastCGIClient

    /// As many connections as the app has threads send a whole request head but never end its input (no empty
    /// `STDIN` record) and keep their side open. Each still gets its answer, and the app closes each connection
    /// by itself within a few seconds; a normal request is then answered. (Reading the input had no deadline: such
    /// connections held every thread for as long as their peers kept them open.)
    @Test func unendedInputHoldsNoThread() throws {
        let threads = fixture.stack.options.threads ?? ProcessInfo.processInfo.activeProcessorCount
        let headOnly = Array(Raw.request(uri: "/public/00000000000000000000/jobs").dropLast(8))
        let connections = try (0..<(threads * fixture.stack.options.processes)).map { _ in
            let raw = try Raw(unixSocket: fixture.stack.socketPath)
            raw.send(headOnly)
            return raw
        }
        for (index, raw) in connections.enumerated() {
            // Generous for a loaded machine: the app's deadline is about a second per connection.
            let (records, closed) = raw.readRecords(timeout: 30, untilEndRequest: false)
            #expect(Raw.output(of: records).hasPrefix("Status: 401 "), "connection \(index): \(records)")
            #expect(records.contains { $0.type == Raw.RecordType.endRequest.rawValue }, "connection \(index)")
            #expect(closed, "connection \(index) is still open")
            raw.close()
        }
        expectAppAlive(fixture.stack)
        let response = try fixture.client.get("\(fixture.base)/jobs", key: fixture.key)
        #expect(response.status == 200)
    }

    /// A request with a body, sent whole, from a peer that keeps its side open: the answer's end and the close
    /// arrive together. (libfcgi's own close waits up to 2 s for the peer to close first.)
    @Test func aWholeRequestIsClosedWithoutWaitingForThePeer() throws {
        let body = Array(repeating: UInt8(ascii: "a"), count: 3000)
        let request = Array(Raw.request(uri: "/public/00000000000000000000/jobs").dropLast(8))
            + Raw.record(.stdin, content: body) + Raw.record(.stdin)
        let raw = try Raw(unixSocket: fixture.stack.socketPath)
        raw.send(request)
        let (records, _) = raw.readRecords(timeout: 30)
        #expect(Raw.output(of: records).hasPrefix("Status: 401 "), "\(records)")
        let answered = Date()
        let (_, closed) = raw.readRecords(timeout: 30, untilEndRequest: false)
        let gap = Date().timeIntervalSince(answered)
        raw.close()
        #expect(closed)
        // Nothing runs between the answer's last record and the close but a few system calls; 1.5 s leaves room
        // for a loaded machine and still tells this close from libfcgi's 2 s wait.
        #expect(gap < 1.5, "closed \(gap) s after the answer")
    }
}
