import Foundation

extension ChildProcess {
    /// Waits until the file at `path` holds this process's pid (nginx writes its pid file once its listening socket
    /// is bound). `false` when the process exited or `timeout` seconds passed first.
    func waitUntilPIDFileNamesIt(_ path: String, timeout: TimeInterval = patientTimeout) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline && isRunning {
            if let text = try? String(contentsOfFile: path, encoding: .utf8),
                pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) == pid
            {
                return true
            }
            usleep(10_000)
        }
        return false
    }
}
