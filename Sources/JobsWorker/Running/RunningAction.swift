#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A job's program while it runs, as ``JobRun`` watches it: started by the worker itself (``ActionProcess``) or by
/// the action runner (``RemoteAction``, the worker's end of one runner connection). One loop watches both.
///
/// Not `Sendable`: one job's thread owns it.
protocol RunningAction: AnyObject {
    /// Waits up to `timeout` for something to do: output to read, room for more input, an answer to read.
    func waitForOutputOrInputSpace(timeout: Duration)
    /// Passes on as much of the job's input as can go now, without blocking.
    func writeInput()
    /// Moves what the program wrote to its standard error so far into `tail`, without blocking.
    func readErrorOutput(into tail: inout OutputTail)
    /// Whether the program has ended (or its end can no longer be learnt), without reaping it.
    func hasExited() -> Bool
    /// Sends `signal` (SIGTERM or SIGKILL) to the program's process group; failures are ignored.
    func signalGroup(_ signal: Int32)
    /// Drops whatever of the job's input did not go in yet.
    func closeInput()
    /// How the program ended; blocks until it did.
    func reap() -> Termination
}

extension RunningAction {
    /// Ends a program that exited or was stopped: the rest of its standard error read into `tail`, the input it
    /// did not read dropped, whatever it left running in its group killed, and the program reaped. How it ended.
    func finish(readingInto tail: inout OutputTail) -> Termination {
        readErrorOutput(into: &tail)
        closeInput()
        signalGroup(SIGKILL)
        let termination = reap()
        readErrorOutput(into: &tail)
        return termination
    }
}

extension ActionProcess: RunningAction {}
