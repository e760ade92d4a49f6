#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ProcessSpawn
import Testing

/// The pipes the worker gives its actions (issue 17 item 10): close-on-exec from the start, so that no other
/// thread's spawn inherits one between `pipe` and `fcntl`.
@Suite struct ProcessPipeTests {
    @Test func bothEndsAreCloseOnExecAndConnected() throws {
        let pipe = try #require(ProcessSpawn.closeOnExecPipe())
        defer {
            close(pipe.read)
            close(pipe.write)
        }
        #expect(fcntl(pipe.read, F_GETFD) & FD_CLOEXEC != 0)
        #expect(fcntl(pipe.write, F_GETFD) & FD_CLOEXEC != 0)
        var byte: UInt8 = 42
        #expect(write(pipe.write, &byte, 1) == 1)
        var received: UInt8 = 0
        #expect(read(pipe.read, &received, 1) == 1)
        #expect(received == 42)
    }

    /// `pipe2` is what makes it atomic; glibc has had it since 2.9, so on Linux the fallback never runs.
    @Test func glibcProvidesPipe2() {
        #expect(dlsym(dlopen(nil, RTLD_NOW), "pipe2") != nil)
    }
}
