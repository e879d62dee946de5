import KioskCore
import Testing

/// The session held against what wore it down or lost a receipt: presses in a flood,
/// and an agent leaving while an application is being saved.
@Suite("The session held against floods and leaving mid-save")
struct HostileSessionTests {
    @Test("呼叫工作人员 pressed a thousand times while the call is on is one call: one audit entry, the same waiting time, said again each time")
    func staffCallFlood() {
        var driver = Driver()
        driver.tap(resident())
        for _ in 0..<1_000 { driver.touch(.callStaff, after: 0.001) }
        #expect(driver.audits.filter { $0.action == "staff_called" }.count == 1)
        #expect(driver.spoken.filter { $0.contains("工作人员") }.count == 1_000, "each press is answered aloud")
        driver.touch(.endSession)
        driver.tap(resident())
        driver.touch(.callStaff)
        #expect(driver.audits.filter { $0.action == "staff_called" }.count == 2, "a new visit's call is a new call")
    }

    @Test("an agent's 退出登录 while the application is being saved waits for it: the receipt prints and is kept, then the agent can leave")
    func agentLogoutWhileSaving() throws {
        var driver = Driver(online: false)
        driver.tap(agentCard)
        driver.touch(.agentPIN("246810"))
        driver.send(.agentPINChecked(request: driver.pendingID!, result: .accepted))
        driver.tap(resident())
        driver.touch(.confirmProxyConsent)
        driver.reachMaterials(search: "临时救助", code: "0500008000")
        for material in driver.state.visit?.choice?.materials.filter(\.required).map(\.id) ?? [] { driver.scan(material, pages: 1) }
        driver.touch(.next)
        driver.touch(.submit)
        let (request, _) = try #require(driver.enqueued.last)
        #expect(driver.state.screen == .submitting)
        driver.touch(.agentLogout)
        #expect(driver.state.agent != nil && driver.state.screen == .submitting, "the agent is still there while it saves")
        let number = TrackingNumber(station: "340104001", date: CalendarDate(year: 2026, month: 11, day: 27)!, sequence: 9)
        driver.send(.enqueueCommitted(request: request, trackingNumber: number))
        #expect(driver.state.screen == .receipt && driver.printed.map(\.trackingNumber) == [number.value], "the receipt prints (and the runtime keeps it for a reprint)")
        driver.touch(.agentLogout)
        #expect(driver.state.agent == nil && driver.state.screen == .attract)
    }

    @Test("105 pages scanned: 100 are kept, the resident is told why, and what is submitted is what the platform takes")
    func pagesPastThePlatformsLimit() throws {
        var driver = Driver(online: false)
        driver.tap(resident())
        driver.reachMaterials(search: "临时救助", code: "0500008000")
        let required = driver.state.visit?.choice?.materials.filter(\.required).map(\.id) ?? []
        let first = try #require(required.first)
        for material in required.dropFirst() { driver.scan(material, pages: 1) }
        driver.scan(first, pages: 60)
        driver.scan(first, pages: 45)
        let dropped = 105 + required.count - 1 - ApplicationSubmission.maximumAttachments
        #expect(driver.message?.contains("最多提交100页材料，多出的\(dropped)页没有保留") == true, "\(driver.message ?? "")")
        driver.touch(.next)
        driver.touch(.submit)
        let (_, submission) = try #require(driver.enqueued.last)
        #expect(submission.attachments.count == ApplicationSubmission.maximumAttachments)
    }
}
