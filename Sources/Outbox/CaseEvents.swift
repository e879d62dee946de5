import Crypto
import Foundation
import GRDB
import KioskCore

/// The platform's events about the station's cases (docs/platform-api.yaml,
/// `GET /v1/stations/{station}/events`), applied to the applications they
/// name. A page's effects and the cursor past it are written in one
/// transaction (synchronous=FULL): after a power cut or a SIGKILL the station
/// asks again from the cursor it kept, and an event it had applied already is
/// recognised by its id and changes nothing. So each event takes effect once.
extension Outbox {
    /// The id of the last event applied (0 before the first).
    public func caseEventCursor() throws -> Int64 {
        try pool.read(Self.cursor)
    }

    private static func cursor(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT last_event_id FROM case_event_cursor WHERE id = 1") ?? 0
    }

    @discardableResult
    public func applyCaseEvents(_ page: CaseEventPage) throws -> AppliedCaseEvents {
        // 10,000 events in a round (docs/benchmarks.md): each statement prepared once, the audit chain's head read once.
        let result = try pool.write { db -> AppliedCaseEvents in
            var result = AppliedCaseEvents()
            var head = try chainHead(db)
            let cursor = try Self.cursor(db)
            for (id, flaw) in page.flawed {
                result.flagged += 1
                // Without an id it cannot be kept; it is in the log, and the cursor passes it.
                guard let id, id > cursor else { continue }
                try CaseEventRow(id: id, state: "flagged", problem: flaw.description).insert(db, onConflict: .ignore)
            }
            let seen = try db.cachedStatement(sql: "SELECT 1 FROM case_event WHERE id = ?")
            let held = try db.cachedStatement(sql: "SELECT state, case_number FROM application WHERE tracking_number = ?")
            let keep = try db.cachedStatement(sql: """
                INSERT INTO case_event (id, tracking_number, case_number, kind, at, detail, requested, ems_number, fee_fen, state, problem)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for event in page.events {
                guard event.id > cursor, try Int.fetchOne(seen, arguments: [event.id]) == nil else {
                    result.repeated += 1
                    continue
                }
                var row = CaseEventRow(event)
                let application = try Row.fetchOne(held, arguments: [event.trackingNumber.value])
                let caseNumber: String? = application?["case_number"]
                if let application, application["state"] == ApplicationState.acknowledged.rawValue {
                    if caseNumber == event.caseNumber {
                        try apply(db, event, after: &head)
                    } else {
                        row.state = "flagged"
                        row.problem = "it names case \(event.caseNumber), the station holds \(caseNumber ?? "none") under this tracking number"
                    }
                } else if application != nil {
                    // The platform has it, the station has not heard so yet (its answer was lost): the event
                    // waits for the acknowledgement, which applies it if the case numbers agree.
                    row.state = "waiting"
                } else {
                    row.state = "flagged"
                    row.problem = "the station holds no case under this tracking number (never filed here, or removed after its retention)"
                }
                try keep.execute(arguments: [row.id, row.trackingNumber, row.caseNumber, row.kind, row.at, row.detail, row.requested, row.emsNumber, row.feeFen,
                                             row.state, row.problem])
                if row.state == "flagged" { result.flagged += 1 } else { result.applied += 1 }
            }
            try db.execute(sql: """
                INSERT INTO case_event_cursor (id, last_event_id) VALUES (1, ?)
                ON CONFLICT (id) DO UPDATE SET last_event_id = MAX(last_event_id, excluded.last_event_id)
                """, arguments: [page.last])
            return result
        }
        if result.flagged > 0 {
            logger.warning("\(result.flagged) case event(s) from the platform were flagged and skipped: see `kioskctl queue events --flagged`")
        }
        return result
    }

    /// Applies the events that waited for `tracking`'s acknowledgement, in order, inside its transaction.
    func applyWaitingEvents(_ db: Database, _ tracking: String, caseNumber: String) throws {
        var head = try chainHead(db)
        for row in try CaseEventRow.filter(CaseEventRow.Columns.trackingNumber == tracking && CaseEventRow.Columns.state == "waiting")
            .order(CaseEventRow.Columns.id).fetchAll(db) {
            var row = row
            if let event = row.event, event.caseNumber == caseNumber {
                try apply(db, event, after: &head)
                row.state = "applied"
            } else {
                row.state = "flagged"
                row.problem = "it names case \(row.caseNumber ?? "?"), the platform acknowledged the application as \(caseNumber)"
            }
            try row.update(db)
        }
    }

    /// What the event does to its application, and the audit entry that says so (after `head`, which it becomes).
    private func apply(_ db: Database, _ event: CaseEvent, after head: inout (sequence: Int, hash: String)) throws {
        let number = event.trackingNumber.value
        var audited: String
        // Only a change is worth an entry (the 受理 that follows an acknowledgement changes nothing).
        if let status = event.kind.status {
            let requested = event.requestedColumn
            try db.cachedStatement(sql: """
                UPDATE application SET platform_status = ?1, platform_status_detail = ?2, requested = ?3, ems_number = COALESCE(?4, ems_number)
                WHERE tracking_number = ?5 AND (platform_status IS NOT ?1 OR platform_status_detail IS NOT ?2 OR requested IS NOT ?3
                                                OR (?4 IS NOT NULL AND ems_number IS NOT ?4))
                """).execute(arguments: [status, event.detail, requested, event.emsNumber, number])
            // The entry holds the detail's digest (the row holds the text): a platform that sends
            // event after event with a long detail cannot grow the trail by its text.
            audited = status + (event.detail.map { " (detail of \($0.count) characters, sha256 \(Self.shortDigest($0)))" } ?? "")
            if let ems = event.emsNumber { audited += ", EMS \(ems)" }
        } else {
            let paid = event.kind == .feePaid
            try db.cachedStatement(sql: "UPDATE application SET fee_fen = ?1, fee_paid = ?2 WHERE tracking_number = ?3 AND (fee_fen IS NOT ?1 OR fee_paid IS NOT ?2)")
                .execute(arguments: [event.feeFen, paid ? 1 : 0, number])
            audited = "\(paid ? "fee paid" : "fee due"): \(event.feeFen ?? 0) fen"
        }
        guard db.changesCount > 0 else { return }
        try appendAudit(db, after: &head, action: event.kind.status == nil ? "fee" : "status", trackingNumber: number, actor: "platform",
                        detail: "event \(event.id): \(audited)")
    }

    private static func shortDigest(_ text: String) -> String {
        String(SHA256.hash(data: Data(text.utf8)).hex.prefix(16))
    }

    /// Events kept, newest first (`kioskctl queue events`); `flagged` only the flagged ones.
    public func caseEvents(flagged: Bool = false, limit: Int = 100) throws -> [(id: Int64, trackingNumber: String?, kind: String?, state: String, problem: String?)] {
        try pool.read { db in
            var request = CaseEventRow.order(CaseEventRow.Columns.id.desc).limit(limit)
            if flagged { request = request.filter(CaseEventRow.Columns.state == "flagged") }
            return try request.fetchAll(db).map { ($0.id, $0.trackingNumber, $0.kind, $0.state, $0.problem) }
        }
    }
}

extension CaseEventRow {
    /// A flagged event without its fields.
    init(id: Int64, state: String, problem: String) {
        self.init(id: id, trackingNumber: nil, caseNumber: nil, kind: nil, at: nil, detail: nil, requested: nil, emsNumber: nil, feeFen: nil,
                  state: state, problem: problem)
    }

    /// An event as kept, applied until said otherwise.
    init(_ event: CaseEvent) {
        self.init(id: event.id, trackingNumber: event.trackingNumber.value, caseNumber: event.caseNumber, kind: event.kind.rawValue, at: event.at,
                  detail: event.detail, requested: event.requestedColumn, emsNumber: event.emsNumber,
                  feeFen: event.feeFen, state: "applied", problem: nil)
    }

    /// The event again, checked as it was when it came; nil for a flagged one.
    var event: CaseEvent? {
        guard let trackingNumber, let caseNumber, let kind, let at else { return nil }
        return try? CaseEvent(id: id, trackingNumber: trackingNumber, caseNumber: caseNumber, kind: kind, at: at, detail: detail,
                              requested: requested?.split(separator: "\n").map(String.init) ?? [], emsNumber: emsNumber, feeFen: feeFen)
    }
}

extension CaseEvent {
    /// The materials asked for as a column keeps them: one a line, nil for none.
    var requestedColumn: String? { requested.isEmpty ? nil : requested.joined(separator: "\n") }
}
