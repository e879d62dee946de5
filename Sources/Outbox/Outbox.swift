import Crypto
import Foundation
import GRDB
import KioskCore
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The station's durable, sealed queue of applications (SQLite through GRDB,
/// WAL, `synchronous=FULL`).
///
/// `enqueue` seals the application, writes its sealed attachment files
/// (fsynced, then their directory), and only then commits one transaction
/// that stores the row, mints the tracking number and records the
/// idempotency key. When `enqueue` returns, the application survives a power
/// cut: a receipt may be printed. Concurrent enqueues share a transaction
/// (group commit) without weakening that for any of them.
///
/// On opening, attachment files no committed row refers to are removed (a
/// crash before commit) and rows whose files are missing are flagged, never
/// dropped.
public final class Outbox: ApplicationOutbox, Sendable {
    /// How the outbox behaves.
    public struct Settings: Sendable {
        /// The station's code (6–12 digits), unique in the province: the tracking numbers' prefix.
        public var stationCode: String
        /// How long the sealed payload stays after the platform acknowledged it.
        public var purgeAfter: Double = 24 * 3600
        /// How long the row (tracking number, case number, status) stays for the station's case list.
        public var retention: Double = 90 * 24 * 3600
        /// The clock, in Unix seconds (injected by tests).
        public var now: @Sendable () -> Double = { Date().timeIntervalSince1970 }

        /// Settings for a station.
        public init(stationCode: String) { self.stationCode = stationCode }
    }

    /// Counts and ages for `kioskctl queue` and `/healthz`.
    public struct Summary: Sendable, Equatable {
        public var counts: [ApplicationState: Int]
        public var oldestQueuedSeconds: Double?
        public var bytesWaiting: Int
        public var lastError: String?
        public var flagged: Int
    }

    /// The outbox's folder (`STATE_DIR/outbox`).
    public let directory: String
    let attachmentsDirectory: String
    let pool: DatabasePool
    let settings: Settings
    /// Nil without the platform's key: then nothing can be sealed.
    private let senders: SenderPool?
    private let logger: Logger
    private let commits = Mutex(PendingCommits())
    private let transactions = Mutex(0)

    /// Signalled after every commit that queues something, so the forwarder starts at once.
    public let changes = Wakeup()

    /// Enqueue transactions committed since opening (group commit puts several applications in one).
    public var committedTransactions: Int { transactions.withLock { $0 } }

    /// Applications sealed and written, waiting for their transaction (tests watch it).
    var waitingToCommit: Int { commits.withLock { $0.waiting.count } }

    /// Opens (creating if needed) the outbox in `directory`. Without the
    /// platform's key nothing can be sealed, so `enqueue` refuses, but what is
    /// queued can still be forwarded and listed.
    public convenience init(directory: String, platformKey: PlatformPublicKey?, settings: Settings, logger: Logger = Logger(label: "kioskd.outbox")) throws {
        try self.init(directory: directory, platformKey: platformKey, settings: settings, logger: logger, owner: true)
        try reconcile()
    }

    /// Opens an existing outbox next to the kioskd that owns it, for
    /// `kioskctl queue`: it reads and changes rows, and never touches files
    /// (kioskd may be writing attachments of an application not yet committed).
    public static func attach(directory: String) throws -> Outbox {
        guard FileManager.default.fileExists(atPath: directory + "/outbox.sqlite") else {
            throw OutboxError("there is no outbox in \(directory): is the state directory right (--state-dir), and has kioskd run there?")
        }
        let outbox = try Outbox(directory: directory, platformKey: nil, settings: Settings(stationCode: "000000"), logger: Logger(label: "kioskctl"), owner: false)
        guard try outbox.pool.read({ try migrator.hasCompletedMigrations($0) }) else {
            try? outbox.close()
            throw OutboxError("the outbox in \(directory) has an older layout than this kioskctl knows: start the new kioskd once (it upgrades it), then try again")
        }
        return outbox
    }

