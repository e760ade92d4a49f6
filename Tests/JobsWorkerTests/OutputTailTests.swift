import Testing
@testable import JobsWorker

@Suite struct OutputTailTests {
    @Test func keepsEverythingBelowTheLimit() {
        var tail = OutputTail(limit: 16)
        tail.append(Array("disk ".utf8))
        tail.append(Array("full\n".utf8))
        #expect(tail.text == "disk full")
        #expect(!tail.isTruncated)
    }

    @Test func keepsOnlyTheLastBytesAndMarksTheCut() {
        var tail = OutputTail(limit: 8)
        for chunk in ["aaaa", "bbbb", "cccc", "dddd"] { tail.append(Array(chunk.utf8)) }
        #expect(tail.bytes == Array("ccccdddd".utf8))
        #expect(tail.text == "…ccccdddd")
        tail.append(Array(repeating: UInt8(ascii: "x"), count: 100))
        #expect(tail.bytes.count == 8)
    }

    @Test func neverShowsHalfACharacterOrControlCharacters() {
        var tail = OutputTail(limit: 5)
        tail.append(Array("éééé".utf8))  // 8 bytes: the cut falls inside an é
        #expect(tail.text == "…éé")
        var controls = OutputTail(limit: 64)
        controls.append(Array("a\u{1B}[31mb\u{0}c\r\nline two\t!\n\n".utf8))
        #expect(controls.text == "a [31mb c \nline two\t!")
    }

    @Test func isEmptyForWhiteSpaceOnly() {
        var tail = OutputTail(limit: 64)
        tail.append(Array(" \n\t\n".utf8))
        #expect(tail.text == "")
    }

    @Test(arguments: [
        (JobsWorker.Termination.exited(0), "exited with status 0", true),
        (.exited(3), "exited with status 3", false),
        (.signaled(9), "killed by SIGKILL", false),
        (.signaled(40), "killed by signal 40", false),
    ])
    func terminationsDescribeThemselves(termination: Termination, text: String, success: Bool) {
        #expect(termination.description == text)
        #expect(termination.isSuccess == success)
    }
}
