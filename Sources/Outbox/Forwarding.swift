import Foundation
import Crypto
import GRDB
import KioskCore

#if canImport(Glibc)
import Glibc
#endif

/// The forwarder's side of the outbox (``ForwardingQueue``): what is due,
/// its sealed parts, the platform's answers, ratings, case status, purge; and
/// the maintainer's retry and drain.
extension Outbox: ForwardingQueue {
    /// The sealed parts of a queued application, or nil when it is gone or purged.
    public func upload(_ tracking: TrackingNumber) throws -> SealedUpload? {
        try pool.read { db in
            guard let application = try ApplicationRow.numbered(tracking.value).fetchOne(db), let id = application.id,
                  let envelope = application.envelope else { return nil }
            let attachments = try AttachmentRow.filter(AttachmentRow.Columns.applicationId == id).order(AttachmentRow.Columns.position).fetchAll(db)
            return SealedUpload(
                trackingNumber: tracking, idempotencyKey: application.idempotencyKey, serviceCode: application.serviceCode, envelope: Array(envelope),
                envelopeSHA256: application.envelopeSha256,
                attachments: attachments.map {
                    SealedAttachment(position: $0.position, path: "\(attachmentsDirectory)/\($0.fileName)", bytes: $0.bytes, sha256: $0.sha256,
                                     uploadedBytes: $0.uploadedBytes)
                })
        }
    }

