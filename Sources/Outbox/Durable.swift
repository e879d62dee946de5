import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Files that survive a power cut: written, fsynced, renamed into place, and
/// the directory fsynced, before anything refers to them.
enum Durable {
    /// Writes `data` to `directory/name` durably (a temporary name first, so a
    /// crash leaves either nothing or the whole file). The directory itself is
    /// fsynced separately, once for a batch of files (``syncDirectory(_:)``).
    static func write(_ data: Data, to directory: String, name: String) throws {
        let temporary = "\(directory)/.\(name).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw error(errno, "creating \(temporary)") }
        var failure: Int32 = 0
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += written
            }
        }
        if failure == 0, fsync(fd) != 0 { failure = errno }
        close(fd)
        if failure == 0, rename(temporary, "\(directory)/\(name)") != 0 { failure = errno }
        if failure != 0 {
            unlink(temporary)
            throw error(failure, "writing \(name)")
        }
    }

    /// Makes the directory's entries (new and renamed files) durable.
    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw error(errno, "opening \(path)") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw error(errno, "syncing \(path)") }
    }

    static func error(_ code: Int32, _ what: String) -> OutboxError {
        if code == ENOSPC || code == EDQUOT { return .diskFull }
        return OutboxError(.writeFailed, "the outbox could not save the application (\(what): \(String(cString: strerror(code)))); nothing was saved and no receipt was printed")
    }
}
