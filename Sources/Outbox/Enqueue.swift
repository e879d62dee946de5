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

/// Enqueue and group commit: the one path by which an application becomes durable.
extension Outbox {
    struct PendingCommits {
        var waiting: [Pending] = []
        var committing = false
        /// The size of the batch in the transaction under way.
        var inTransaction = 0
    }

    struct Pending: Sendable {
        var number: TrackingNumber
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

    /// Seals and queues an application; returns its tracking number once it
    /// is durable, and not before. In order: its tracking number is minted
    /// (above every number handed out, committed or not); the personal data is
    /// sealed with a fresh key wrapped to the platform's and bound to the
    /// station and that number; each page is sealed and written to its own
    /// file, fsynced, then their directory; then one transaction
    /// (`synchronous=FULL`) stores the row, its number and idempotency key,
    /// raises the day's sequence and appends the audit entry. Applications
    /// arriving while a transaction commits share the next one (group commit).
    /// A number minted for an application that is then not saved is never
    /// given to anyone: a gap, not a duplicate.
    ///
    /// - Throws: ``OutboxError`` with ``OutboxError/Code/diskFull`` when the disk
    ///   is full, ``OutboxError/Code/noPlatformKey`` without the platform's key,
    ///   ``OutboxError/Code/numbersExhausted`` after 99,999 today; in every case
    ///   nothing was saved and no receipt may be printed.
    public func enqueue(_ submission: ApplicationSubmission) async throws -> TrackingNumber {
        guard let platformKey else {
            throw OutboxError(.noPlatformKey, "applications cannot be sealed: the platform's public key (platform.public_key) is not installed or not readable; install it (kioskd takes it within seconds). Nothing was saved and no receipt was printed")
        }
        if let wentBack { throw OutboxError(.wentBack, wentBack) }
        // What the platform must refuse gets no tracking number and no receipt (the session stops at the limit first).
        guard submission.attachments.count <= ApplicationSubmission.maximumAttachments else {
            throw OutboxError(.beyondPlatformLimits, "the application has \(submission.attachments.count) pages; the platform takes at most \(ApplicationSubmission.maximumAttachments). Nothing was saved and no receipt was printed")
        }
        let now = settings.now()
        let number = try mint(at: now)
        let key = Self.newIdempotencyKey()
        let sender = try platformKey.sender(info: Sealer.applicationInfo(station: number.station, trackingNumber: number.value))
        let sealing = try Sealer.Session(submission, binding: key, sender: sender)
        guard sealing.envelope.count <= ApplicationSubmission.maximumEnvelopeBytes else {
            throw OutboxError(.beyondPlatformLimits, "the application's form is \(sealing.envelope.count) bytes sealed; the platform takes at most \(ApplicationSubmission.maximumEnvelopeBytes). Nothing was saved and no receipt was printed")
        }
        let pages = submission.attachments.map(\.data)
        let files: [(fileName: String, bytes: Int, sha256: String)]
        logger.debug("writing \(pages.count) sealed attachment(s)")
        do {
            files = try await writeSealed(pages, sealing: sealing, key: key)
            if !files.isEmpty {
                do { try DurableFiles.syncDirectory(attachmentsDirectory) } catch { throw OutboxError(error) }
            }
        } catch {
            removeFiles(pages.indices.map { Self.fileName(key: key, index: $0) })
            throw error
        }
        let masked = Masking.name(submission.applicantName)
        do {
            return try await withCheckedThrowingContinuation { continuation in
                let pending = Pending(number: number, idempotencyKey: key, serviceCode: submission.serviceCode, serviceName: submission.serviceName,
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

    /// The next tracking number of the day at `time`: above the database's and
    /// above every one handed out since opening.
    private func mint(at time: Double) throws -> TrackingNumber {
        let date = ChinaTime.date(time)
        let day = date.yyyymmdd
        return try minted.withLock { minted in
            let last = try minted[day] ?? pool.read { db in
                try Int.fetchOne(db.cachedStatement(sql: "SELECT last FROM tracking_sequence WHERE day = ?"), arguments: [day]) ?? 0
            }
            // The number has room for 99,999 a day; a station never comes close, but a trap here would take kioskd down.
            guard last < 99_999 else {
                throw OutboxError(.numbersExhausted, "this station has issued 99,999 tracking numbers today, all a day can have: the application was not saved and no receipt was printed; more can be taken tomorrow (is something submitting in a loop?)")
            }
            minted[day] = last + 1
            // Days gone by are not minted again (a clock set back reads the database afresh).
            if minted.count > 4, let oldest = minted.keys.min() { minted[oldest] = nil }
            return TrackingNumber(station: settings.stationCode, date: date, sequence: last + 1)
        }
    }

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
                    try sealed.withUnsafeBytes { bytes in
                        do throws(DurableFiles.Failure) { try DurableFiles.writeLeavingDirectory(bytes, to: "\(directory)/\(name)") } catch { throw OutboxError(error) }
                    }
                    return (index, name, sealed.count, SHA256.hash(data: sealed).hex)
                }
            }
            while next < width { start() }
            var files = [(fileName: String, bytes: Int, sha256: String)?](repeating: nil, count: pages.count)
            for try await (index, name, bytes, sha) in group {
                files[index] = (name, bytes, sha)
                if next < pages.count { start() }
            }
            return try files.map { file in
                guard let file else { throw OutboxError(.writeFailed, "a sealed page was not written: nothing was saved and no receipt was printed") }
                return file
            }
        }
    }

