import Foundation
import GRDB
import KioskCore

/// What the station reads back from the outbox: applications in the clear as
/// far as the station may see them, the summary, receipts kept for a reprint,
/// ratings kept until sent.
extension Outbox: ApplicationStore {
    /// An application in the clear, as the station may see it.
    public func application(_ tracking: TrackingNumber) throws -> QueuedApplication? {
        try pool.read { db in try Row.fetchOne(db, ApplicationRow.numbered(tracking.value)).map(Self.queued) }
    }

    public func platformCaseNumber(_ tracking: TrackingNumber) throws -> String? {
        try pool.read { db in try String.fetchOne(db, ApplicationRow.numbered(tracking.value).select(ApplicationRow.Columns.caseNumber)) }
    }

    /// Every application, newest first.
    public func applications(limit: Int = 1000) throws -> [QueuedApplication] {
        try readable(ApplicationRow.newestFirst.limit(limit), Self.queued)
    }

    /// Keeps a resident's rating of a case until the platform has it. One per
    /// case: a second is ignored. The level and reasons are from fixed lists;
    /// a comment, in the resident's own words, is kept sealed to the platform's key.
    public func recordRating(_ rating: Rating) throws {
        var commentID: String?, sealed: String?
        if let comment = rating.comment {
            let id = UUID().uuidString.lowercased()
            let record = try JSONSerialization.data(withJSONObject: ["comment": comment], options: [.sortedKeys])
            sealed = String(decoding: try seal(record: Array(record), binding: id), as: UTF8.self)
            commentID = id
        }
        try pool.write { db in
            try RatingRow(trackingNumber: rating.trackingNumber, satisfaction: rating.level.rawValue, reasons: rating.reasons.joined(separator: "\n"),
                          ratedAt: rating.at, comment: sealed, commentId: commentID).insert(db, onConflict: .ignore)
        }
        changes.signal()
    }

    /// Keeps the receipt as printed (masked: nothing personal), so an agent can print it again.
    public func keepReceipt(_ receipt: Receipt) throws {
        let json = String(decoding: try JSONEncoder().encode(receipt), as: UTF8.self)
        try pool.write { db in
            _ = try ApplicationRow.numbered(receipt.trackingNumber).filter(ApplicationRow.Columns.receipt == nil)
                .updateAll(db, ApplicationRow.Columns.receipt.set(to: json))
        }
    }

    /// The receipt kept for a case, if one was printed.
    public func keptReceipt(_ tracking: String) throws -> Receipt? {
        let json = try pool.read { db in try String.fetchOne(db, ApplicationRow.numbered(tracking).select(ApplicationRow.Columns.receipt)) }
        return try json.map { try JSONDecoder().decode(Receipt.self, from: Data($0.utf8)) }
    }

    /// A resident's applications at this station, newest first, found by their lookup key (我的办件).
    public func cases(applicantKey: String, limit: Int = 50) throws -> [QueuedApplication] {
        try readable(ApplicationRow.newestFirst.filter(ApplicationRow.Columns.applicantKey == applicantKey).limit(limit), Self.queued)
    }

    /// The station's applications for an agent, newest first (masked; nothing personal).
    public func stationCases(limit: Int = 200) throws -> [QueuedApplication] {
        try applications(limit: limit)
    }

    /// Applications the platform does not have yet (queued and dead letters), oldest first.
    public func unsettled(limit: Int = 50) throws -> [QueuedApplication] {
        try readable(ApplicationRow.filter(ApplicationRow.Columns.state != ApplicationState.acknowledged.rawValue)
            .order(ApplicationRow.Columns.createdAt, ApplicationRow.Columns.id).limit(limit), Self.queued)
    }

    /// What a request's rows read as (`decode`: ``queued(_:)``, ``trackingNumber(_:)``).
    /// A row that does not read (damaged, or edited by hand) is left out and
    /// flagged, so one bad row neither hides the others nor crashes kioskd.
    func readable<Value>(_ request: some FetchRequest, _ decode: (Row) throws -> Value) throws -> [Value] {
        var damaged: [Int64: String] = [:]
        let values = try pool.read { db in
            try Row.fetchAll(db, request).compactMap { row -> Value? in
                do { return try decode(row) } catch {
                    if let id = row["id"] as Int64? { damaged[id] = "\(error)" }
                    return nil
                }
            }
        }
        try flagDamaged(damaged)
        return values
    }

