import Foundation
import GRDB
import KioskCore
import Synchronization
import SystemIO

#if canImport(Glibc)
import Glibc
#endif

/// The highest tracking number the station has issued, kept in a file of its
/// own beside the outbox (`STATE_DIR/issued`) and written in place after
/// every commit, before any receipt. The database alone cannot tell it went
/// back: an outbox lost in a power cut, restored from an older copy or
/// deleted looks like a young one, and its next numbers would be numbers
/// residents already hold. Against the mark it shows.
///
/// The file is one fixed-size record (`kioskd-issued 1 20261203 00037`,
/// padded), overwritten in place and fdatasynced: no new name, no new block.
final class IssuedMark: Sendable {
    /// A day and the last sequence issued on it.
    struct Mark: Equatable, Comparable, CustomStringConvertible {
        /// `YYYYMMDD`.
        var day: String
        var sequence: Int

        static func < (a: Mark, b: Mark) -> Bool { (a.day, a.sequence) < (b.day, b.sequence) }
        var description: String { "\(day) number \(sequence)" }
    }

    let path: String
    private let fd: Int32
    private let last: Mutex<Mark?>
    private static let recordSize = 64

    /// Opens the mark, creating it (durably: its folder fsynced) when there is none.
    /// - Returns: the mark, and whether the file was just created.
    static func open(_ path: String) throws(OutboxError) -> (IssuedMark, created: Bool) {
        var created = true
        var fd = Glibc.open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0, errno == EEXIST {
            created = false
            fd = Glibc.open(path, O_RDWR | O_CLOEXEC)
        }
        guard fd >= 0 else { throw OutboxError(.cannotOpen, "cannot open the issued-numbers mark \(path): \(String(cString: strerror(errno)))") }
        var current: Mark?
        if created {
            guard write(nil, to: fd) else {
                let code = errno
                close(fd)
                unlink(path)
                throw code == ENOSPC ? .diskFull : OutboxError(.cannotOpen, "cannot write the issued-numbers mark \(path): \(String(cString: strerror(code)))")
            }
            do { try DurableFiles.syncDirectory(DurableFiles.parent(of: path)) } catch {
                close(fd)
                throw OutboxError(.cannotOpen, "the issued-numbers mark \(path) cannot be made durable: \(error)")
            }
        } else {
            var buffer = [UInt8](repeating: 0, count: recordSize)
            let count = pread(fd, &buffer, recordSize, 0)
            guard count >= 0, let record = parse(Array(buffer.prefix(count))) else {
                close(fd)
                throw OutboxError(.damagedRow, "the issued-numbers mark \(path) is damaged (it should read \"kioskd-issued 1 YYYYMMDD NNNNN\"): "
                                  + "check the outbox with `kioskctl queue` and `kioskctl audit verify`, then run `kioskctl queue accept-loss` to write it again from the outbox")
            }
            if case .issued(let mark) = record { current = mark }
        }
        return (IssuedMark(path: path, fd: fd, last: current), created)
    }

    private init(path: String, fd: Int32, last: Mark?) {
        self.path = path
        self.fd = fd
        self.last = Mutex(last)
    }

    deinit { close(fd) }

    /// The highest number issued, as the file says; nil before the first.
    var current: Mark? { last.withLock { $0 } }

    /// Raises the mark to `mark` (never lowers it), durably.
    /// - Returns: false when the file could not be written.
    @discardableResult
    func raise(to mark: Mark) -> Bool {
        last.withLock { last in
            guard last.map({ mark > $0 }) ?? true else { return true }
            guard Self.write(mark, to: fd) else { return false }
            last = mark
            return true
        }
    }

    private static func write(_ mark: Mark?, to fd: Int32) -> Bool {
        var text = mark.map { "kioskd-issued 1 \($0.day) \($0.sequence)" } ?? "kioskd-issued 1 none"
        text += String(repeating: " ", count: max(0, recordSize - 1 - text.utf8.count)) + "\n"
        let bytes = Array(text.utf8)
        return pwrite(fd, bytes, bytes.count, 0) == bytes.count && fdatasync(fd) == 0
    }

    /// What the file says.
    enum Record: Equatable {
        /// No number issued yet.
        case nothingIssued
        case issued(Mark)
    }