    /// Commits whatever waits, one transaction at a time, until nothing does:
    /// applications that arrive during a commit go together in the next one.
    private func commitWaiting() {
        while true {
            let batch = commits.withLock { state -> [Pending] in
                if state.waiting.isEmpty {
                    state.committing = false
                    state.inTransaction = 0
                    return []
                }
                defer { state.waiting.removeAll() }
                state.inTransaction = state.waiting.count
                return state.waiting
            }
            if batch.isEmpty { return }
            logger.debug("committing \(batch.count) application(s)")
            // Each day's highest number in the batch, for its sequence row and the mark.
            var highest: [String: Int] = [:]
            for pending in batch {
                let (day, sequence) = (pending.number.day, pending.number.sequence)
                highest[day] = max(highest[day] ?? 0, sequence)
            }
            do {
                try pool.write { db in
                    // The audit chain's head read once for the batch.
                    var head = try self.chainHead(db)
                    for pending in batch { try self.insert(pending, audit: &head, db) }
                    for (day, last) in highest {
                        try db.cachedStatement(sql: """
                            INSERT INTO tracking_sequence (day, last) VALUES (?, ?) ON CONFLICT(day) DO UPDATE SET last = MAX(last, excluded.last)
                            """).execute(arguments: [day, last])
                    }
                }
                let numbers = batch.map(\.number)
                // Above what the database holds, before any receipt: a power cut that loses the outbox is noticed at the next start.
                let top = highest.map { IssuedMark.Mark(day: $0.key, sequence: $0.value) }.max()
                if let issued, let top, !issued.raise(to: top) {
                    logger.error("the issued-numbers mark \(issued.path) could not be written: a loss of the outbox would go unnoticed until it is")
                }
                transactions.withLock { $0 += 1 }
                changes.signal()
                for (pending, number) in zip(batch, numbers) { pending.continuation.resume(returning: number) }
            } catch let error as DatabaseError where error.resultCode == .SQLITE_FULL {
                for pending in batch { pending.continuation.resume(throwing: OutboxError.diskFull) }
            } catch {
                let failure = OutboxError(.writeFailed, "the outbox could not save the application (\(error)); nothing was saved and no receipt was printed")
                for pending in batch { pending.continuation.resume(throwing: failure) }
            }
        }
    }

    private func insert(_ pending: Pending, audit head: inout (sequence: Int, hash: String), _ db: Database) throws {
        let number = pending.number
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
}
