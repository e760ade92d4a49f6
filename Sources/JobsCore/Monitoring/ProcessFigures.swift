/// What the operating system says about this process, as the standard `process_*` metrics report it.
public struct ProcessFigures: Sendable {
    /// Resident memory, in bytes (`process_resident_memory_bytes`).
    public var residentMemoryBytes: Int64?
    /// Open file descriptors (`process_open_fds`).
    public var openFileDescriptors: Int64?
    /// The limit on open file descriptors (`process_max_fds`).
    public var maximumFileDescriptors: Int64?
    /// User and system CPU time, in seconds (`process_cpu_seconds_total`).
    public var cpuSeconds: Double?
    /// The process's threads, the server's among them.
    public var threads: Int64?

    /// Figures with every field given; `nil` for one the system did not tell.
    public init(
        residentMemoryBytes: Int64?, openFileDescriptors: Int64?, maximumFileDescriptors: Int64?, cpuSeconds: Double?,
        threads: Int64?
    ) {
        self.residentMemoryBytes = residentMemoryBytes
        self.openFileDescriptors = openFileDescriptors
        self.maximumFileDescriptors = maximumFileDescriptors
        self.cpuSeconds = cpuSeconds
        self.threads = threads
    }
}
