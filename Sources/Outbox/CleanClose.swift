import Foundation
import SystemIO

#if canImport(Glibc)
import Glibc
#endif

/// A note beside the database that kioskd closed it cleanly, and what the
/// file was then (inode, size, modification time to the nanosecond). A
/// database that still matches it, with no write-ahead log, is the one
/// kioskd left: the start's integrity check, which reads the whole file, is
/// skipped for it. After a power cut, a crash, a copy or any edit it does
/// not match, and the check runs.
enum CleanClose {
    static func notePath(_ directory: String) -> String { directory + "/outbox.closed-cleanly" }

    private static func identity(_ file: String) -> String? {
        var info = stat()
        guard stat(file, &info) == 0 else { return nil }
        return "kioskd-closed-cleanly 1 \(info.st_ino) \(info.st_size) \(info.st_mtim.tv_sec) \(info.st_mtim.tv_nsec)\n"
    }

    /// Notes the database as it is now, closed.
    static func record(_ directory: String) {
        guard let note = identity(directory + "/outbox.sqlite") else { return }
        try? DurableFiles.write(Array(note.utf8), to: notePath(directory))
    }

    /// Whether the database is as kioskd left it at a clean close.
    static func unchanged(_ directory: String) -> Bool {
        let database = directory + "/outbox.sqlite"
        var log = stat()
        if stat(database + "-wal", &log) == 0, log.st_size > 0 { return false }
        guard let note = try? String(contentsOfFile: notePath(directory), encoding: .utf8) else { return false }
        return note == identity(database)
    }
}