    /// Marks damaged application rows as a maintainer's problem: the forwarder
    /// leaves them, `kioskctl status` counts them, the others go on.
    func flagDamaged(_ damaged: [Int64: String]) throws {
        guard !damaged.isEmpty else { return }
        let newlyFlagged = try pool.write { db in
            try damaged.reduce(0) { flagged, item in
                try flagged + ApplicationRow.filter(ApplicationRow.Columns.id == item.key && ApplicationRow.Columns.problem == nil)
                    .updateAll(db, ApplicationRow.Columns.problem.set(to: item.value))
            }
        }
        guard newlyFlagged > 0 else { return }
        logger.error("\(damaged.count) application row(s) do not read and were flagged (ids \(damaged.keys.sorted().map(String.init).joined(separator: ", "))): the database was damaged or edited by hand; see `kioskctl queue` and `kioskctl audit verify`")
    }

    /// An application row as the station may see it; a row that does not read
    /// (a value missing or of the wrong kind, a tracking number that is not one)
    /// is an error, not a crash.
    static func queued(_ row: Row) throws -> QueuedApplication {
        try reading(row) { row in
            let record = try ApplicationRow(row: row)
            var application = QueuedApplication(
                trackingNumber: try parsedTrackingNumber(row), idempotencyKey: record.idempotencyKey, serviceCode: record.serviceCode,
                serviceName: record.serviceName, applicantMasked: record.applicantMasked, state: ApplicationState(rawValue: record.state) ?? .queued,
                createdAt: record.createdAt, attempts: record.attempts, nextAttemptAt: record.nextAttemptAt, lastError: record.lastError,
                caseNumber: record.caseNumber, platformStatus: record.platformStatus, platformStatusDetail: record.platformStatusDetail,
                bytes: record.bytes, sealedPayloadPresent: record.envelope != nil, problem: record.problem)
            application.requested = record.requested?.split(separator: "\n").map(String.init) ?? []
            application.emsNumber = record.emsNumber
            application.fee = record.feeFen.map { CaseFee(fen: $0, paid: record.feePaid == 1) }
            return application
        }
    }

    /// A row's tracking number, or an error naming the row.
    static func trackingNumber(_ row: Row) throws -> TrackingNumber {
        try reading(row, parsedTrackingNumber)
    }

    private static func parsedTrackingNumber(_ row: Row) throws -> TrackingNumber {
        let text: String = try row.decode(forColumn: "tracking_number")
        guard let trackingNumber = try? TrackingNumber(text) else {
            throw OutboxError(.damagedRow, "its tracking number \"\(text.prefix(40))\" is not one")
        }
        return trackingNumber
    }

    /// `decode`'s reading of an application row; what goes wrong is a damaged-row error that names the row and what to do.
    private static func reading<Value>(_ row: Row, _ decode: (Row) throws -> Value) throws -> Value {
        do { return try decode(row) } catch {
            let id = (try? row.decode(Int64?.self, forColumn: "id")).flatMap { $0 }.map(String.init) ?? "?"
            let what = (error as? OutboxError)?.description ?? "\(error)"
            throw OutboxError(.damagedRow, "application row \(id) does not read (\(what)): the database was damaged or edited by hand; see `kioskctl audit verify`")
        }
    }

    /// Counts by state, the oldest queued application's age, bytes waiting, the last error.
    public func summary() throws -> Summary {
        let now = settings.now()
        return try pool.read { db in
            var counts: [ApplicationState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM application GROUP BY state") {
                if let state = ApplicationState(rawValue: row["state"]) { counts[state] = row["n"] }
            }
            let waiting = try Row.fetchOne(db, sql: "SELECT MIN(created_at) AS oldest, COALESCE(SUM(bytes), 0) AS bytes FROM application WHERE state = 'queued'")
            let oldest = waiting?["oldest"] as Double?
            let bytes = waiting?["bytes"] as Int? ?? 0
            let lastError = try String.fetchOne(db, sql: "SELECT last_error FROM application WHERE last_error IS NOT NULL AND state != 'acknowledged' ORDER BY next_attempt_at DESC LIMIT 1")
            let flagged = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM application WHERE problem IS NOT NULL") ?? 0
            return Summary(counts: counts, oldestQueuedSeconds: oldest.map { now - $0 }, bytesWaiting: bytes, lastError: lastError, flagged: flagged)
        }
    }
}