    private init(directory: String, platformKey: PlatformPublicKey?, settings: Settings, logger: Logger, owner: Bool) throws {
        self.directory = directory
        attachmentsDirectory = directory + "/attachments"
        senders = platformKey.map { SenderPool(recipient: $0) }
        self.settings = settings
        self.logger = logger
        if owner {
            do {
                try FileManager.default.createDirectory(atPath: attachmentsDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw OutboxError("cannot create the outbox folder \(attachmentsDirectory): \((error as NSError).localizedDescription)")
            }
        }
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // 512 KB of pages per connection, not SQLite's 2 MB: the pool has a writer and up to five
            // readers, each cache grows with the database, and the kernel caches the file anyway.
            try db.execute(sql: "PRAGMA cache_size = -512")
        }
        configuration.busyMode = .timeout(10)
        do {
            pool = try DatabasePool(path: directory + "/outbox.sqlite", configuration: configuration)
            // DatabasePool sets synchronous=NORMAL on its writer after prepareDatabase ran: set FULL again.
            try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
            if owner { try Self.migrator.migrate(pool) }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_FULL {
            throw OutboxError(Durable.diskFull, diskFull: true)
        } catch {
            throw OutboxError("cannot open the outbox database in \(directory): \(error)")
        }
    }

    /// The writer connection's `synchronous` setting (2 = FULL), for the test that it holds.
    public func writerSynchronousSetting() throws -> Int {
        try pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// Seals a record (JSON) so only the platform can open it: a resident's
    /// consent to an e-certificate lookup, a complainant's contact.
    public func seal(record: Data, binding: String) throws -> Data {
        guard let senders else { throw OutboxError("nothing can be sealed: the platform's public key (platform.public_key) was not readable when kioskd started") }
        return try Sealer.sealRecord(record, binding: binding, sender: senders.take())
    }

    /// Whether applications can be sealed (the platform's key was given).
    public var canSeal: Bool { senders != nil }

    /// Closes the database cleanly (kioskd's shutdown).
    public func close() throws { try pool.close() }

    // MARK: Schema

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("2026-11-26 create applications and attachments") { db in
            try db.execute(sql: """
                CREATE TABLE application (
                    id INTEGER PRIMARY KEY,
                    tracking_number TEXT NOT NULL UNIQUE,
                    idempotency_key TEXT NOT NULL UNIQUE,
                    service_code TEXT NOT NULL,
                    service_name TEXT NOT NULL,
                    applicant_masked TEXT NOT NULL,
                    state TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at REAL,
                    last_error TEXT,
                    case_number TEXT,
                    acknowledged_at REAL,
                    platform_status TEXT,
                    platform_status_detail TEXT,
                    envelope BLOB,
                    envelope_sha256 TEXT NOT NULL,
                    bytes INTEGER NOT NULL,
                    problem TEXT
                );
                CREATE INDEX application_due ON application(state, next_attempt_at);
                CREATE TABLE attachment (
                    application_id INTEGER NOT NULL REFERENCES application(id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    file_name TEXT NOT NULL UNIQUE,
                    bytes INTEGER NOT NULL,
                    sha256 TEXT NOT NULL,
                    uploaded_bytes INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (application_id, position)
                );
                CREATE TABLE tracking_sequence (day TEXT PRIMARY KEY, last INTEGER NOT NULL);
                """)
        }
        registerAuditMigration(&migrator)
        migrator.registerMigration("2026-11-27 applicant lookup key") { db in
            try db.execute(sql: """
                ALTER TABLE application ADD COLUMN applicant_key TEXT;
                CREATE INDEX application_applicant ON application(applicant_key) WHERE applicant_key IS NOT NULL;
                """)
        }
        migrator.registerMigration("2026-11-27 ratings") { db in
            // 好差评, one per case; sent once the platform has given the case its number.
            try db.execute(sql: """
                CREATE TABLE rating (
                    tracking_number TEXT PRIMARY KEY,
                    satisfaction INTEGER NOT NULL,
                    reasons TEXT NOT NULL,
                    rated_at REAL NOT NULL,
                    sent_at REAL,
                    last_error TEXT
                )
                """)
        }
        migrator.registerMigration("2026-11-27 receipts kept for reprinting") { db in
            // The receipt as printed: masked, nothing personal (docs/outbox.md).
            try db.execute(sql: "ALTER TABLE application ADD COLUMN receipt TEXT")
        }
        migrator.registerMigration("2026-11-27 summary from indexes") { db in
            // /healthz, kioskctl status and every metrics scrape ask for the summary: with
            // 100,000 queued, scanning the table (envelopes and all) took 140 ms. The due
            // index now also covers the age and the bytes waiting; the last error and the
            // flagged rows have partial indexes (empty while all is well, so enqueues pay nothing).
            try db.execute(sql: """
                DROP INDEX application_due;
                CREATE INDEX application_due ON application(state, next_attempt_at, created_at, bytes);
                CREATE INDEX application_flagged ON application(id) WHERE problem IS NOT NULL;
                CREATE INDEX application_erred ON application(next_attempt_at) WHERE last_error IS NOT NULL AND state != 'acknowledged';
                """)
        }
        return migrator
    }

    // MARK: Enqueue

    private struct PendingCommits {
        var waiting: [Pending] = []
        var committing = false
    }

    struct Pending: Sendable {
        var idempotencyKey: String
        var serviceCode: String
        var serviceName: String
        var applicantMasked: String
        var applicantKey: String?
        var envelope: Data
        var envelopeSHA256: String
        var attachments: [(fileName: String, bytes: Int, sha256: String)]
        var createdAt: Double
        var continuation: CheckedContinuation<TrackingNumber, any Error>
    }

    public func enqueue(_ submission: ApplicationSubmission) async throws -> TrackingNumber {
        guard let senders else {
            throw OutboxError("applications cannot be sealed: the platform's public key (platform.public_key) was not readable when kioskd started; install it and restart kioskd. Nothing was saved and no receipt was printed")
        }
        let key = Self.newIdempotencyKey()
        let sealing = try Sealer.Session(submission, binding: key, sender: senders.take())
        let pages = submission.attachments.map(\.data)
        let files: [(fileName: String, bytes: Int, sha256: String)]
        logger.debug("writing \(pages.count) sealed attachment(s)")
        do {
            files = try await writeSealed(pages, sealing: sealing, key: key)
            if !files.isEmpty { try Durable.syncDirectory(attachmentsDirectory) }
        } catch {
            removeFiles(pages.indices.map { Self.fileName(key: key, index: $0) })
            throw error
        }
        let masked = Masking.name(submission.applicantName)
        let now = settings.now()
        do {
            return try await withCheckedThrowingContinuation { continuation in
                let pending = Pending(idempotencyKey: key, serviceCode: submission.serviceCode, serviceName: submission.serviceName,
                                      applicantMasked: masked, applicantKey: submission.applicantLookupKey, envelope: sealing.envelope, envelopeSHA256: SHA256.hash(data: sealing.envelope).hex, attachments: files, createdAt: now, continuation: continuation)
                let lead = commits.withLock { state -> Bool in
                    state.waiting.append(pending)
                    defer { state.committing = true }
                    return !state.committing
                }
                // The first to arrive commits, on its own thread: no hop on the single-enqueue path.
                if lead { commitWaiting() }
            }
        } catch {
            removeFiles(files.map(\.fileName))
            throw error
        }
    }

    static func fileName(key: String, index: Int) -> String { "\(key)-\(index).sealed" }

    /// A random (version 4) UUID, lowercase, from the kernel's generator
    /// (getrandom). Foundation's `UUID()` opens, reads and closes /dev/urandom
    /// each time: three more system calls on every enqueue's path.
    static func newIdempotencyKey() -> String {
        var random = SystemRandomNumberGenerator()
        var words = (random.next() as UInt64, random.next() as UInt64)
        return withUnsafeMutableBytes(of: &words) { b in
            b[6] = b[6] & 0x0F | 0x40  // version 4
            b[8] = b[8] & 0x3F | 0x80  // the RFC 9562 variant
            return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15])).uuidString.lowercased()
        }
    }

    /// Seals, hashes and durably writes the pages, two or more at a time (one
    /// per core), so sealing one page overlaps writing another.
    private func writeSealed(_ pages: [[UInt8]], sealing: Sealer.Session, key: String) async throws -> [(fileName: String, bytes: Int, sha256: String)] {
        guard !pages.isEmpty else { return [] }
        let width = min(pages.count, max(2, ProcessInfo.processInfo.activeProcessorCount))
        let directory = attachmentsDirectory
        return try await withThrowingTaskGroup(of: (Int, String, Int, String).self) { group in
            var next = 0
            func start() {
                let index = next, page = pages[index]
                next += 1
                group.addTask {
                    let sealed = try sealing.seal(page: page, index: index)
                    let name = Self.fileName(key: key, index: index)
                    try Durable.write(sealed, to: directory, name: name)
                    return (index, name, sealed.count, SHA256.hash(data: sealed).hex)
                }
            }
            while next < width { start() }
            var files = [(fileName: String, bytes: Int, sha256: String)?](repeating: nil, count: pages.count)
            for try await (index, name, bytes, sha) in group {
                files[index] = (name, bytes, sha)
                if next < pages.count { start() }
            }
            return files.map { $0! }
        }
    }

    /// Commits whatever waits, one transaction at a time, until nothing does:
    /// applications that arrive during a commit go together in the next one.
    private func commitWaiting() {
        while true {
            let batch = commits.withLock { state -> [Pending] in
                if state.waiting.isEmpty {
                    state.committing = false
                    return []
                }
                defer { state.waiting.removeAll() }
                return state.waiting
            }
            if batch.isEmpty { return }
            let day = CalendarDate(unixSeconds: batch[0].createdAt)
            logger.debug("committing \(batch.count) application(s)")
            do {
                let numbers = try pool.write { db in
                    // The batch's numbers minted by one statement, the audit chain's head read once.
                    let first = try self.mintSequences(batch.count, day: day, db)
                    var head = try self.chainHead(db)
                    return try batch.enumerated().map { offset, pending in
                        let number = TrackingNumber(station: self.settings.stationCode, date: day, sequence: first + offset)
                        try self.insert(pending, number: number, audit: &head, db)
                        return number
                    }
                }
                transactions.withLock { $0 += 1 }
                changes.signal()
                for (pending, number) in zip(batch, numbers) { pending.continuation.resume(returning: number) }
            } catch let error as DatabaseError where error.resultCode == .SQLITE_FULL {
                for pending in batch { pending.continuation.resume(throwing: OutboxError(Durable.diskFull, diskFull: true)) }
            } catch {
                let failure = OutboxError("the outbox could not save the application (\(error)); nothing was saved and no receipt was printed")
                for pending in batch { pending.continuation.resume(throwing: failure) }
            }
        }
    }

    /// Takes `count` sequence numbers of `day`; returns the first.
    private func mintSequences(_ count: Int, day: CalendarDate, _ db: Database) throws -> Int {
        // Cached statements: compiling SQL is a good part of an enqueue's CPU time.
        let last = try Int.fetchOne(db.cachedStatement(sql: """
            INSERT INTO tracking_sequence (day, last) VALUES (?, ?)
            ON CONFLICT(day) DO UPDATE SET last = last + excluded.last RETURNING last
            """), arguments: [day.yyyymmdd, count])!
        // The number has room for 99,999 a day; a station never comes close, but a trap here would take kioskd down.
        guard last <= 99_999 else {
            throw OutboxError("this station has issued 99,999 tracking numbers today, all a day can have: the application was not saved and no receipt was printed; more can be taken tomorrow (is something submitting in a loop?)")
        }
        return last - count + 1
    }

    private func insert(_ pending: Pending, number: TrackingNumber, audit head: inout (sequence: Int, hash: String), _ db: Database) throws {
        let bytes = pending.envelope.count + pending.attachments.reduce(0) { $0 + $1.bytes }
        try db.cachedStatement(sql: """
            INSERT INTO application (tracking_number, idempotency_key, service_code, service_name, applicant_masked, applicant_key, state, created_at,
                                     next_attempt_at, envelope, envelope_sha256, bytes)
            VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?)
            """).execute(arguments: [number.value, pending.idempotencyKey, pending.serviceCode, pending.serviceName, pending.applicantMasked, pending.applicantKey,
                             pending.createdAt, pending.createdAt, pending.envelope, pending.envelopeSHA256, bytes])
        let id = db.lastInsertedRowID
        for (position, file) in pending.attachments.enumerated() {
            try db.cachedStatement(sql: "INSERT INTO attachment (application_id, position, file_name, bytes, sha256) VALUES (?, ?, ?, ?, ?)")
                .execute(arguments: [id, position, file.fileName, file.bytes, file.sha256])
        }
        // One entry for the one transaction: what was asked for, and what was sealed and kept.
        try appendAudit(db, after: &head, action: "created", trackingNumber: number.value, actor: "applicant \(pending.applicantMasked)",
                        detail: "\(pending.serviceCode) \(pending.serviceName); sealed: envelope sha256 \(pending.envelopeSHA256.prefix(16)), \(pending.attachments.count) attachment(s), \(bytes) bytes")
    }

    private func removeFiles(_ names: [String]) {
        for name in names { unlink("\(attachmentsDirectory)/\(name)") }
    }

    // MARK: Reconcile

    /// Removes attachment files no committed row refers to, and flags rows whose files are missing.
    func reconcile() throws {
        let present = Set((try? FileManager.default.contentsOfDirectory(atPath: attachmentsDirectory)) ?? [])
        let referenced = try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT a.file_name, a.application_id, p.tracking_number FROM attachment a JOIN application p ON p.id = a.application_id
                WHERE p.envelope IS NOT NULL
                """)
        }
        let referencedNames = Set(referenced.map { $0["file_name"] as String })
        var removed = 0
        for name in present where !referencedNames.contains(name) {
            unlink("\(attachmentsDirectory)/\(name)")
            removed += 1
        }
        if removed > 0 { logger.notice("removed \(removed) attachment file(s) that no saved application refers to (left by a crash while saving or purging)") }
        var missing: [String: [String]] = [:]
        for row in referenced where !present.contains(row["file_name"] as String) {
            missing[row["tracking_number"] as String, default: []].append(row["file_name"])
        }
        guard !missing.isEmpty else { return }
        try pool.write { db in
            for (tracking, files) in missing {
                try db.execute(sql: "UPDATE application SET problem = ? WHERE tracking_number = ?",
                               arguments: ["sealed attachment files are missing: \(files.sorted().joined(separator: ", ")); the application cannot be sent as it is", tracking])
            }
        }
        logger.error("\(missing.count) application(s) have missing attachment files: see `kioskctl queue`")
    }

    // MARK: Reading

    /// An application in the clear, as the station may see it.
    public func application(_ tracking: TrackingNumber) throws -> QueuedApplication? {
        try pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM application WHERE tracking_number = ?", arguments: [tracking.value]).map(Self.queued) }
    }

    /// Every application, newest first.
    public func applications(limit: Int = 1000) throws -> [QueuedApplication] {
        try pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM application ORDER BY created_at DESC, id DESC LIMIT ?", arguments: [limit]).map(Self.queued) }
    }

    /// Keeps a resident's rating of a case until the platform has it. One per
    /// case: a second is ignored. Nothing personal is in it.
    public func recordRating(_ rating: Rating) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO rating (tracking_number, satisfaction, reasons, rated_at) VALUES (?, ?, ?, ?)",
                           arguments: [rating.trackingNumber, rating.level.rawValue, rating.reasons.joined(separator: "\n"), rating.at])
        }
        changes.signal()
    }

    /// A rating ready to send: its case has the platform's number.
    public struct PendingRating: Sendable, Equatable {
        public var trackingNumber: String
        public var caseNumber: String
        public var satisfaction: Int
        public var reasons: [String]
        /// Unix seconds.
        public var ratedAt: Double
    }

    /// Ratings whose case the platform has acknowledged and that are not sent yet.
    public func ratingsToSend(limit: Int = 20) throws -> [PendingRating] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT r.*, a.case_number FROM rating r JOIN application a ON a.tracking_number = r.tracking_number
                WHERE r.sent_at IS NULL AND a.case_number IS NOT NULL ORDER BY r.rated_at LIMIT ?
                """, arguments: [limit]).map { row in
                let reasons: String = row["reasons"]
                return PendingRating(trackingNumber: row["tracking_number"], caseNumber: row["case_number"], satisfaction: row["satisfaction"],
                                     reasons: reasons.isEmpty ? [] : reasons.components(separatedBy: "\n"), ratedAt: row["rated_at"])
            }
        }
    }

    /// The platform has the rating (or had it already), or refused it for good (`error`).
    public func ratingSent(_ tracking: String, error: String? = nil) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE rating SET sent_at = ?, last_error = ? WHERE tracking_number = ?", arguments: [settings.now(), error, tracking])
            try appendAudit(db, action: error == nil ? "rating_sent" : "rating_refused", trackingNumber: tracking, actor: "platform", detail: error ?? "")
        }
    }

    /// Keeps the receipt as printed (masked: nothing personal), so an agent can print it again.
    public func keepReceipt(_ receipt: Receipt) throws {
        let json = String(decoding: try JSONEncoder().encode(receipt), as: UTF8.self)
        try pool.write { db in
            try db.execute(sql: "UPDATE application SET receipt = ? WHERE tracking_number = ? AND receipt IS NULL", arguments: [json, receipt.trackingNumber])
        }
    }

    /// The receipt kept for a case, if one was printed.
    public func keptReceipt(_ tracking: String) throws -> Receipt? {
        let json = try pool.read { db in try String.fetchOne(db, sql: "SELECT receipt FROM application WHERE tracking_number = ?", arguments: [tracking]) }
        return try json.map { try JSONDecoder().decode(Receipt.self, from: Data($0.utf8)) }
    }

    /// A resident's cases at this station, newest first, found by their lookup key (我的办件).
    public func cases(applicantKey: String, limit: Int = 50) throws -> [CaseSummary] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM application WHERE applicant_key = ? ORDER BY created_at DESC, id DESC LIMIT ?", arguments: [applicantKey, limit])
                .map { Self.summary(Self.queued($0)) }
        }
    }

    /// The station's cases for an agent, newest first (masked; nothing personal).
    public func stationCases(limit: Int = 200) throws -> [CaseSummary] {
        try applications(limit: limit).map(Self.summary)
    }

    /// A case as the resident or the agent sees it: the platform's status once it has one.
    static func summary(_ application: QueuedApplication) -> CaseSummary {
        let status: SessionText
        var detail = application.platformStatusDetail.map(SessionText.asGiven)
        switch application.state {
        case .queued:
            status = SessionText(.caseQueued)
            detail = SessionText(.caseQueuedDetail)
        case .deadLetter:
            status = SessionText(.caseDeadLetter)
            detail = SessionText(.caseDeadLetterDetail)
        case .acknowledged:
            status = application.platformStatus.map(SessionText.platformStatus) ?? SessionText(.caseAccepted)
        }
        return CaseSummary(trackingNumber: application.trackingNumber.value, serviceName: application.serviceName,
                           applicantMasked: application.applicantMasked, status: status, detail: detail, caseNumber: application.caseNumber)
    }

    /// Applications the platform does not have yet (queued and dead letters), oldest first.
    public func unsettled(limit: Int = 50) throws -> [QueuedApplication] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM application WHERE state != 'acknowledged' ORDER BY created_at, id LIMIT ?", arguments: [limit]).map(Self.queued)
        }
    }

    static func queued(_ row: Row) -> QueuedApplication {
        QueuedApplication(
            trackingNumber: try! TrackingNumber(row["tracking_number"]), idempotencyKey: row["idempotency_key"], serviceCode: row["service_code"],
            serviceName: row["service_name"], applicantMasked: row["applicant_masked"], state: ApplicationState(rawValue: row["state"]) ?? .queued,
            createdAt: row["created_at"], attempts: row["attempts"], nextAttemptAt: row["next_attempt_at"], lastError: row["last_error"],
            caseNumber: row["case_number"], platformStatus: row["platform_status"], platformStatusDetail: row["platform_status_detail"],
            bytes: row["bytes"], sealedPayloadPresent: (row["envelope"] as Data?) != nil, problem: row["problem"])
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

// MARK: - What the forwarder needs

extension Outbox {
    /// An application's sealed parts, ready to upload.
    public struct Upload: Sendable {
        public var trackingNumber: TrackingNumber
        public var idempotencyKey: String
        public var serviceCode: String
        public var envelope: Data
        public var envelopeSHA256: String
        public var attachments: [UploadAttachment]
    }

    /// One sealed attachment file and how much of it the platform has acknowledged.
    public struct UploadAttachment: Sendable {
        public var position: Int
        public var path: String
        public var bytes: Int
        public var sha256: String
        public var uploadedBytes: Int
    }

    /// The sealed parts of a queued application, or nil when it is gone or purged.
    public func upload(_ tracking: TrackingNumber) throws -> Upload? {
        try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM application WHERE tracking_number = ?", arguments: [tracking.value]),
                  let envelope = row["envelope"] as Data? else { return nil }
            let attachments = try Row.fetchAll(db, sql: "SELECT * FROM attachment WHERE application_id = ? ORDER BY position", arguments: [row["id"] as Int64])
            return Upload(
                trackingNumber: tracking, idempotencyKey: row["idempotency_key"], serviceCode: row["service_code"], envelope: envelope,
                envelopeSHA256: row["envelope_sha256"],
                attachments: attachments.map {
                    UploadAttachment(position: $0["position"], path: "\(attachmentsDirectory)/\($0["file_name"] as String)", bytes: $0["bytes"],
                                     sha256: $0["sha256"], uploadedBytes: $0["uploaded_bytes"])
                })
        }
    }
}

