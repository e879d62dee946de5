import Foundation
import GRDB

// The outbox's rows as GRDB records: each table's columns named once, here, in
// the order Schema.swift's migrations give them. Reads and plain writes go
// through these; SQL by hand stays where it says more: the group commit
// (Enqueue.swift), what the forwarder takes next and the purge (Forwarding.swift),
// the summary's aggregates (StationCases.swift), the audit chain (AuditLog.swift).

/// A row of `application`: one application, sealed, and what became of it.
struct ApplicationRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "application"

    var id: Int64?
    var trackingNumber: String
    var idempotencyKey: String
    var serviceCode: String
    var serviceName: String
    var applicantMasked: String
    /// `queued`, `dead_letter` or `acknowledged` (``ApplicationState``).
    var state: String
    var createdAt: Double
    var attempts: Int
    var nextAttemptAt: Double?
    var lastError: String?
    var caseNumber: String?
    var acknowledgedAt: Double?
    var platformStatus: String?
    var platformStatusDetail: String?
    /// The sealed payload; nil once purged.
    var envelope: Data?
    var envelopeSha256: String
    var bytes: Int
    /// Why a maintainer must look at it (a row that did not read, files missing); the forwarder leaves it.
    var problem: String?
    var applicantKey: String?
    /// The receipt as printed, masked (JSON).
    var receipt: String?
    /// What the platform's latest 退回 asks for, one material a line.
    var requested: String?
    /// The EMS number of the result posted.
    var emsNumber: String?
    /// The fee the platform asks, in fen, and whether it says it is paid (1).
    var feeFen: Int?
    var feePaid: Int?

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, trackingNumber = "tracking_number", idempotencyKey = "idempotency_key", serviceCode = "service_code", serviceName = "service_name"
        case applicantMasked = "applicant_masked", state, createdAt = "created_at", attempts, nextAttemptAt = "next_attempt_at", lastError = "last_error"
        case caseNumber = "case_number", acknowledgedAt = "acknowledged_at", platformStatus = "platform_status"
        case platformStatusDetail = "platform_status_detail", envelope, envelopeSha256 = "envelope_sha256", bytes, problem
        case applicantKey = "applicant_key", receipt, requested, emsNumber = "ems_number", feeFen = "fee_fen", feePaid = "fee_paid"
    }
    typealias Columns = CodingKeys

    /// The application with this tracking number.
    static func numbered(_ tracking: String) -> QueryInterfaceRequest<ApplicationRow> {
        filter(Columns.trackingNumber == tracking)
    }

    /// Newest first, as the station's lists show them.
    static var newestFirst: QueryInterfaceRequest<ApplicationRow> {
        order(Columns.createdAt.desc, Columns.id.desc)
    }
}

/// A row of `attachment`: one sealed page file of an application, and how much of it the platform has.
struct AttachmentRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "attachment"

    var applicationId: Int64
    var position: Int
    var fileName: String
    var bytes: Int
    var sha256: String
    var uploadedBytes: Int

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case applicationId = "application_id", position, fileName = "file_name", bytes, sha256, uploadedBytes = "uploaded_bytes"
    }
    typealias Columns = CodingKeys
}

/// A row of `rating`: a resident's 好差评 of a case, kept until the platform has it.
struct RatingRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "rating"

    var trackingNumber: String
    var satisfaction: Int
    /// The reasons ticked, one a line.
    var reasons: String
    var ratedAt: Double
    var sentAt: Double?
    var lastError: String?
    /// The resident's own words, sealed to the platform's key.
    var comment: String?
    var commentId: String?

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case trackingNumber = "tracking_number", satisfaction, reasons, ratedAt = "rated_at", sentAt = "sent_at", lastError = "last_error"
        case comment, commentId = "comment_id"
    }
    typealias Columns = CodingKeys
}

/// A row of `case_event`: one event of the platform's stream, kept once under its id.
struct CaseEventRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "case_event"

    var id: Int64
    var trackingNumber: String?
    var caseNumber: String?
    var kind: String?
    var at: String?
    var detail: String?
    /// The materials asked for, one a line.
    var requested: String?
    var emsNumber: String?
    var feeFen: Int?
    /// `applied`, `waiting` (for its case's acknowledgement) or `flagged`.
    var state: String
    var problem: String?

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, trackingNumber = "tracking_number", caseNumber = "case_number", kind, at, detail, requested, emsNumber = "ems_number"
        case feeFen = "fee_fen", state, problem
    }
    typealias Columns = CodingKeys
}

/// A row of `receipt_print`: the receipt printer's journal of one receipt.
struct ReceiptPrintRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "receipt_print"

    var receiptId: String
    var state: String
    var updatedAt: Double

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case receiptId = "receipt_id", state, updatedAt = "updated_at"
    }
    typealias Columns = CodingKeys
}

/// A row of `agent_lockout`: an agent's wrong PINs and lock.
struct AgentLockoutRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "agent_lockout"

    var agentId: String
    var failures: Int
    var lockedUntil: Double?
    var locks: Int

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case agentId = "agent_id", failures, lockedUntil = "locked_until", locks
    }
    typealias Columns = CodingKeys
}
