import Foundation
import HardwareSim
import Logging
import KioskCore
@testable import Outbox
import OutboxTestSupport
import Testing
import TestSupport
@testable import Uplink

@Suite("The station's case events from the platform", .serialized, .timeLimit(.minutes(2)))
struct CaseEventTests {
    @Test("受理, 退回 with what to bring, a fee due and paid, 已寄出 with the EMS number: each reaches the case, in one request a round")
    func eventsReachTheCases() async throws {
        let rig = try UplinkRig()
        let first = try await rig.outbox.enqueue(submission(pages: 0))
        let second = try await rig.outbox.enqueue(submission(pages: 0))
        #expect(await rig.forwardAll())
        rig.platform.recordEvent(first.value, kind: "returned", detail: "户口簿首页不清晰", requested: ["户口簿首页", "户主页"])
        rig.platform.recordEvent(second.value, kind: "fee_due", feeFen: 2050)
        rig.platform.recordEvent(second.value, kind: "fee_paid", feeFen: 2050)
        rig.platform.recordEvent(second.value, kind: "posted", emsNumber: "EA123456789CN")
        let before = rig.platform.requestCount
        #expect(await rig.forwarder.syncEvents() == false, "nothing more waits")
        #expect(rig.platform.requestCount - before == 1)

        let returned = try #require(try rig.outbox.application(first))
        #expect(returned.platformStatus == "退回" && returned.platformStatusDetail == "户口簿首页不清晰" && returned.requested == ["户口簿首页", "户主页"])
        let posted = try #require(try rig.outbox.application(second))
        #expect(posted.platformStatus == "已寄出" && posted.emsNumber == "EA123456789CN" && posted.fee == CaseFee(fen: 2050, paid: true))
        #expect(try rig.outbox.caseEventCursor() == 6, "two acceptances and four events")

        // Nothing new: the next round asks once and changes nothing.
        let trail = try rig.outbox.auditEntries().count
        await rig.forwarder.syncEvents()
        #expect(try rig.outbox.auditEntries().count == trail)
        rig.platform.stop()
    }