// MARK: - Forwarding, status and purge

extension Outbox {
    /// Queued applications whose next attempt is due, oldest first; flagged ones are left to a maintainer.
    public func due(limit: Int = 20) throws -> [TrackingNumber] {
        let now = settings.now()
        return try pool.read { db in
            try String.fetchAll(db, sql: """
                SELECT tracking_number FROM application
                WHERE state = 'queued' AND problem IS NULL AND envelope IS NOT NULL AND COALESCE(next_attempt_at, 0) <= ?
                ORDER BY next_attempt_at, id LIMIT ?
                """, arguments: [now, limit]).map { try TrackingNumber($0) }
        }
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
            try db.execute(sql: "UPDATE application SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE tracking_number = ? AND state = 'queued'",
                           arguments: [time, error, tracking.value])
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
            let attempts = try Int.fetchOne(db, sql: "SELECT attempts FROM application WHERE tracking_number = ?", arguments: [tracking.value]) ?? 0
            try appendAudit(db, action: "forwarded", trackingNumber: tracking.value, actor: "kiosk", detail: "uploaded after \(attempts) failed attempt(s)")
            try appendAudit(db, action: "acknowledged", trackingNumber: tracking.value, actor: "platform", detail: "case number \(caseNumber)")
        }
    }

    /// The platform refused the application for good: it waits for a maintainer with the reason.
    public func deadLetter(_ tracking: TrackingNumber, reason: String) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE application SET state = 'dead_letter', attempts = attempts + 1, last_error = ?, next_attempt_at = NULL WHERE tracking_number = ?",
                           arguments: [reason, tracking.value])
            if db.changesCount > 0 { try appendAudit(db, action: "dead_letter", trackingNumber: tracking.value, actor: "platform", detail: reason) }
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

    /// Acknowledged applications whose status may still change (not 办结 or 退回).
    public func openCases(limit: Int = 100) throws -> [TrackingNumber] {
        try pool.read { db in
            try String.fetchAll(db, sql: """
                SELECT tracking_number FROM application WHERE state = 'acknowledged' AND COALESCE(platform_status, '') NOT IN ('办结', '退回')
                ORDER BY acknowledged_at LIMIT ?
                """, arguments: [limit]).map { try TrackingNumber($0) }
        }
    }

    /// The platform's latest word on a case.
    public func updateStatus(_ tracking: TrackingNumber, status: String, detail: String?) throws {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE application SET platform_status = ?, platform_status_detail = ?
                WHERE tracking_number = ? AND (platform_status IS NOT ? OR platform_status_detail IS NOT ?)
                """, arguments: [status, detail, tracking.value, status, detail])
            // Status sync asks again and again; only a change is worth an entry.
            if db.changesCount > 0 {
                try appendAudit(db, action: "status", trackingNumber: tracking.value, actor: "platform", detail: detail.map { "\(status): \($0)" } ?? status)
            }
        }
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
            return (payloads, rows)
        }
        // The rows no longer refer to these files: remove them (a crash here leaves orphans that reconcile removes).
        for name in files { unlink("\(attachmentsDirectory)/\(name)") }
        return result
    }
}
