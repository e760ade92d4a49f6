#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

import ProcessSpawn

/// A pipe whose descriptors are closed on exec (the program gets its end through `dup2` only), each end closed
/// exactly once: by ``closeRead()``/``closeWrite()`` or, at the latest, when the value goes away. Closing a
/// descriptor twice could close another thread's file that took its number in between.
final class ProcessPipe {
    private(set) var read: Int32
    private(set) var write: Int32

    init() throws(WorkerError) {
        // Close-on-exec at once: the worker's run threads spawn actions while others make their pipes.
        guard let descriptors = ProcessSpawn.closeOnExecPipe() else { throw WorkerError.system("pipe2") }
        read = descriptors.read
        write = descriptors.write
    }

    deinit {
        closeRead()
        closeWrite()
    }

    /// Hands the read end over to the caller, who closes it from now on.
    func takeRead() -> Int32 {
        defer { read = -1 }
        return read
    }

    func closeRead() {
        if read >= 0 { close(read) }
        read = -1
    }

    func closeWrite() {
        if write >= 0 { close(write) }
        write = -1
    }

    /// Hands the write end over to the caller, who closes it from now on.
    func takeWrite() -> Int32 {
        defer { write = -1 }
        return write
    }
}