    @Test("An event that does not read, one of a kind the API does not define, one about another case or no case the station holds: each is flagged and passed; the next events still apply")
    func badEventsAreSkipped() async throws {
        let rig = try UplinkRig()
        let first = try await rig.outbox.enqueue(submission(pages: 0))
        let second = try await rig.outbox.enqueue(submission(pages: 0))
        #expect(await rig.forwardAll())
        let station = "340104001"
        rig.platform.setStatus(first.value, "已办好")
        rig.platform.recordRawEvent(station: station, ["tracking_number": first.value, "kind": "concluded"])
        rig.platform.recordRawEvent(station: station, ["tracking_number": first.value, "case_number": "AH1", "kind": "concluded", "at": "20261208T100000"], withID: false)
        rig.platform.recordRawEvent(station: station, ["tracking_number": first.value, "case_number": "AH1", "kind": "fee_due", "at": "20261208T100000", "fee_fen": "20元"])
        let unknown = TrackingNumber(station: station, date: try #require(CalendarDate(year: 2026, month: 12, day: 8)), sequence: 9999)
        rig.platform.recordRawEvent(station: station, ["tracking_number": unknown.value, "case_number": "AH9", "kind": "concluded", "at": "20261208T100000"])
        rig.platform.setCaseNumber(first.value, try #require(try rig.outbox.application(second)?.caseNumber))
        rig.platform.setStatus(first.value, "办结")
        rig.platform.setStatus(second.value, "办理中")
        await rig.forwarder.syncEvents()

        #expect(try rig.outbox.application(first)?.platformStatus == "受理", "no event about the first case was taken")
        #expect(try rig.outbox.application(second)?.platformStatus == "办理中", "the events after the bad ones still apply")
        let flagged = try rig.outbox.caseEvents(flagged: true)
        #expect(flagged.count == 5, "four bad events with an id, and the one about another case: \(flagged.map(\.problem))")
        #expect(flagged.contains { $0.problem?.contains("is not one the API defines") == true })
        #expect(flagged.contains { $0.problem?.contains("the station holds AH") == true })
        #expect(flagged.contains { $0.problem?.contains("holds no case under this tracking number") == true })
        #expect(try rig.outbox.caseEventCursor() == Int64(rig.platform.eventCount(station: station)), "the cursor is past every event, the bad ones too")
        rig.platform.stop()
    }

    @Test("A 250 KB detail sent twenty times is kept cut to 500 characters; the trail grows by its digest, not its text")
    func longDetails() async throws {
        let rig = try UplinkRig()
        let tracking = try await rig.outbox.enqueue(submission(pages: 0))
        #expect(await rig.forwardAll())
        let before = try rig.outbox.auditEntries().map(\.detail).joined().utf8.count
        for round in 0..<20 {
            rig.platform.setStatus(tracking.value, "退回", detail: String(repeating: round % 2 == 0 ? "请补交户口簿" : "请补交身份证", count: 13_000))
        }
        await rig.forwarder.syncEvents()
        let kept = try #require(try rig.outbox.application(tracking)?.platformStatusDetail)
        #expect(kept.count == CaseEvent.detailLimit + 1 && kept.hasSuffix("…"))
        let grown = try rig.outbox.auditEntries().map(\.detail).joined().utf8.count - before
        #expect(grown < 20 * 200, "20 events with a 234 KB detail grew the trail's details by \(grown) bytes")
        rig.platform.stop()
    }

    @Test("A page out of order, or whose cursor goes back, is refused whole and reported: the cursor stays")
    func pagesThatDoNotHoldTogether() async throws {
        let rig = try UplinkRig()
        let tracking = try await rig.outbox.enqueue(submission(pages: 0))
        #expect(await rig.forwardAll())
        await rig.forwarder.syncEvents()
        let cursor = try rig.outbox.caseEventCursor()
        #expect(cursor == 1)
        // An event whose id is one the station has passed, inside a page after it.
        rig.platform.setStatus(tracking.value, "办理中")
        rig.platform.recordRawEvent(station: "340104001", ["id": 1, "tracking_number": tracking.value, "case_number": "AH1", "kind": "concluded", "at": "20261208T100000"],
                                    withID: false)
        do {
            _ = try await rig.client.events(station: "340104001", after: cursor, limit: 100)
            Issue.record("a page out of order was taken")
        } catch {
            #expect(error.description.contains("event 1 is out of order"), "\(error)")
        }
        await rig.forwarder.syncEvents()
        #expect(try rig.outbox.caseEventCursor() == cursor)
        #expect(try rig.outbox.application(tracking)?.platformStatus == "受理", "nothing of a refused page is applied")
        rig.platform.stop()
    }

    @Test("The platform's answer to a submission is lost: its 受理 event waits, and is applied with the acknowledgement")
    func eventBeforeAcknowledgement() async throws {
        let rig = try UplinkRig()
        var faults = PlatformSimulator.Faults()
        faults.dropAfterCommitPercent = 100
        rig.platform.setFaults(faults)
        let tracking = try await rig.outbox.enqueue(submission(pages: 0))
        await rig.forwarder.forward(tracking)
        #expect(try rig.outbox.application(tracking)?.state == .queued)
        rig.platform.setStatus(tracking.value, "办理中", detail: "窗口正在审核")
        await rig.forwarder.syncEvents()
        #expect(try rig.outbox.caseEvents().map(\.state) == ["waiting", "waiting"])
        rig.platform.setFaults(PlatformSimulator.Faults())
        await rig.forwarder.forward(tracking)
        let application = try #require(try rig.outbox.application(tracking))
        #expect(application.state == .acknowledged && application.platformStatus == "办理中" && application.platformStatusDetail == "窗口正在审核")
        #expect(try rig.outbox.caseEvents().map(\.state) == ["applied", "applied"])
        rig.platform.stop()
    }

    @Test("A forwarder with nothing to send still reads the events on its interval, without being woken")
    func eventsOnTheInterval() async throws {
        let rig = try UplinkRig()
        let tracking = try await rig.outbox.enqueue(submission(pages: 0))
        var settings = Forwarder.Settings()
        settings.statusSyncInterval = 0.2
        let forwarder = Forwarder(outbox: rig.outbox, platform: rig.client, settings: settings, logger: Logger(label: "test"))
        let running = Task { await forwarder.run() }
        #expect(await eventually(within: .seconds(20)) { (try? rig.outbox.application(tracking))?.state == .acknowledged })
        rig.platform.setStatus(tracking.value, "办理中", detail: "窗口正在审核")
        #expect(await eventually(within: .seconds(5)) { (try? rig.outbox.application(tracking))?.platformStatus == "办理中" },
                "the event waited for something to wake the forwarder (its idle probe comes after 60 s)")
        forwarder.stop()
        await running.value
        rig.platform.stop()
    }
}
