import Foundation
import GRDB
import KioskCore
@testable import Outbox
import AgentAuth
import TestSupport
import OutboxTestSupport
import Testing

@Suite("The audit trail", .serialized, .timeLimit(.minutes(2)))
struct AuditTests {
    /// An outbox with a case's whole life in its log, closed, and its database path.
    func history() async throws -> (directory: String, tracking: TrackingNumber) {
        let directory = temporaryDirectory()
        let clock = TestClock(start: 1_795_744_800)
        var settings = Outbox.Settings(stationCode: "340104001")
        settings.now = { clock.now }
        settings.purgeAfter = 3600
        let outbox = try Outbox(directory: directory, platformKey: PlatformPublicKey(platformPrivateKey.publicKey), settings: settings)
        let tracking = try await outbox.enqueue(submission("王建国", pages: 2))
        try outbox.audit(AuditNote(action: "scanned", trackingNumber: tracking.value, actor: "resident 王*国 3401**********0519", detail: "hukou_book: 2 page(s)"))
        try outbox.audit(AuditNote(action: "receipted", trackingNumber: tracking.value, actor: "resident 王*国 3401**********0519"))
        try outbox.scheduleRetry(tracking, at: clock.now + 5, error: "platform unreachable")
        try outbox.acknowledge(tracking, caseNumber: "AH3401042026112700001")
        let number = "AH3401042026112700001"
        let concluded = try CaseEvent(id: 1, trackingNumber: tracking.value, caseNumber: number, kind: "concluded", at: "20261208T093000", detail: "结果已送达本站")
        // The same page twice (its cursor lost): the second time it is known by its id and changes nothing.
        try outbox.applyCaseEvents(CaseEventPage(events: [concluded], flawed: [], last: 1, more: false))
        try outbox.applyCaseEvents(CaseEventPage(events: [concluded], flawed: [], last: 1, more: false))
        try outbox.audit(AuditNote(action: "rated", trackingNumber: tracking.value, actor: "resident 王*国 3401**********0519", detail: "1 非常满意"))
        clock.advance(7200)
        try outbox.purge()
        try outbox.audit(AuditNote(action: "agent_login", actor: "agent01 王*"))
        try outbox.close()
        return (directory, tracking)
    }

    @Test("A case's whole life is in the chain, in order, with masked identifiers only, and the chain verifies")
    func intact() async throws {
        let (directory, tracking) = try await history()
        let outbox = try Outbox.attach(directory: directory)
        defer { try? outbox.close() }
        let entries = try outbox.auditEntries(trackingNumber: tracking.value)
        #expect(entries.map(\.action) == ["created", "scanned", "receipted", "forwarded", "acknowledged", "status", "rated", "purged"],
                "an event seen again is not logged again")
        #expect(entries.first { $0.action == "created" }?.detail.contains("城乡居民基本养老保险参保登记; sealed: envelope sha256 ") == true)
        #expect(entries.first { $0.action == "acknowledged" }?.detail == "case number AH3401042026112700001")
        // The detail stays with the case (its row); the trail holds its digest, so a long one flipped back and forth cannot grow it.
        #expect(entries.first { $0.action == "status" }?.detail.hasPrefix("event 1: 办结 (detail of 7 characters, sha256 ") == true)
        #expect(entries.first { $0.action == "forwarded" }?.detail == "uploaded after 1 failed attempt(s)")
        let result = try outbox.verifyAudit()
        #expect(result.intact && result.entries == 9 && result.headSequence == 9)
        let everything = try outbox.auditEntries().map { "\($0.actor) \($0.detail)" }.joined()
        for secret in ["王建国", "340104195803120519", "13900000000"] { #expect(!everything.contains(secret)) }
    }

    @Test("The table refuses UPDATE and DELETE")
    func appendOnly() async throws {
        let (directory, _) = try await history()
        let queue = try DatabaseQueue(path: directory + "/outbox.sqlite")
        #expect(throws: DatabaseError.self) { try queue.write { try $0.execute(sql: "UPDATE audit_log SET detail = 'x' WHERE sequence = 3") } }
        #expect(throws: DatabaseError.self) { try queue.write { try $0.execute(sql: "DELETE FROM audit_log WHERE sequence = 3") } }
        try queue.close()
    }

    /// Someone with the file: drops the triggers and changes the log.
    func tamper(_ directory: String, _ sql: String) throws {
        let queue = try DatabaseQueue(path: directory + "/outbox.sqlite")
        try queue.write { db in
            try db.execute(sql: "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;")
            try db.execute(sql: sql)
        }
        try queue.close()
    }

    @Test("Deleting any entry is detected and located", arguments: [1, 2, 5, 8])
    func deletion(_ sequence: Int) async throws {
        let (directory, _) = try await history()
        try tamper(directory, "DELETE FROM audit_log WHERE sequence = \(sequence)")
        let outbox = try Outbox.attach(directory: directory)
        defer { try? outbox.close() }
        let result = try outbox.verifyAudit()
        #expect(!result.intact)
        #expect(result.problems.first?.sequence == sequence + 1)
        #expect(result.problems.first?.description.contains("entry \(sequence) is missing") == true, "\(result.problems)")
    }

