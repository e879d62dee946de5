import Crypto
import Foundation
import GRDB
import KioskCore
import Logging
import Synchronization
import SystemIO

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
///
///     let outbox = try Outbox(directory: state + "/outbox", platformKey: key, settings: .init(stationCode: "340104001"))
///     let number = try await outbox.enqueue(submission)   // durable: the receipt may print
///
/// Its parts, by who uses them: Schema.swift (the tables and their
/// migrations), Enqueue.swift (sealing and group commit), Forwarding.swift
/// (the forwarder's queue, status and purge), StationCases.swift (what the
/// station reads back: cases, receipts kept, ratings, the summary), and
/// AuditLog.swift (the hash-chained audit trail).
public final class Outbox: Sendable {
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
        /// Where the highest tracking number issued is kept, apart from the
        /// database (`STATE_DIR/issued`); nil keeps none (tests, tools).
        public var issuedMarkPath: String?

        /// Settings for a station.
        public init(stationCode: String) { self.stationCode = stationCode }
    }

    /// Counts and ages for `kioskctl queue` and `/healthz`.
    public struct Summary: Sendable, Equatable {
        /// Applications by state.
        public var counts: [ApplicationState: Int]
        /// How long the oldest queued application has waited, in seconds.
        public var oldestQueuedSeconds: Double?
        /// Bytes of sealed payload and attachments still to send.
        public var bytesWaiting: Int
        /// The newest error among applications the platform does not have yet.
        public var lastError: String?
        /// Applications flagged for a maintainer (their files are missing).
        public var flagged: Int
    }

    /// The outbox's folder (`STATE_DIR/outbox`).
    public let directory: String
    let attachmentsDirectory: String
    let pool: DatabasePool
    let settings: Settings
    /// Nil without the platform's key: then nothing can be sealed.
    private let installedKey: Mutex<PlatformPublicKey?>
    var platformKey: PlatformPublicKey? { installedKey.withLock { $0 } }
    /// The highest number handed to an enqueue, by day (YYYYMMDD), committed or
    /// not yet: the next is above it and above the database's (numbers are
    /// minted before sealing, which binds them).
    let minted = Mutex<[String: Int]>([:])
    let logger: Logger
    let commits = Mutex(PendingCommits())
    /// Whether this kioskd owns the outbox (kioskctl attaches to it).
    private let owner: Bool
    /// Whether opening read the whole database for damage (not for a new one, or one unchanged since a clean close).
    public let checkedIntegrity: Bool
    let transactions = Mutex(0)
    let issued: IssuedMark?

    /// Why nothing new is accepted, when the outbox holds less than the
    /// station issued (``OutboxError/Code/wentBack``); nil when all is well.
    public let wentBack: String?

    /// Signalled after every commit that queues something, so the forwarder starts at once.
    public let changes = Wakeup()
    /// The station's code, whose applications and case events these are.
    public var stationCode: String { settings.stationCode }

    /// Enqueue transactions committed since opening (group commit puts several applications in one).
    public var committedTransactions: Int { transactions.withLock { $0 } }

    /// Applications sealed and written and not yet committed: waiting for a transaction, or in the
    /// one under way (tests watch it).
    var uncommitted: Int { commits.withLock { $0.waiting.count + $0.inTransaction } }

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
            throw OutboxError(.notFound, "there is no outbox in \(directory): is the state directory right (--state-dir), and has kioskd run there?")
        }
        let outbox = try Outbox(directory: directory, platformKey: nil, settings: Settings(stationCode: "000000"), logger: Logger(label: "kioskctl"), owner: false)
        guard try outbox.pool.read({ try migrator.hasCompletedMigrations($0) }) else {
            try? outbox.close()
            throw OutboxError(.wrongLayout, "the outbox in \(directory) has an older layout than this kioskctl knows: start the new kioskd once (it upgrades it), then try again")
        }
        return outbox
    }

    private init(directory: String, platformKey: PlatformPublicKey?, settings: Settings, logger: Logger, owner: Bool) throws {
        self.directory = directory
        attachmentsDirectory = directory + "/attachments"
        installedKey = Mutex(platformKey)
        self.settings = settings
        self.logger = logger
        self.owner = owner
        if owner {
            // The folders' names durable before anything is written in them (a kiosk's first day too).
            do { try DurableFiles.createDirectories(attachmentsDirectory, mode: 0o700) } catch {
                throw error.isDiskFull ? .diskFull : OutboxError(.cannotOpen, "cannot create the outbox folder \(attachmentsDirectory): \(error)")
            }
        }
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // 512 KB of pages per connection, not SQLite's 2 MB: the pool has a writer and up to five
            // readers, each cache grows with the database, and the kernel caches the file anyway.
            try db.execute(sql: "PRAGMA cache_size = -512")
            // Purged envelopes (the wrapped keys) are overwritten, not left in free pages for whoever copies the disk.
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        configuration.busyMode = .timeout(10)
        do {
            checkedIntegrity = owner ? try Self.checkIntact(directory) : false
            pool = try DatabasePool(path: directory + "/outbox.sqlite", configuration: configuration)
            // DatabasePool sets synchronous=NORMAL on its writer after prepareDatabase ran: set FULL again.
            try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
            if owner {
                try Self.migrator.migrate(pool)
                // SQLite makes its WAL's name durable itself, but not the database's.
                try DurableFiles.syncDirectory(directory)
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_FULL {
            throw OutboxError.diskFull
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB {
            throw OutboxError.damaged(directory, error.message ?? "\(error.resultCode)")
        } catch let error as OutboxError {
            throw error
        } catch {
            throw OutboxError(.cannotOpen, "cannot open the outbox database in \(directory): \(error)")
        }
        var issued: IssuedMark?, wentBack: String?
        if owner, let path = settings.issuedMarkPath {
            do {
                let (mark, created) = try IssuedMark.open(path)
                issued = mark
                wentBack = try Self.check(mark, created: created, against: pool)
            } catch let error as OutboxError where error.code == .damagedRow {
                wentBack = error.description
            }
            if let wentBack { logger.critical("new applications are refused: \(wentBack)") }
        }
        self.issued = issued
        self.wentBack = wentBack
    }

    /// Refuses a damaged database before the pool opens it: opening a pool
    /// writes (GRDB makes sure the WAL exists), and damage must be left
    /// exactly as it was found for whoever recovers it. Read-only, so nothing
    /// is written to the file.
    /// Skipped (false) for a new database and for one unchanged since a clean close (``CleanClose``).
    private static func checkIntact(_ directory: String) throws -> Bool {
        let path = directory + "/outbox.sqlite"
        guard FileManager.default.fileExists(atPath: path), !CleanClose.unchanged(directory) else { return false }
        var readOnly = Configuration()
        readOnly.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: readOnly)
        defer { try? queue.close() }
        let check = try queue.read { try String.fetchAll($0, sql: "PRAGMA quick_check") }
        if check != ["ok"] { throw OutboxError.damaged(directory, check.prefix(3).joined(separator: "; ")) }
        return true
    }

    /// The writer connection's `synchronous` setting (2 = FULL), for the test that it holds.
    public func writerSynchronousSetting() throws -> Int {
        try pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// Seals a record (JSON) so only the platform can open it: a resident's
    /// consent to an e-certificate lookup, a complainant's contact.
    public func seal(record: [UInt8], binding: String) throws -> [UInt8] {
        guard let platformKey else {
            throw OutboxError(.noPlatformKey, "nothing can be sealed: the platform's public key (platform.public_key) is not installed or not readable")
        }
        return Array(try Sealer.sealRecord(Data(record), binding: binding, sender: platformKey.sender(info: Sealer.recordInfo)))
    }

    /// Installs the platform's key an outbox opened without: from now on applications are sealed to it.
    public func install(platformKey key: PlatformPublicKey) {
        installedKey.withLock { $0 = key }
    }

    /// Whether applications can be sealed (the platform's key was given).
    public var canSeal: Bool { platformKey != nil }

    /// Closes the database cleanly (kioskd's shutdown).
    public func close() throws {
        // Everything into the database file and the log emptied, so the next start finds the file as noted.
        let checkpointed = owner && (try? pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }) != nil
        try pool.close()
        if checkpointed { CleanClose.record(directory) }
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
                let problem = "sealed attachment files are missing: \(files.sorted().joined(separator: ", ")); the application cannot be sent as it is"
                _ = try ApplicationRow.numbered(tracking).updateAll(db, ApplicationRow.Columns.problem.set(to: problem))
            }
        }
        logger.error("\(missing.count) application(s) have missing attachment files: see `kioskctl queue`")
    }
}
