import Crypto
import Foundation
import GRDB
import KioskCore

/// The station's audit trail (全过程留痕): an append-only log of what happened
/// to each case here — created and sealed, scanned, receipted, forwarded,
/// acknowledged, status changes, rated, purged — and every agent action.
///
/// Each entry carries the SHA-256 of the previous one, so removing or editing
/// an entry breaks the chain where it happened, and `kioskctl audit verify`
/// says where. SQLite triggers refuse UPDATE and DELETE on the table, so only
/// someone editing the file directly can change it — and then the chain
/// shows it. Entries hold masked identifiers only.
///
/// A chain alone cannot show that its newest entries were cut off: compare
/// the head (`entries` and `head`) with a copy kept elsewhere.
public struct AuditEntry: Sendable, Equatable {
    /// Its place in the chain, from 1.
    public var sequence: Int
    /// Unix milliseconds.
    public var atMilliseconds: Int64
    /// The case it is about, if any.
    public var trackingNumber: String?
    /// Who acted, masked (`resident 张*三 3401**********123X`, `agent01 王*`, `platform`).
    public var actor: String
    /// What happened: `created`, `receipted`, `forwarded`, `acknowledged`, …
    public var action: String
    /// The particulars, masked.
    public var detail: String
    /// The hash of the entry before it (``genesis`` for the first).
    public var previousHash: String
    /// This entry's hash (``hash(previous:sequence:at:trackingNumber:actor:action:detail:)``).
    public var hash: String

    /// The hash an entry must carry: SHA-256 over its fields, each length-prefixed so no two entries encode alike.
    public static func hash(previous: String, sequence: Int, at: Int64, trackingNumber: String?, actor: String, action: String, detail: String) -> String {
        var text = ""
        for field in [previous, String(sequence), String(at), trackingNumber ?? "", actor, action, detail] {
            text += "\(field.utf8.count):\(field)\n"
        }
        return SHA256.hash(data: Data(text.utf8)).hex
    }

    /// The first entry's `previousHash`.
    public static let genesis = String(repeating: "0", count: 64)
}

/// What `kioskctl audit verify` found.
public struct AuditVerification: Sendable, Equatable {
    /// One break in the chain, located.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        /// The entry where the chain breaks.
        public var sequence: Int
        /// What is wrong there.
        public var description: String
    }
    /// How many entries were read.
    public var entries: Int
    /// The newest entry's sequence, to compare with a copy kept elsewhere.
    public var headSequence: Int
    /// The newest entry's hash.
    public var head: String
    /// Each break found, in order.
    public var problems: [Problem]
    /// Whether the chain has no break.
    public var intact: Bool { problems.isEmpty }

    /// Checks a chain read in sequence order.
    public static func verify(_ entries: [AuditEntry]) -> AuditVerification {
        var problems: [Problem] = []
        var expectedSequence = 1
        var previousHash = AuditEntry.genesis
        for entry in entries {
            if entry.sequence != expectedSequence {
                let missing = entry.sequence - expectedSequence
                let what = missing == 1 ? "entry \(expectedSequence) is missing" : "entries \(expectedSequence)–\(entry.sequence - 1) are missing"
                problems.append(Problem(sequence: entry.sequence, description: "\(what): \(expectedSequence == 1 ? "the log starts" : "entry \(expectedSequence - 1) is followed") at entry \(entry.sequence) (removed)"))
            } else if entry.previousHash != previousHash {
                problems.append(Problem(sequence: entry.sequence, description: "entry \(entry.sequence) does not link to the entry before it: an entry before it was removed, replaced or reordered"))
            }
            let recomputed = AuditEntry.hash(previous: entry.previousHash, sequence: entry.sequence, at: entry.atMilliseconds, trackingNumber: entry.trackingNumber,
                                             actor: entry.actor, action: entry.action, detail: entry.detail)
            if recomputed != entry.hash {
                problems.append(Problem(sequence: entry.sequence, description: "entry \(entry.sequence) (\(entry.action)) was altered: its contents do not match its hash"))
            }
            expectedSequence = entry.sequence + 1
            previousHash = entry.hash
        }
        return AuditVerification(entries: entries.count, headSequence: entries.last?.sequence ?? 0, head: entries.last?.hash ?? AuditEntry.genesis, problems: problems)
    }
}