    @Test("Deleting an entry and renumbering the rest is detected where the link breaks")
    func deletionRenumbered() async throws {
        let (directory, _) = try await history()
        try tamper(directory, "DELETE FROM audit_log WHERE sequence = 4; UPDATE audit_log SET sequence = sequence - 1 WHERE sequence > 4")
        let outbox = try Outbox.attach(directory: directory)
        defer { try? outbox.close() }
        let result = try outbox.verifyAudit()
        // The sequence number is hashed too, so every renumbered entry after it fails as well: the first problem is the place.
        #expect(result.problems.first?.sequence == 4, "\(result.problems)")
        #expect(result.problems.first?.description.contains("does not link to the entry before it") == true)
    }

    @Test("Editing any field of any entry is detected and located", arguments: [
        (3, "detail = 'hukou_book: 1 page(s)'"), (6, "actor = 'someone else'"), (1, "tracking_number = '340104001-20261127-0002-3'"),
        (8, "at_ms = at_ms - 1000"), (9, "action = 'agent_logout'"),
    ])
    func edit(_ sequence: Int, _ change: String) async throws {
        let (directory, _) = try await history()
        try tamper(directory, "UPDATE audit_log SET \(change) WHERE sequence = \(sequence)")
        let outbox = try Outbox.attach(directory: directory)
        defer { try? outbox.close() }
        let result = try outbox.verifyAudit()
        #expect(result.problems.map(\.sequence) == [sequence], "\(result.problems)")
        #expect(result.problems.first?.description.contains("was altered") == true)
    }

    @Test("Re-hashing an edited entry moves the break to the next one")
    func rehashed() async throws {
        let (directory, _) = try await history()
        let outbox = try Outbox.attach(directory: directory)
        let third = try #require(try outbox.auditEntries().first { $0.sequence == 3 })
        try outbox.close()
        let forged = AuditEntry.hash(previous: third.previousHash, sequence: 3, at: third.atMilliseconds, trackingNumber: third.trackingNumber,
                                     actor: third.actor, action: third.action, detail: "hukou_book: 9 page(s)")
        try tamper(directory, "UPDATE audit_log SET detail = 'hukou_book: 9 page(s)', hash = '\(forged)' WHERE sequence = 3")
        let reopened = try Outbox.attach(directory: directory)
        defer { try? reopened.close() }
        #expect(try reopened.verifyAudit().problems.map(\.sequence) == [4])
    }
}

@Suite("我的办件: a resident's cases found by card, without the station keeping the number", .serialized)
struct CaseLookupTests {
    @Test("Cases are found by the lookup key and show the platform's status; the number itself is nowhere on disk")
    func lookup() async throws {
        let directory = temporaryDirectory()
        let lookup = try ApplicantLookup(saltFile: directory + "/lookup-salt")
        let again = try ApplicantLookup(saltFile: directory + "/lookup-salt")
        let zhang = "34010419580312052X", li = "340104197007070118"
        #expect(try lookup.key(for: zhang) == (try again.key(for: zhang.lowercased())), "the salt is kept; a typed x is an X")
        #expect(try lookup.key(for: zhang) != (try ApplicantLookup(salt: Array(repeating: 1, count: 32)).key(for: zhang)), "another station's key differs")

        let outbox = try openOutbox(directory + "/outbox")
        func submit(_ name: String, _ number: String) async throws -> TrackingNumber {
            var application = submission(name, pages: 1)
            application.applicantCertificateNumber = number
            application.applicantLookupKey = try lookup.key(for: number)
            return try await outbox.enqueue(application)
        }
        let first = try await submit("张秀兰", zhang)
        _ = try await submit("李四", li)
        let second = try await submit("张秀兰", zhang)
        try outbox.acknowledge(first, caseNumber: "AH3401042026112700001")
        try outbox.applyEvents([(first, "AH3401042026112700001", "returned", "户口簿首页不清晰，请补交")])

        // The words the resident reads for each state are CaseSummaryTests' (KioskDaemonTests).
        let mine = try outbox.cases(applicantKey: try lookup.key(for: zhang))
        #expect(mine.map(\.trackingNumber) == [second, first])
        #expect(mine[0].state == .queued)
        #expect(mine[1].platformStatus == "退回" && mine[1].platformStatusDetail == "户口簿首页不清晰，请补交" && mine[1].caseNumber == "AH3401042026112700001")
        #expect(mine.allSatisfy { $0.applicantMasked == "张*兰" })
        #expect(try outbox.stationCases().count == 3)
        try outbox.close()
        let disk = bytesOnDisk(directory)
        #expect(disk.range(of: Data(zhang.utf8)) == nil && disk.range(of: Data(li.utf8)) == nil)
    }
}