    /// The file's record; nil when it is not one (damaged).
    static func parse(_ bytes: [UInt8]) -> Record? {
        let words = String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isWhitespace).map(String.init)
        guard words.count >= 3, words[0] == "kioskd-issued", words[1] == "1" else { return nil }
        if words.count == 3, words[2] == "none" { return .nothingIssued }
        guard words.count == 4, CalendarDate(yyyymmdd: words[2]) != nil, let sequence = Int(words[3]), (1...99_999).contains(sequence) else { return nil }
        return .issued(Mark(day: words[2], sequence: sequence))
    }
}

extension Outbox {
    /// Holds the outbox against the mark at opening: a fresh mark takes the
    /// outbox's highest number (a kioskd from before the mark); a mark the
    /// outbox has no trace of means it went back, and nothing new may be issued.
    static func check(_ mark: IssuedMark, created: Bool, against pool: DatabasePool) throws -> String? {
        let highest = try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT day, last FROM tracking_sequence ORDER BY day DESC LIMIT 1")
                .map { IssuedMark.Mark(day: $0["day"], sequence: $0["last"]) }
        }
        guard let issued = mark.current else {
            // None issued by the mark's account: a new station, or one from before the mark; or the commit after it came before the power cut.
            if let highest { mark.raise(to: highest) }
            return nil
        }
        let held = try pool.read { db in try Int.fetchOne(db, sql: "SELECT last FROM tracking_sequence WHERE day = ?", arguments: [issued.day]) }
        if let held, held >= issued.sequence {
            if let highest { mark.raise(to: highest) }
            return nil
        }
        let what = held == nil ? "holds no number of \(issued.day) at all" : "holds numbers of \(issued.day) only up to \(held ?? 0)"
        return "the outbox \(what), but this station issued up to number \(issued.sequence) that day (\(mark.path)): the outbox was lost "
            + "(a power cut, a disk fault) or restored from an older copy, and receipted applications may be missing. Nothing new is accepted, "
            + "so no tracking number is issued twice. Restore the outbox if a newer copy exists; otherwise run `kioskctl queue accept-loss` "
            + "to go on with numbers after it, and take the missing applications again (the platform's list and the receipts say which)"
    }
}

extension Outbox {
    /// After the outbox went back (`kioskctl queue accept-loss`): takes every
    /// number the mark says was issued as used, so the next one is above them
    /// all, notes it in the audit trail, and writes the mark again from the
    /// outbox. kioskd is restarted after it. Returns what was done, for the maintainer.
    public static func acceptLoss(directory: String, issuedMarkPath path: String) throws -> String {
        let outbox = try attach(directory: directory)
        defer { try? outbox.close() }
        let text = FileManager.default.contents(atPath: path).map { [UInt8]($0) }
        let record = text.flatMap { IssuedMark.parse($0) }
        var said: String
        switch record {
        case .issued(let mark)?:
            try outbox.pool.write { db in
                try db.execute(sql: """
                    INSERT INTO tracking_sequence (day, last) VALUES (?, ?) ON CONFLICT(day) DO UPDATE SET last = MAX(last, excluded.last)
                    """, arguments: [mark.day, mark.sequence])
                try outbox.appendAudit(db, action: "numbers_skipped", trackingNumber: nil, actor: "maintainer",
                                       detail: "the outbox went back; numbers of \(mark.day) up to \(mark.sequence) are taken as issued (kioskctl queue accept-loss)")
            }
            said = "numbers of \(mark.day) up to \(mark.sequence) are taken as issued: the next application gets a higher one"
        case .nothingIssued?:
            said = "the issued-numbers mark says no number was issued: nothing to skip"
        case nil:
            try outbox.pool.write { db in
                try outbox.appendAudit(db, action: "numbers_mark_rewritten", trackingNumber: nil, actor: "maintainer",
                                       detail: "the issued-numbers mark was \(text == nil ? "missing" : "damaged"); written again from the outbox (kioskctl queue accept-loss)")
            }
            said = "the issued-numbers mark was \(text == nil ? "missing" : "damaged") and is written again from the outbox"
        }
        let highest = try outbox.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT day, last FROM tracking_sequence ORDER BY day DESC LIMIT 1")
                .map { IssuedMark.Mark(day: $0["day"], sequence: $0["last"]) }
        }
        try? FileManager.default.removeItem(atPath: path)
        let (mark, _) = try IssuedMark.open(path)
        if let highest { mark.raise(to: highest) }
        return said + "; restart kioskd (systemctl restart kioskd) to take applications again"
    }
}