extension Outbox {
    static func registerAuditMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("2026-11-27 audit log") { db in
            try db.execute(sql: """
                CREATE TABLE audit_log (
                    sequence INTEGER PRIMARY KEY,
                    at_ms INTEGER NOT NULL,
                    tracking_number TEXT,
                    actor TEXT NOT NULL,
                    action TEXT NOT NULL,
                    detail TEXT NOT NULL,
                    previous_hash TEXT NOT NULL,
                    hash TEXT NOT NULL
                );
                CREATE INDEX audit_log_case ON audit_log(tracking_number);
                CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
                    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                """)
        }
    }

    /// Appends an entry inside the caller's transaction, chained to the newest one.
    func appendAudit(_ db: Database, action: String, trackingNumber: String?, actor: String, detail: String) throws {
        var head = try chainHead(db)
        try appendAudit(db, after: &head, action: action, trackingNumber: trackingNumber, actor: actor, detail: detail)
    }

    /// The newest entry's sequence and hash, inside the caller's transaction.
    func chainHead(_ db: Database) throws -> (sequence: Int, hash: String) {
        let last = try Row.fetchOne(db.cachedStatement(sql: "SELECT sequence, hash FROM audit_log ORDER BY sequence DESC LIMIT 1"))
        return (last?["sequence"] ?? 0, last?["hash"] ?? AuditEntry.genesis)
    }

    /// Appends an entry after `head` (read in this transaction), which then becomes the new entry:
    /// a group commit reads the chain's head once for all its entries.
    func appendAudit(_ db: Database, after head: inout (sequence: Int, hash: String), action: String, trackingNumber: String?, actor: String, detail: String) throws {
        let sequence = head.sequence + 1
        let at = Int64((settings.now() * 1000).rounded())
        let hash = AuditEntry.hash(previous: head.hash, sequence: sequence, at: at, trackingNumber: trackingNumber, actor: actor, action: action, detail: detail)
        try db.cachedStatement(sql: """
            INSERT INTO audit_log (sequence, at_ms, tracking_number, actor, action, detail, previous_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [sequence, at, trackingNumber, actor, action, detail, head.hash, hash])
        head = (sequence, hash)
    }

    /// Appends what the session or an agent did (`SessionEffect.audit`).
    public func audit(_ note: AuditNote) throws {
        try pool.write { db in
            try appendAudit(db, action: note.action, trackingNumber: note.trackingNumber, actor: note.actor, detail: note.detail)
        }
    }

    /// The log in order, all of it or one case's.
    public func auditEntries(trackingNumber: String? = nil) throws -> [AuditEntry] {
        try pool.read { db in
            let rows = if let trackingNumber {
                try Row.fetchAll(db, sql: "SELECT * FROM audit_log WHERE tracking_number = ? ORDER BY sequence", arguments: [trackingNumber])
            } else {
                try Row.fetchAll(db, sql: "SELECT * FROM audit_log ORDER BY sequence")
            }
            return rows.map { row in
                AuditEntry(sequence: row["sequence"], atMilliseconds: row["at_ms"], trackingNumber: row["tracking_number"], actor: row["actor"],
                           action: row["action"], detail: row["detail"], previousHash: row["previous_hash"], hash: row["hash"])
            }
        }
    }

    /// The newest entry's sequence and hash (cheap; the heartbeat sends it so a cut-off tail shows at the platform).
    public func auditHead() throws -> (sequence: Int, hash: String)? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT sequence, hash FROM audit_log ORDER BY sequence DESC LIMIT 1").map { ($0["sequence"], $0["hash"]) }
        }
    }

    /// Checks the whole chain.
    public func verifyAudit() throws -> AuditVerification {
        AuditVerification.verify(try auditEntries())
    }
}
