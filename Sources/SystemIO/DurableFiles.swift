#if canImport(Glibc)
import Glibc
#endif

/// Files and folders that survive a power cut. POSIX makes a file's data
/// durable at its `fsync`, and a new name, a rename or an unlink only at its
/// directory's `fsync`; a power cut drops everything else, also on a kiosk's
/// first day. Everything kioskd creates and anything it depends on goes
/// through here.
///
///     try DurableFiles.createDirectories("/var/lib/kioskd/outbox/attachments", mode: 0o700)
///     try DurableFiles.write(Array(salt), to: "/var/lib/kioskd/lookup-salt")
public enum DurableFiles {
    /// Why a durable write or folder could not be made; `code` is the errno.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        /// The system's error number (`ENOSPC` for a full disk).
        public var code: Int32
        /// What was being done, and the system's words.
        public var description: String

        init(_ code: Int32, _ what: String) {
            self.code = code
            description = "\(what): \(String(cString: strerror(code)))"
        }

        /// Whether the disk (or the user's quota) is full.
        public var isDiskFull: Bool { code == ENOSPC || code == EDQUOT }
    }

    /// Creates `path` and any missing folder above it, each with `mode`, and
    /// makes every new name durable (its parent fsynced) before returning.
    /// Folders that exist are left as they are.
    public static func createDirectories(_ path: String, mode: mode_t = 0o700) throws(Failure) {
        var missing: [String] = []
        var current = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        while !current.isEmpty, !isDirectory(current) {
            missing.append(current)
            guard let slash = current.lastIndex(of: "/") else { break }
            current = slash == current.startIndex ? "/" : String(current[..<slash])
        }
        for directory in missing.reversed() {
            if mkdir(directory, mode) != 0, errno != EEXIST { throw Failure(errno, "creating the folder \(directory)") }
            // mkdir's mode passes through the umask: set the one asked for.
            _ = chmod(directory, mode)
            try syncDirectory(parent(of: directory))
        }
    }

    /// Writes `bytes` to `path` so that after a power cut there is either the
    /// whole new file or whatever was there before: a temporary name in the
    /// same folder, fsynced, renamed into place, the folder fsynced.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600) throws(Failure) {
        let result = bytes.withUnsafeBytes { buffer -> Failure? in
            do throws(Failure) {
                try writeLeavingDirectory(buffer, to: path, mode: mode)
                return nil
            } catch {
                return error
            }
        }
        if let result { throw result }
        try syncDirectory(parent(of: path))
    }

    /// Writes `bytes` to `path` by way of a temporary name, fsynced and renamed
    /// into place, but leaves the folder's fsync to the caller: several files
    /// in one folder need it once (``syncDirectory(_:)``).
    public static func writeLeavingDirectory(_ bytes: UnsafeRawBufferPointer, to path: String, mode: mode_t = 0o600) throws(Failure) {
        let name = path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
        let temporary = "\(parent(of: path))/.\(name).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Failure(errno, "creating \(temporary)") }
        var failure: Int32 = 0
        var offset = 0
        while offset < bytes.count, let base = bytes.baseAddress {
            let written = Glibc.write(fd, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                failure = errno
                break
            }
            offset += written
        }
        if failure == 0, fsync(fd) != 0 { failure = errno }
        close(fd)
        if failure == 0, rename(temporary, path) != 0 { failure = errno }
        if failure != 0 {
            unlink(temporary)
            throw Failure(failure, "writing \(path)")
        }
    }

    /// Makes the folder's entries (new, renamed and removed names) durable.
    public static func syncDirectory(_ path: String) throws(Failure) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(errno, "opening the folder \(path)") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw Failure(errno, "syncing the folder \(path)") }
    }

    /// Removes `path` and makes its removal durable.
    public static func remove(_ path: String) throws(Failure) {
        guard unlink(path) == 0 || errno == ENOENT else { throw Failure(errno, "removing \(path)") }
        try syncDirectory(parent(of: path))
    }

    /// The folder a path is in (`.` for a bare name).
    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    private static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }
}