    /// Ratings whose case the platform has acknowledged and that are not sent yet.
    public func ratingsToSend(limit: Int = 20) throws -> [PendingRating] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT r.*, a.case_number FROM rating r JOIN application a ON a.tracking_number = r.tracking_number
                WHERE r.sent_at IS NULL AND a.case_number IS NOT NULL ORDER BY r.rated_at LIMIT ?
                """, arguments: [limit]).map { row in
                let rating = try RatingRow(row: row)
                return PendingRating(trackingNumber: rating.trackingNumber, caseNumber: row["case_number"], satisfaction: rating.satisfaction,
                                     reasons: rating.reasons.isEmpty ? [] : rating.reasons.components(separatedBy: "\n"),
                                     sealedComment: rating.comment.map { Array($0.utf8) }, commentID: rating.commentId, ratedAt: rating.ratedAt)
            }
        }
    }

    /// The platform has the rating (or had it already), or refused it for good (`error`).
    public func ratingSent(_ tracking: String, error: String? = nil) throws {
        try pool.write { db in
            _ = try RatingRow.filter(RatingRow.Columns.trackingNumber == tracking)
                .updateAll(db, RatingRow.Columns.sentAt.set(to: settings.now()), RatingRow.Columns.lastError.set(to: error))
            try appendAudit(db, action: error == nil ? "rating_sent" : "rating_refused", trackingNumber: tracking, actor: "platform", detail: error ?? "")
        }
    }

    /// Queued applications whose next attempt is due, oldest first; flagged ones are left to a maintainer.
    public func due(limit: Int = 20) throws -> [TrackingNumber] {
        let now = settings.now()
        return try readable(SQLRequest<Row>(sql: """
            SELECT id, tracking_number FROM application
            WHERE state = 'queued' AND problem IS NULL AND envelope IS NOT NULL AND COALESCE(next_attempt_at, 0) <= ?
            ORDER BY next_attempt_at, id LIMIT ?
            """, arguments: [now, limit]), Self.trackingNumber)
    }

    /// When the next queued application falls due (nil when none waits).
    public func nextDueAt() throws -> Double? {
        try pool.read { db in
            try Double.fetchOne(db, sql: "SELECT MIN(COALESCE(next_attempt_at, 0)) FROM application WHERE state = 'queued' AND problem IS NULL AND envelope IS NOT NULL")
        }
    }

    /// Records how much of an attachment the platform acknowledged.
    public func recordUploaded(_ tracking: TrackingNumber, position: Int, bytes: Int) throws {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE attachment SET uploaded_bytes = ? WHERE position = ? AND application_id = (SELECT id FROM application WHERE tracking_number = ?)
                """, arguments: [bytes, position, tracking.value])
        }
    }

    /// A failed attempt: when to try again, and why it failed.
    public func scheduleRetry(_ tracking: TrackingNumber, at time: Double, error: String) throws {
        try pool.write { db in
            _ = try ApplicationRow.numbered(tracking.value).filter(ApplicationRow.Columns.state == ApplicationState.queued.rawValue)
                .updateAll(db, ApplicationRow.Columns.attempts += 1, ApplicationRow.Columns.nextAttemptAt.set(to: time),
                           ApplicationRow.Columns.lastError.set(to: error))
        }
    }

    /// The platform accepted the application and gave its case number.
    public func acknowledge(_ tracking: TrackingNumber, caseNumber: String) throws {
        let now = settings.now()
        try pool.write { db in
            try db.execute(sql: """
                UPDATE application SET state = 'acknowledged', case_number = ?, acknowledged_at = ?, last_error = NULL, next_attempt_at = NULL,
                    platform_status = COALESCE(platform_status, '受理') WHERE tracking_number = ? AND state != 'acknowledged'
                """, arguments: [caseNumber, now, tracking.value])
            guard db.changesCount > 0 else { return }
            let attempts = try ApplicationRow.numbered(tracking.value).fetchOne(db)?.attempts ?? 0
            try appendAudit(db, action: "forwarded", trackingNumber: tracking.value, actor: "kiosk", detail: "uploaded after \(attempts) failed attempt(s)")
            try appendAudit(db, action: "acknowledged", trackingNumber: tracking.value, actor: "platform", detail: "case number \(caseNumber)")
            try applyWaitingEvents(db, tracking.value, caseNumber: caseNumber)
        }
    }

    /// The platform refused the application for good: it waits for a maintainer with the reason.
    public func deadLetter(_ tracking: TrackingNumber, reason: String) throws {
        try pool.write { db in
            let changed = try ApplicationRow.numbered(tracking.value).updateAll(
                db, ApplicationRow.Columns.state.set(to: ApplicationState.deadLetter.rawValue), ApplicationRow.Columns.attempts += 1,
                ApplicationRow.Columns.lastError.set(to: reason), ApplicationRow.Columns.nextAttemptAt.set(to: nil))
            if changed > 0 { try appendAudit(db, action: "dead_letter", trackingNumber: tracking.value, actor: "platform", detail: reason) }
        }
    }

    /// Puts a dead-lettered application back in the queue after its cause is
    /// fixed, or makes a queued one due now (`kioskctl queue retry`). False
    /// when there is nothing to retry: acknowledged, unknown, or its files are missing.
    @discardableResult
    public func retry(_ tracking: TrackingNumber) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE application SET state = 'queued', next_attempt_at = ?, attempts = 0
                WHERE tracking_number = ? AND state IN ('dead_letter', 'queued') AND problem IS NULL AND envelope IS NOT NULL
                """, arguments: [settings.now(), tracking.value])
            guard db.changesCount > 0 else { return false }
            // From the start: the platform's answers say how much it holds (it may have lost what it acknowledged).
            try db.execute(sql: "UPDATE attachment SET uploaded_bytes = 0 WHERE application_id = (SELECT id FROM application WHERE tracking_number = ?)",
                           arguments: [tracking.value])
            try appendAudit(db, action: "requeued", trackingNumber: tracking.value, actor: "maintainer", detail: "kioskctl queue retry")
            return true
        }
    }

    /// Makes every queued application due now and wakes the forwarder (`kioskctl
    /// queue drain`: a maintainer who fixed the link wants them gone before leaving).
    /// Dead letters stay: each needs its cause fixed first. Returns how many are queued.
    @discardableResult
    public func makeQueuedDue() throws -> Int {
        let queued = try pool.write { db in
            try db.execute(sql: "UPDATE application SET next_attempt_at = ? WHERE state = 'queued' AND next_attempt_at > ?", arguments: [settings.now(), settings.now()])
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM application WHERE state = 'queued'") ?? 0
        }
        changes.signal()
        return queued
    }

    /// Drops the sealed payload and attachment files of applications acknowledged
    /// longer than `purgeAfter` ago, and whole rows older than `retention`.
    /// Returns how many payloads and rows went.
    @discardableResult
    public func purge() throws -> (payloads: Int, rows: Int) {
        let now = settings.now()
        let files = try pool.read { db in
            try String.fetchAll(db, sql: """
                SELECT a.file_name FROM attachment a JOIN application p ON p.id = a.application_id
                WHERE p.state = 'acknowledged' AND p.envelope IS NOT NULL AND p.acknowledged_at < ?
                """, arguments: [now - settings.purgeAfter])
        }
        if !files.isEmpty { logger.debug("purging \(files.count) sealed attachment file(s)") }
        let result = try pool.write { db -> (Int, Int) in
            let purged = try String.fetchAll(db, sql: "SELECT tracking_number FROM application WHERE state = 'acknowledged' AND envelope IS NOT NULL AND acknowledged_at < ?",
                                             arguments: [now - settings.purgeAfter])
            let expired = try String.fetchAll(db, sql: "SELECT tracking_number FROM application WHERE state = 'acknowledged' AND created_at < ?",
                                              arguments: [now - settings.retention])
            for number in purged { try appendAudit(db, action: "purged", trackingNumber: number, actor: "kiosk", detail: "sealed payload and attachments removed") }
            for number in expired { try appendAudit(db, action: "removed", trackingNumber: number, actor: "kiosk", detail: "retention ended; row removed") }
            try db.execute(sql: """
                DELETE FROM attachment WHERE application_id IN
                    (SELECT id FROM application WHERE state = 'acknowledged' AND envelope IS NOT NULL AND acknowledged_at < ?)
                """, arguments: [now - settings.purgeAfter])
            try db.execute(sql: "UPDATE application SET envelope = NULL WHERE state = 'acknowledged' AND envelope IS NOT NULL AND acknowledged_at < ?",
                           arguments: [now - settings.purgeAfter])
            let payloads = db.changesCount
            try db.execute(sql: "DELETE FROM application WHERE state = 'acknowledged' AND created_at < ?", arguments: [now - settings.retention])
            let rows = db.changesCount
            try db.execute(sql: "DELETE FROM rating WHERE tracking_number NOT IN (SELECT tracking_number FROM application)")
            try db.execute(sql: "DELETE FROM receipt_print WHERE receipt_id NOT IN (SELECT tracking_number FROM application)")
            // A removed case's events go with it; of the flagged ones the newest 1,000 stay for a maintainer
            // (the cursor is past them: none comes back).
            try db.execute(sql: "DELETE FROM case_event WHERE tracking_number IS NOT NULL AND tracking_number NOT IN (SELECT tracking_number FROM application) AND state != 'flagged'")
            try db.execute(sql: "DELETE FROM case_event WHERE state = 'flagged' AND id NOT IN (SELECT id FROM case_event WHERE state = 'flagged' ORDER BY id DESC LIMIT 1000)")
            return (payloads, rows)
        }
        // The rows no longer refer to these files: remove them (a crash here leaves orphans that reconcile removes).
        for name in files { unlink("\(attachmentsDirectory)/\(name)") }
        // The overwritten pages into the database file and the log emptied, so the purged envelopes
        // are in neither (secure_delete zeroes them there); a busy reader only delays it to the next purge.
        if result.0 > 0 { _ = try? pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") } }
        return result
    }
}
