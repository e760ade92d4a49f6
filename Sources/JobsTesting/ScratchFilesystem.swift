import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A small tmpfs mounted on a new folder under /tmp for one test, so that the test can fill it up (a full disk,
/// as the store sees it) and free it again. Unmounted (lazily, so a process still using it cannot keep it) and
/// removed when the value is released.
///
/// Mounting needs CAP_SYS_ADMIN: ``isPermitted`` says whether this process has it. As root a failed mount is an
/// error, never a reason to skip.
package final class ScratchFilesystem: @unchecked Sendable {
    // Safe to share: every property is set once, in `init`.
    /// The mount point (mode 0755, so that nginx's workers could enter it too).
    package let path: String
    /// The file ``fill()`` writes.
    private let fillerPath: String

    /// Whether this process may mount filesystems. Checked through the effective capability set in
    /// /proc/self/status (bit 21, CAP_SYS_ADMIN), which is what `mount` needs, root or not.
    package static var isPermitted: Bool {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
            let mask = UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return false }
        return mask & (1 << 21) != 0
    }

    /// Mounts a tmpfs of `kibibytes` KiB (`mount -t tmpfs -o size=…k,mode=0755`).
    package init(kibibytes: Int) throws {
        var template = Array("/tmp/jobs-e2e-fs.XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw JobsTestingError("mkdtemp: \(String(cString: strerror(errno)))")
        }
        path = String(cString: made)
        fillerPath = path + "/filler"
        let result = try Command.run(
            BuiltBinaries.system("mount"), ["-t", "tmpfs", "-o", "size=\(kibibytes)k,mode=0755", "tmpfs", path])
        guard result.succeeded else {
            rmdir(path)
            throw JobsTestingError(
                "cannot mount a tmpfs on \(path) (status \(result.status)): \(result.errorOutput)")
        }
    }

    deinit {
        _ = try? remount(readOnly: false)
        _ = try? Command.run(BuiltBinaries.system("umount"), ["-l", path])
        rmdir(path)
    }

    /// Writes zeros to a filler file until the filesystem is full (ENOSPC); returns the bytes written.
    @discardableResult
    package func fill() throws -> Int {
        let descriptor = open(fillerPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw JobsTestingError("open \(fillerPath): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let block = [UInt8](repeating: 0, count: 4096)
        var total = 0
        while true {
            let written = block.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written > 0 {
                total += written
                continue
            }
            if written < 0 && errno == EINTR { continue }
            guard written < 0 && errno == ENOSPC else {
                throw JobsTestingError("writing \(fillerPath): \(String(cString: strerror(errno)))")
            }
            return total
        }
    }

    /// Removes the filler file: the space ``fill()`` took is free again.
    package func free() throws {
        guard unlink(fillerPath) == 0 || errno == ENOENT else {
            throw JobsTestingError("unlink \(fillerPath): \(String(cString: strerror(errno)))")
        }
    }

    /// Remounts the filesystem read-only or read-write (`mount -o remount,ro|rw`). Linux refuses to make it
    /// read-only while a process holds a file on it open for writing (EBUSY): that is an error here.
    package func remount(readOnly: Bool) throws {
        let result = try Command.run(
            BuiltBinaries.system("mount"), ["-o", "remount,\(readOnly ? "ro" : "rw")", path])
        guard result.succeeded else {
            throw JobsTestingError(
                "mount -o remount,\(readOnly ? "ro" : "rw") \(path) failed (status \(result.status)): \(result.errorOutput)")
        }
    }

    /// Bytes free on the filesystem now (`statvfs`).
    package var freeBytes: Int {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return -1 }
        return Int(info.f_bavail) * Int(info.f_frsize)
    }
}
