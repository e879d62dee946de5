import Crypto
import Foundation
import GRDB
import HardwareSim
import KioskCore
import Logging
@testable import Outbox
import TestSupport
import Synchronization
import OutboxTestSupport
import Testing
import Uplink

#if canImport(Glibc)
import Glibc
#endif

/// Every byte kioskd wrote under `folder`.
func bytesOnDisk(_ folder: String) -> Data {
    var all = Data()
    for name in (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String]) ?? [] {
        if let data = FileManager.default.contents(atPath: folder + "/" + name) { all += data }
    }
    return all
}

@Suite("The outbox", .serialized, .timeLimit(.minutes(2)))
struct OutboxTests {
    @Test("synchronous=FULL holds on the writer after GRDB's pool reset it to NORMAL")
    func synchronousFull() throws {
        let outbox = try openOutbox(temporaryDirectory())
        #expect(try outbox.writerSynchronousSetting() == 2)
        try outbox.close()
    }

    @Test("an enqueued application is durable and sealed: nothing personal is readable on disk, the platform's key opens it all")
    func sealedAtRest() async throws {
        let folder = temporaryDirectory()
        let outbox = try openOutbox(folder)
        let application = submission()
        let tracking = try await outbox.enqueue(application)
        try outbox.close()

        let disk = bytesOnDisk(folder)
        for secret in ["王建国", "340104195803120519", "13900000000", "缴费档次"] {
            #expect(disk.range(of: Data(secret.utf8)) == nil, "\(secret) is readable on disk")
        }
        #expect(disk.range(of: Data(application.attachments[0].data[0..<64])) == nil, "scan bytes are readable on disk")

        let reopened = try openOutbox(folder)
        let row = try #require(try reopened.application(tracking))
        #expect(row.applicantMasked == "王*国")
        #expect(row.serviceName == "城乡居民基本养老保险参保登记")
        #expect(row.state == .queued)
        #expect(row.problem == nil)
        let upload = try #require(try reopened.upload(tracking))
        // The kiosk has no key: a key it makes up cannot open the payload.
        let envelope = try JSONSerialization.jsonObject(with: Data(upload.envelope)) as! [String: Any]
        #expect(throws: (any Error).self) {
            try AES.GCM.open(AES.GCM.SealedBox(combined: Data(base64Encoded: envelope["payload"] as! String)!), using: SymmetricKey(size: .bits256))
        }
        // The platform can.
        let (payload, key) = try platformOpen(Data(upload.envelope), binding: upload.idempotencyKey, tracking: tracking)
        // Bound to its number: as another application's, the envelope does not open.
        let other = TrackingNumber(station: tracking.station, date: CalendarDate(year: 2026, month: 12, day: 3)!, sequence: tracking.sequence + 1)
        #expect(throws: (any Error).self) { try platformOpen(Data(upload.envelope), binding: upload.idempotencyKey, tracking: other) }
        #expect(payload["applicant_name"] as? String == "王建国")
        #expect(payload["applicant_certificate_number"] as? String == "340104195803120519")
        for attachment in upload.attachments {
            let sealed = try Data(contentsOf: URL(fileURLWithPath: attachment.path))
            let plain = try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: key, authenticating: Data("\(upload.idempotencyKey)#\(attachment.position)".utf8))
            #expect(Array(plain) == application.attachments[attachment.position].data)
        }
    }

    @Test("an outbox as the previous release left it (before rating comments, the printer's journal, lock-outs and case events) is brought forward on opening, its applications kept and still open for the platform")
    func migratesForward() async throws {
        let folder = temporaryDirectory()
        var outbox = try openOutbox(folder)
        let first = try await outbox.enqueue(submission(seed: 1))
        let second = try await outbox.enqueue(submission("李秀英", pages: 1, seed: 2))
        try outbox.close()

        // The database as the release of 2026-12-03 wrote it: the migrations since then undone
        // (each only added what is dropped here), and GRDB's record of them gone.
        let since = ["2026-12-04 rating comments and the receipt printer's journal", "2026-12-05 agent lock-outs", "2026-12-08 case events"]
        #expect(Array(Outbox.migrator.migrations.suffix(3)) == since, "a new migration: undo it here too, so this is still the previous release's database")
        let older = try DatabaseQueue(path: folder + "/outbox.sqlite")
        try await older.write { db in
            try db.execute(sql: """
                DROP TABLE case_event;
                DROP TABLE case_event_cursor;
                ALTER TABLE application DROP COLUMN requested;
                ALTER TABLE application DROP COLUMN ems_number;
                ALTER TABLE application DROP COLUMN fee_fen;
                ALTER TABLE application DROP COLUMN fee_paid;
                DROP TABLE agent_lockout;
                DROP TABLE receipt_print;
                ALTER TABLE rating DROP COLUMN comment;
                ALTER TABLE rating DROP COLUMN comment_id;
                """)
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier IN (?, ?, ?)", arguments: StatementArguments(since))
        }
        try older.close()

        outbox = try openOutbox(folder)
        for (tracking, name) in [(first, "王建国"), (second, "李秀英")] {
            let row = try #require(try outbox.application(tracking))
            #expect(row.state == .queued)
            #expect(row.problem == nil)
            let upload = try #require(try outbox.upload(tracking))
            let (payload, _) = try platformOpen(Data(upload.envelope), binding: upload.idempotencyKey, tracking: tracking)
            #expect(payload["applicant_name"] as? String == name)
        }
        #expect(try outbox.writerSynchronousSetting() == 2)
        try outbox.close()
        let applied = try DatabaseQueue(path: folder + "/outbox.sqlite")
        let identifiers = try await applied.read { try String.fetchSet($0, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(identifiers == Set(Outbox.migrator.migrations))
        try applied.close()
    }

    @Test("a purged envelope is overwritten in the database file (secure_delete), not left in a free page")
    func purgedEnvelopeOverwritten() async throws {
        // (Debian's SQLite is built with secure_delete on; kioskd sets it, so another build is as safe.)
        let folder = temporaryDirectory()
        var settings = Outbox.Settings(stationCode: "340104001")
        settings.purgeAfter = 0
        let outbox = try Outbox(directory: folder, platformKey: PlatformPublicKey(platformPrivateKey.publicKey), settings: settings)
        // Rows on each side, so the purged one's space stays in the page as free space.
        _ = try await outbox.enqueue(submission(pages: 0))
        let tracking = try await outbox.enqueue(submission(pages: 0))
        _ = try await outbox.enqueue(submission(pages: 0))
        let envelope = try #require(try outbox.upload(tracking)).envelope
        let wrapped = Data(envelope.prefix(120))  // the stored bytes: the HPKE encapsulated key and more
        // Into the database file first, as after any checkpoint.
        try await outbox.pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/outbox.sqlite")).range(of: wrapped) != nil)
        try outbox.acknowledge(tracking, caseNumber: "AH1")
        try await Task.sleep(for: .milliseconds(10))
        #expect(try outbox.purge().payloads == 1)
        for file in ["outbox.sqlite", "outbox.sqlite-wal"] {
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: folder + "/" + file))) ?? Data()
            #expect(bytes.range(of: wrapped) == nil, "the purged envelope is still in \(file)")
        }
        try outbox.close()
    }

    @Test("tracking numbers are minted in order per station and day, with a valid check character")
    func trackingNumbers() async throws {
        let outbox = try openOutbox(temporaryDirectory(), now: { 1_795_000_000 })  // 2026-11-18 in China
        var numbers: [TrackingNumber] = []
        for _ in 0..<3 { numbers.append(try await outbox.enqueue(submission(pages: 0))) }
        #expect(numbers.map(\.value).map { String($0.dropLast(2)) } == ["340104001-20261118-0001", "340104001-20261118-0002", "340104001-20261118-0003"])
        for number in numbers { #expect(try TrackingNumber(number.value) == number) }
        // Each carries its own idempotency key: a random (version 4) UUID, as docs/platform-api.yaml says.
        let keys = try numbers.map { try #require(try outbox.upload($0)).idempotencyKey }
        #expect(Set(keys).count == 3)
        for key in keys {
            #expect(key.wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/) != nil, "\(key)")
        }
    }

    @Test("on opening, files no saved application refers to are removed, and an application with missing files is flagged, not dropped")
    func reconcile() async throws {
        let folder = temporaryDirectory()
        var outbox = try openOutbox(folder)
        let kept = try await outbox.enqueue(submission(pages: 1))
        let damaged = try await outbox.enqueue(submission("李秀英", pages: 2))
        let upload = try #require(try outbox.upload(damaged))
        try outbox.close()
        let orphan = folder + "/attachments/0000-orphan-0.sealed"
        _ = FileManager.default.createFile(atPath: orphan, contents: Data([1, 2, 3]))
        try FileManager.default.removeItem(atPath: upload.attachments[1].path)

        outbox = try openOutbox(folder)
        #expect(!FileManager.default.fileExists(atPath: orphan))
        #expect(try outbox.application(kept)?.problem == nil)
        let flagged = try #require(try outbox.application(damaged))
        #expect(flagged.problem?.contains("sealed attachment files are missing") == true)
        #expect(flagged.state == .queued)
        #expect(try outbox.summary().flagged == 1)
    }

    @Test("rows edited by hand (a number where a tracking number belongs, text where a time belongs) are flagged and left out; the others are listed and still fall due")
    func tamperedRows() async throws {
        let folder = temporaryDirectory()
        let outbox = try openOutbox(folder)
        let first = try await outbox.enqueue(submission("王建国", pages: 1))
        let second = try await outbox.enqueue(submission("李秀英", pages: 1))
        let kept = try await outbox.enqueue(submission("张伟", pages: 1))
        let editor = try DatabaseQueue(path: folder + "/outbox.sqlite")
        try await editor.write { db in
            try db.execute(sql: "UPDATE application SET tracking_number = 42 WHERE tracking_number = ?", arguments: [first.value])
            try db.execute(sql: "UPDATE application SET created_at = 'yesterday' WHERE tracking_number = ?", arguments: [second.value])
        }
        try editor.close()

        // The second's tracking number and sealed parts are whole: it still goes.
        #expect(try outbox.due() == [second, kept])
        #expect(try outbox.applications().map(\.trackingNumber) == [kept])
        #expect(try outbox.stationCases().map(\.trackingNumber) == [kept])
        #expect(try outbox.unsettled().map(\.trackingNumber) == [kept])
        #expect(try outbox.summary().flagged == 2)
        let problems = try await DatabaseQueue(path: folder + "/outbox.sqlite").read { db in
            try String.fetchAll(db, sql: "SELECT problem FROM application WHERE problem IS NOT NULL ORDER BY id")
        }
        #expect(problems.count == 2)
        #expect(problems.allSatisfy { $0.contains("edited by hand") }, "\(problems)")
        #expect(problems.first?.contains("\"42\"") == true, "\(problems)")
        #expect(throws: OutboxError.self) { try outbox.application(second) }
    }

    @Test("opening reads the whole database for damage unless it is unchanged since kioskd closed it cleanly; anything else that touched it brings the check back")
    func integrityCheckAfterCleanClose() async throws {
        let folder = temporaryDirectory()
        var outbox = try openOutbox(folder)
        #expect(!outbox.checkedIntegrity, "a new database has nothing to check")
        _ = try await outbox.enqueue(submission(pages: 1))
        try outbox.close()

        outbox = try openOutbox(folder)
        #expect(!outbox.checkedIntegrity, "unchanged since a clean close")
        try outbox.close()

        // Touched by something else (a copy, an editor, a restore): its time changes, and the check runs.
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -60)], ofItemAtPath: folder + "/outbox.sqlite")
        outbox = try openOutbox(folder)
        #expect(outbox.checkedIntegrity)
        try outbox.close()

        // Not closed cleanly (a power cut, a crash): the write-ahead log is left behind, and the check runs.
        outbox = try openOutbox(folder)
        _ = try await outbox.enqueue(submission(pages: 1))
        let unclean = temporaryDirectory()
        for name in ["outbox.sqlite", "outbox.sqlite-wal", "outbox.closed-cleanly"] {
            try FileManager.default.copyItem(atPath: folder + "/" + name, toPath: unclean + "/" + name)
        }
        try FileManager.default.copyItem(atPath: folder + "/attachments", toPath: unclean + "/attachments")
        try outbox.close()
        let reopened = try openOutbox(unclean)
        #expect(reopened.checkedIntegrity)
        #expect(try reopened.summary().counts[.queued] == 2)
        try reopened.close()
    }

    @Test("concurrent enqueues are committed together, each with its own tracking number")
    func groupCommit() async throws {
        let folder = temporaryDirectory()
        let outbox = try openOutbox(folder)
        // Another connection holds the write lock, so the first commit waits and
        // the others arrive meanwhile however loaded the machine is.
        var unsafe = Configuration()
        unsafe.allowsUnsafeTransactions = true
        let holder = try DatabaseQueue(path: folder + "/outbox.sqlite", configuration: unsafe)
        try holder.inDatabase { try $0.execute(sql: "BEGIN IMMEDIATE") }
        let enqueues = Task {
            try await withThrowingTaskGroup(of: TrackingNumber.self) { group in
                for index in 0..<40 { group.addTask { try await outbox.enqueue(submission(pages: 1, seed: UInt8(index))) } }
                return try await group.reduce(into: [TrackingNumber]()) { $0.append($1) }
            }
        }
        // All 40 sealed and written while the first transaction waits for the lock. (Counting only
        // those behind it missed the goal one run in three: a second enqueue can join the first
        // transaction before it asks for the lock.)
        let queued = await eventually(within: .seconds(8)) { outbox.uncommitted == 40 }
        try holder.inDatabase { try $0.execute(sql: "COMMIT") }
        try holder.close()
        let numbers = try await enqueues.value
        #expect(queued, "the 40 enqueues did not all wait for the first transaction")
        #expect(Set(numbers).count == 40)
        #expect(try outbox.summary().counts[.queued] == 40)
        #expect(outbox.committedTransactions <= 2, "\(outbox.committedTransactions) transactions for 40 concurrent enqueues")
        // One statement minted the batch's numbers, and the audit chain's head was read once for it: still 1…40, one entry each, chained.
        #expect(numbers.map { String($0.value.dropLast(2).suffix(4)) }.sorted() == (1...40).map { String(format: "%04d", $0) })
        let audit = try outbox.verifyAudit()
        #expect(audit.intact && audit.entries == 40, "\(audit.problems)")
        #expect(Set(try outbox.auditEntries().compactMap(\.trackingNumber)) == Set(numbers.map(\.value)))
    }

    @Test("the 99,999th tracking number of a day is the last: the next enqueue fails with what to do, nothing saved, and the next day goes on")
    func dayOfTrackingNumbersFull() async throws {
        let folder = temporaryDirectory()
        let day = Mutex(0.0)
        let outbox = try openOutbox(folder) { Date().timeIntervalSince1970 + day.withLock { $0 } }
        let first = try await outbox.enqueue(submission(pages: 0))
        // As if 99,998 more had been issued today.
        try outbox.close()
        let queue = try DatabaseQueue(path: folder + "/outbox.sqlite")
        try await queue.write { try $0.execute(sql: "UPDATE tracking_sequence SET last = 99998") }
        try queue.close()
        let reopened = try openOutbox(folder) { Date().timeIntervalSince1970 + day.withLock { $0 } }
        let last = try await reopened.enqueue(submission(pages: 0))
        #expect(last.value.contains("-99999-"), "\(last)")
        do {
            _ = try await reopened.enqueue(submission(pages: 1))
            Issue.record("a 100,000th tracking number was issued in one day")
        } catch let error as OutboxError {
            #expect(error.description.contains("99,999 tracking numbers today") && error.description.contains("no receipt was printed"))
        }
        #expect(try reopened.summary().counts[.queued] == 2, "only \(first) and \(last) were saved")
        day.withLock { $0 = 86_400 }
        let tomorrow = try await reopened.enqueue(submission(pages: 1))
        #expect(tomorrow.value.contains("-0001-"))
        try reopened.close()
    }

    @Test("an application with more pages than the platform takes is not saved: no tracking number, no file left, a clear error")
    func pastThePlatformsLimit() async throws {
        let folder = temporaryDirectory()
        let outbox = try openOutbox(folder)
        do {
            _ = try await outbox.enqueue(submission(pages: ApplicationSubmission.maximumAttachments + 1, pageBytes: 64))
            Issue.record("an application of 101 pages was saved")
        } catch let error as OutboxError {
            #expect(error.code == .beyondPlatformLimits && error.description.contains("at most 100"), "\(error)")
        }
        #expect(try outbox.summary().counts.values.reduce(0, +) == 0)
        #expect((try? FileManager.default.contentsOfDirectory(atPath: folder + "/attachments"))?.isEmpty ?? true)
        _ = try await outbox.enqueue(submission(pages: ApplicationSubmission.maximumAttachments, pageBytes: 64))
        #expect(try outbox.summary().counts[.queued] == 1, "100 pages are taken")
        try outbox.close()
    }

    @Test("an application whose sealed form is larger than the platform takes is not saved: no receipt, a clear error")
    func formPastThePlatformsLimit() async throws {
        let outbox = try openOutbox(temporaryDirectory())
        var large = submission(pages: 1, pageBytes: 64)
        large.form = Dictionary(uniqueKeysWithValues: (0..<200).map { ("field\($0)", String(repeating: "长", count: 2_000)) })
        do {
            _ = try await outbox.enqueue(large)
            Issue.record("an application of 1.2 MB of form was saved")
        } catch let error as OutboxError {
            #expect(error.code == .beyondPlatformLimits && error.description.contains("at most 1000000"), "\(error)")
        }
        #expect(try outbox.summary().counts.values.reduce(0, +) == 0)
        try outbox.close()
    }

    @Test("a full disk fails the enqueue with a clear error before any receipt; the outbox still opens, takes applications and forwards afterwards")
    func diskFull() async throws {
        let mountPoint = temporaryDirectory()
        guard mountSmallFilesystem(at: mountPoint, megabytes: 2) else {
            Issue.record("mounting a 2 MB tmpfs needs root (make test runs as root in CI, or under sudo)")
            return
        }
        defer { _ = try? runTool("/bin/umount", [mountPoint]) }
        let outbox = try openOutbox(mountPoint + "/outbox")
        _ = try await outbox.enqueue(submission(pages: 1))
        do {
            _ = try await outbox.enqueue(submission(pages: 3, pageBytes: 1024 * 1024))
            Issue.record("a 3 MB application was saved on a 2 MB disk")
        } catch let error as OutboxError {
            #expect(error.code == .diskFull)
            #expect(error.description.contains("the kiosk's disk is full: the application was not saved and no receipt was printed"))
        }
        try outbox.close()
        let reopened = try openOutbox(mountPoint + "/outbox")
        #expect(try reopened.summary().counts[.queued] == 1)
        _ = try await reopened.enqueue(submission(pages: 1))
        #expect(try reopened.summary().counts[.queued] == 2)

        // …and forwards both.
        let platform = try PlatformSimulator(privateKey: .x25519(platformPrivateKey), outputDirectory: temporaryDirectory() + "/platform", port: TCPListening.unusedPort())
        try platform.start()
        defer { platform.stop() }
        let client = try HTTPPlatformClient(baseURL: platform.url, tls: nil)
        let forwarder = Forwarder(outbox: reopened, platform: client, logger: Logger(label: "test"))
        let running = Task { await forwarder.run() }
        #expect(await eventually(within: .seconds(10)) { (try? reopened.summary())?.counts[.acknowledged] == 2 })
        #expect(platform.accepted == 2)
        forwarder.stop()
        await running.value
        await client.shutdown()
        try reopened.close()
    }
}

/// Mounts a tmpfs of the given size (root only).
func mountSmallFilesystem(at path: String, megabytes: Int) -> Bool {
    guard getuid() == 0 else { return false }
    return (try? runTool("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path]))?.status == 0
}
