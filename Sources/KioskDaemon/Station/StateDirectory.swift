import Foundation
import KioskCore
import SystemIO

#if canImport(Glibc)
import Glibc
#endif

/// kioskd's state directory: created on first start (mode 0700, it will
/// hold residents' sealed applications) with its name made durable, and
/// locked so that one kioskd owns it — and with it the station's devices —
/// at a time.
public final class StateDirectory: Sendable {
    /// The absolute path.
    public let path: String
    private let lockFD: Int32

    /// Creates the directory if needed and takes its lock.
    /// - Throws: A ``StartupError`` that says what to do.
    public init(path: String) throws {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        do { try DurableFiles.createDirectories(absolute, mode: 0o700) } catch {
            throw StartupError("cannot create the state directory \(absolute): \(error); choose another with --state-dir or fix its parent's permissions")
        }
        guard access(absolute, W_OK) == 0 else {
            throw StartupError("the state directory \(absolute) is not writable by this user: fix its owner, or choose another with --state-dir")
        }
        let lockPath = absolute + "/kioskd.lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw StartupError("cannot open \(lockPath): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = read(fd, &buffer, buffer.count)
            let pid = String(decoding: buffer[0..<max(0, count)], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            close(fd)
            throw StartupError("another kioskd (pid \(pid.isEmpty ? "unknown" : pid)) is already running with the state directory \(absolute): stop it first, or give this one another --state-dir")
        }
        ftruncate(fd, 0)
        let pid = Array("\(getpid())\n".utf8)
        _ = pwrite(fd, pid, pid.count, 0)
        self.path = absolute
        self.lockFD = fd
        Self.tighten(absolute)
    }

    /// Makes the state directory 0700 and what lies in it 0700 (folders) or
    /// 0600 (files): a directory made by hand, or by an older kioskd, keeps
    /// whatever mode it had (0755 folders and 0644 databases were seen), and
    /// it holds residents' applications. Deeper entries are behind a 0700
    /// folder already (and a start need not walk 100,000 attachments); new
    /// ones are made under kioskd's umask, 077. Links are not followed;
    /// sockets and devices keep their modes.
    static func tighten(_ path: String) {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        for item in [path] + entries.map({ path + "/" + $0 }) {
            var info = stat()
            guard lstat(item, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR where info.st_mode & 0o7777 != 0o700: chmod(item, 0o700)
            case S_IFREG where info.st_mode & 0o7777 != 0o600: chmod(item, 0o600)
            default: break
            }
        }
    }

    deinit { close(lockFD) }

    /// Free space and writability, for `/healthz`.
    public func check() -> ComponentHealth {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else {
            return ComponentHealth(name: "state_dir", status: "error", detail: "\(path) cannot be examined: \(String(cString: strerror(errno)))")
        }
        let free = UInt64(stats.f_bavail) * UInt64(stats.f_frsize)
        let freeText = byteText(Int(clamping: free))
        guard access(path, W_OK) == 0 else {
            return ComponentHealth(name: "state_dir", status: "error", detail: "\(path) is not writable: fix its permissions")
        }
        if free < Self.pauseSpace {
            return ComponentHealth(name: "state_dir", status: "full", detail: "\(path): only \(freeText) free, too little to save an application: the kiosk is paused (no visit starts) until some space is freed")
        }
        if free < Self.lowSpace {
            return ComponentHealth(name: "state_dir", status: "low_space", detail: "\(path): only \(freeText) free; applications need room until they are forwarded: free some space")
        }
        return ComponentHealth(name: "state_dir", status: "ok", detail: "\(path), \(freeText) free")
    }

    /// Below this, `/healthz` warns: a day of a busy station's scans.
    static let lowSpace: UInt64 = 512 * 1024 * 1024
    /// Below this, no visit starts: room for a few visits' scans and the database's journal.
    static let pauseSpace: UInt64 = 64 * 1024 * 1024

    /// Whether the kiosk should take no visit: the disk cannot hold one more application, or the folder is not writable.
    var pauses: Bool {
        let health = check()
        return health.status == "full" || health.status == "error"
    }
}

