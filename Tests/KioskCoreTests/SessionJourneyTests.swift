import KioskCore
import Testing

/// Whole visits through the reducer, as kioskd's runtime would drive them.
@Suite("The resident's journey")
struct SessionJourneyTests {
    let zhang = resident()

    func startItem(_ driver: inout Driver, search: String, code: String, as applicant: ResidentIdentity? = nil) {
        driver.tap(applicant ?? zhang)
        driver.touch(.menu(.search(search)))
        driver.touch(.choose(code: code))
        #expect(driver.state.screen == .guide)
        driver.touch(.next)
        driver.confirmConditions()
        driver.fillForm()
        driver.touch(.next)
        #expect(driver.state.screen == .materials, "\(driver.state.visit?.fieldProblems ?? [:])")
    }

    /// Submits and answers as a durable outbox would.
    func submit(_ driver: inout Driver, number: TrackingNumber) -> ApplicationSubmission? {
        driver.touch(.submit)
        #expect(driver.state.screen == .submitting)
        guard let (request, submission) = driver.enqueued.last else { Issue.record("nothing enqueued"); return nil }
        #expect(driver.printed.isEmpty, "no receipt before the commit")
        driver.send(.enqueueCommitted(request: request, trackingNumber: number))
        if driver.state.online {
            // Online, the receipt waits for the platform's 受理 (the runtime reads the outbox for it).
            #expect(driver.state.screen == .submitting && driver.printed.isEmpty)
            guard case .awaitPlatformCase(let waiting, number, _)? = driver.effects.first(where: { if case .awaitPlatformCase = $0 { true } else { false } }) else {
                Issue.record("online, no wait for the platform's case number")
                return nil
            }
            driver.send(.platformCase(request: waiting, caseNumber: "AH3401042026112700007"))
        }
        #expect(driver.state.screen == .receipt)
        return submission
    }

    let number = TrackingNumber(station: "340104001", date: CalendarDate(year: 2026, month: 11, day: 27)!, sequence: 7)

    @Test("A single item with scanning: guide, form, three scanned pages, review, durable submit, receipt")
    func singleItemWithScanning() throws {
        var driver = Driver(online: false)
        startItem(&driver, search: "临时救助", code: "0500008000")
        #expect(driver.spoken.contains { $0.contains("临时救助申请。办理条件") && $0.contains("一次性告知") })
        driver.scan("hardship_proof", pages: 3)
        driver.scan("bank_card", pages: 1)
        driver.touch(.leaveToPlatform(materialID: "hukou_book"))
        driver.touch(.next)
        #expect(driver.state.screen == .review)
        let submission = try #require(submit(&driver, number: number))

        #expect(submission.applicantName == "张秀兰" && submission.applicantCertificateNumber == zhang.number)
        #expect(submission.attachments.count == 4)
        #expect(submission.attachments.filter { $0.material == "hardship_proof" }.count == 3)
        #expect(submission.materialsByOther["hukou_book"] == "platform")
        #expect(submission.form["hardship"] == "示例内容" && submission.form["applicant_id"] == zhang.number)
        #expect(submission.regionCode == "340104001000" && submission.channel == "5")

        let receipt = try #require(driver.printed.first)
        #expect(receipt.trackingNumber == number.value)
        #expect(receipt.trackingURL == "https://sample.zwfw.ah.gov.cn/track/" + number.value)
        #expect(receipt.applicant == "张*兰", "the receipt carries the masked name")
        #expect(receipt.materials.contains(Receipt.Material(name: "困难情况证明材料", how: "扫描 3 页")))
        #expect(receipt.materials.contains(Receipt.Material(name: "居民户口簿", how: "平台调取")))
        #expect(receipt.promise == .by(CalendarDate(year: 2026, month: 12, day: 11)!), "10 working days from Friday 27 November")
        // What the receipt says is spoken: the item, the number digit by digit, the materials, the promise, the result, whom to ask.
        let spoken = try #require(driver.spoken.last)
        let digits = number.value.map { String($0) }.joined(separator: " ")
        // Offline: saved and to be sent, never 已提交 or 受理 before the platform has it.
        #expect(receipt.caseNumber == nil)
        #expect(spoken.hasPrefix("申请已保存在本站，联网后自动报送平台，无需再跑；受理情况可在“我的办件”查看。事项：临时救助申请。办件编号\(digits)。已收材料：")
                && spoken.contains("困难情况证明材料、") && !spoken.contains("受理。") && !spoken.contains("已提交"))
        #expect(spoken.contains("。承诺办结日期2026年12月11日。结果到本站领取。咨询电话") && spoken.hasSuffix("。请取走回执。"))
        #expect(driver.audits.contains { $0.action == "scanned" && $0.detail == "hardship_proof: 3 page(s)" && $0.trackingNumber == number.value })
        #expect(driver.audits.allSatisfy { !$0.actor.contains(zhang.number) && !$0.actor.contains("张秀兰") })
    }

    @Test("A blank scan is refused and a failed scan says why; neither counts as the material")
    func badScans() {
        var driver = Driver(online: false)
        startItem(&driver, search: "临时救助", code: "0500008000")
        driver.touch(.scan(materialID: "bank_card"))
        driver.send(.scanFinished(request: driver.pendingID!, pages: [page(1, blank: true)]))
        #expect(driver.state.visit?.materials["bank_card"] == nil)
        #expect(driver.message?.contains("空白页") == true)
        driver.touch(.scan(materialID: "bank_card"))
        driver.send(.scanFailed(request: driver.pendingID!, reason: SessionText(.scannerJammed)))
        #expect(driver.state.screen == .materials)
        #expect(driver.spoken.last == "纸张卡住，请打开盖板取出后重扫。")
        #expect(driver.state.visit?.materials["bank_card"] == nil)
    }

    @Test("A bundle: the shared marriage certificate and the child's name are asked once; typed values carry to the next matter")
    func bundle() throws {
        var driver = Driver(online: false)
        driver.tap(zhang)
        driver.touch(.menu(.lifeEvent("birth")))
        guard case .browse(_, let entries) = driver.state.screen else { Issue.record("no menu"); return }
        #expect(entries.first == MenuEntry(code: "YJS-BIRTH-01", name: "出生一件事", isBundle: true, pictogram: "bundle_birth"))
        driver.touch(.choose(code: "YJS-BIRTH-01"))
        driver.touch(.next)
        driver.confirmConditions()
        driver.touch(.setField(id: "child_name", value: "张小满"))
        driver.touch(.setField(id: "phone", value: "13912345678"))
        driver.fillForm()
        driver.touch(.next)
        #expect(driver.state.screen == .materials)
        let materials = try #require(driver.state.visit?.choice?.materials)
        #expect(materials.filter { $0.id == "marriage_certificate" }.count == 1)
        driver.scan("marriage_certificate", pages: 2)
        driver.scan("birth_medical_record", pages: 1)
        driver.touch(.leaveToPlatform(materialID: "birth_certificate"))
        driver.touch(.leaveToPlatform(materialID: "hukou_book"))
        driver.touch(.next)
        #expect(driver.state.screen == .review)
        let submission = try #require(submit(&driver, number: number))
        #expect(submission.serviceCode == "YJS-BIRTH-01")
        #expect(submission.form["items"] == "0700014000,0700015000,2000004000")
        #expect(submission.form["child_name"] == "张小满")
        #expect(submission.attachments.filter { $0.material == "marriage_certificate" }.count == 2, "two pages, once")
        #expect(try #require(driver.printed.first).promise == .by(CalendarDate(year: 2026, month: 12, day: 2)!), "the bundle's longest promise: 3 working days")

        // Another matter in the same visit: the phone typed once is offered again.
        driver.touch(.next)
        driver.touch(.skipRating)
        driver.touch(.next)
        #expect(driver.state.screen == .home)
        driver.touch(.menu(.search("高龄")))
        driver.touch(.choose(code: "0500012000"))
        driver.touch(.next)
        #expect(driver.reducer.formValues(driver.state)["phone"] == "13912345678")
        #expect(driver.reducer.formValues(driver.state)["applicant_name"] == "张秀兰")
    }

    @Test("Online, e-certificates stand in for papers; offline, the same journey offers scanning")
    func eCertificates() throws {
        var online = Driver(online: true)
        startItem(&online, search: "高龄", code: "0500012000")
        online.touch(.consentToECertificateLookup)
        guard case .lookupECertificates(let request, let holder, let types)? = online.effects.last(where: { if case .lookupECertificates = $0 { true } else { false } }) else {
            Issue.record("no lookup"); return
        }
        #expect(holder == zhang.number && types == ["居民户口簿", "社会保障卡"])
        online.send(.eCertificatesFound(request: request, types: ["居民户口簿", "社会保障卡"]))
        online.touch(.next)
        #expect(online.state.screen == .review, "nothing left to scan")
        let submission = try #require(submit(&online, number: number))
        #expect(submission.attachments.isEmpty)
        #expect(submission.materialsByOther == ["hukou_book": "e_certificate:居民户口簿", "bank_card": "e_certificate:社会保障卡"])
        #expect(online.printed.first?.materials.map(\.how) == ["电子证照", "电子证照"])
        #expect(online.printed.first?.caseNumber == "AH3401042026112700007", "online, the receipt waited for the platform's 受理 and carries its number")
        #expect(online.spoken.last?.hasPrefix("平台已受理。事项：高龄津贴申领。") == true, "\(online.spoken.last ?? "")")

        var offline = Driver(online: false)
        startItem(&offline, search: "高龄", code: "0500012000")
        offline.touch(.consentToECertificateLookup)
        #expect(!offline.effects.contains { if case .lookupECertificates = $0 { true } else { false } })
        #expect(offline.message?.contains("请扫描纸质材料") == true)
        offline.touch(.next)
        guard case .incomplete(let missing, _) = offline.state.screen else { Issue.record("offline went on without papers"); return }
        #expect(missing.contains(.material(id: "bank_card", name: "本人社会保障卡或银行卡")))
        offline.touch(.back)
        offline.scan("hukou_book", pages: 2)
        offline.scan("bank_card", pages: 1)
        offline.touch(.next)
        #expect(offline.state.screen == .review)
    }

    @Test("A completeness failure says exactly what is missing, submits nothing, and offers a reservation")
    func completenessFailure() throws {
        var driver = Driver(online: false)
        startItem(&driver, search: "低保", code: "0500007000")
        driver.scan("hukou_book", pages: 2)
        driver.scan("bank_card", pages: 1)
        driver.touch(.next)
        guard case .incomplete(let missing, let dates) = driver.state.screen else { Issue.record("went on without materials"); return }
        #expect(missing == [.material(id: "income_statement", name: "家庭收入及财产状况声明"), .material(id: "authorization", name: "家庭经济状况核对授权书")])
        #expect(driver.spoken.last?.contains("缺少材料：家庭收入及财产状况声明；缺少材料：家庭经济状况核对授权书") == true)
        #expect(dates.first == CalendarDate(year: 2026, month: 11, day: 30)! && dates.count == 5, "the next five working days")
        driver.touch(.submit)
        #expect(driver.enqueued.isEmpty, "a case that would bounce is never submitted")

        driver.touch(.reserve(dates[1]))
        guard case .makeReservation(let request, let reservation)? = driver.effects.last else { Issue.record("no reservation"); return }
        #expect(reservation.date == dates[1] && reservation.missing.count == 2 && reservation.applicantMasked == "张*兰")
        driver.send(.reservationMade(request: request, reference: "YY20261127001"))
        var booked = reservation
        booked.reference = "YY20261127001"
        #expect(driver.state.screen == .reserved(booked), "the platform's reference kept: shown, spoken and printed")
        #expect(driver.spoken.last?.contains("预约号YY20261127001") == true)
        let printing = driver.touch(.printNotice)
        guard case .printNotice(let notice, _)? = printing.first(where: { if case .printNotice = $0 { true } else { false } }) else {
            Issue.record("no notice printed: \(printing)"); return
        }
        #expect(notice.sections.contains { $0.lines.contains("预约号：YY20261127001") }, "\(notice.sections)")
        #expect(driver.audits.last?.action == "reserved")
    }

    @Test("呼叫工作人员: from any screen, said and audited; kept through more presses; cleared when an agent logs in or the visit ends, and only an agent answers")
    func callStaff() throws {
        var driver = Driver()
        driver.touch(.callStaff)  // on the attract screen, before any card
        let calledAt = driver.now
        #expect(driver.state.staffCalledAt == calledAt)
        #expect(driver.effects.contains(.speak(SessionText(.staffCalled))) && driver.audits.last?.action == "staff_called")
        driver.tap(zhang)
        driver.touch(.callStaff)
        #expect(driver.state.staffCalledAt == calledAt, "a second press does not restart the wait")
        driver.touch(.staffAnswered)
        #expect(driver.state.staffCalledAt == calledAt, "a resident cannot answer their own call")
        driver.touch(.endSession)
        #expect(driver.state.staffCalledAt == nil && driver.state.screen == .attract, "the call ends with the visit")

        driver.touch(.callStaff)
        driver.tap(agentCard)
        driver.touch(.agentPIN("246810"))
        driver.send(.agentPINChecked(request: driver.pendingID!, result: .accepted))
        #expect(driver.state.staffCalledAt == nil, "the agent who logs in has come")
        driver.touch(.callStaff)
        driver.touch(.staffAnswered)
        #expect(driver.state.staffCalledAt == nil && driver.audits.last?.action == "staff_answered")
    }

    @Test("呼叫工作人员 offline: the call is kept at the kiosk, but nobody is promised: it says the call was not sent and where to find someone")
    func callStaffOffline() throws {
        var driver = Driver(online: false)
        driver.tap(zhang)
        driver.touch(.callStaff)
        #expect(driver.state.staffCalledAt != nil)
        let said = try #require(driver.spoken.last)
        #expect(said.hasPrefix("网络未连通，呼叫没能送出。请到服务窗口找工作人员，或拨打本站电话") && !said.contains("马上过来"), "\(said)")
        #expect(driver.audits.last?.action == "staff_called" && driver.audits.last?.detail == "offline: not sent")
    }

    @Test("Proxy handling: agent card and PIN, the resident's consent recorded with the application, every agent action audited")
    func proxy() throws {
        var driver = Driver(online: false)
        driver.tap(agentCard)
        #expect(driver.state.screen == .agentPIN)
        driver.touch(.agentPIN("0000"))
        guard case .verifyAgentPIN(let first, "agent01", "0000")? = driver.effects.last else { Issue.record("PIN not checked"); return }
        driver.send(.agentPINChecked(request: first, result: .wrong(triesLeft: 4)))
        #expect(driver.notice == "密码错误，还可尝试4次。" && driver.state.agent == nil)
        driver.touch(.agentPIN("246810"))
        driver.send(.agentPINChecked(request: driver.pendingID!, result: .accepted))
        #expect(driver.state.screen == .agentConsole)

        // Before consent nothing can be handled.
        driver.touch(.menu(.popular))
        #expect(driver.state.screen == .agentConsole)
        driver.tap(zhang)
        #expect(driver.state.screen == .proxyConsent)
        driver.send(.cardRemoved(now: driver.now + 1))
        #expect(driver.state.visit?.resident == zhang, "the resident takes the card back; the agent goes on")
        driver.touch(.confirmProxyConsent)
        #expect(driver.state.screen == .home)
        driver.reachMaterials(search: "护理补贴", code: "0500011000")
        driver.scan("disability_card", pages: 2)
        driver.scan("bank_card", pages: 1)
        driver.touch(.next)
        let submission = try #require(submit(&driver, number: number))
        #expect(submission.agent == "agent01 王*国")
        #expect(submission.form["proxy_consent"]?.contains("consent by 张*兰 3401**********") == true)
        #expect(driver.printed.first?.agent == "agent01 王*国")

        driver.touch(.endSession)
        #expect(driver.state.visit == nil && driver.state.screen == .agentConsole, "the resident's data goes; the agent stays")
        driver.touch(.agentStationCases)
        driver.send(.casesFound(request: driver.pendingID!, cases: [CaseSummary(trackingNumber: number.value, serviceName: "重度残疾人护理补贴申请", applicantMasked: "张*兰", status: SessionText(.caseQueued))]))
        driver.touch(.agentReprint(trackingNumber: number.value))
        #expect(driver.effects.contains(.reprintReceipt(trackingNumber: number.value)))
        driver.touch(.back)
        #expect(driver.state.screen == .agentConsole)
        driver.touch(.agentLogout)
        #expect(driver.state.screen == .attract && driver.state.agent == nil)
        #expect(driver.audits.map(\.action) == ["agent_login_failed", "agent_login", "consent_recorded", "scanned", "scanned", "receipted", "reprint", "agent_logout"])
        #expect(driver.audits.allSatisfy { !$0.actor.contains(agentCard.number) && !$0.detail.contains(zhang.number) })
    }

    @Test("An enterprise is identified by an agent typing its credit code; a person's item is refused for it")
    func enterprise() throws {
        var driver = Driver(online: false)
        driver.tap(agentCard)
        driver.touch(.agentPIN("246810"))
        driver.send(.agentPINChecked(request: driver.pendingID!, result: .accepted))
        driver.touch(.agentEnterprise(creditCode: "91340100MA2RXXXX1X", name: "某某小卖部"))
        #expect(driver.state.screen == .enterprise && driver.notice != nil)
        let code = try #require(Shipped.catalogue.departments.first?.creditCode)
        driver.touch(.agentEnterprise(creditCode: code, name: "示例个体户"))
        #expect(driver.state.screen == .home)
        driver.touch(.menu(.search("高龄")))
        driver.touch(.choose(code: "0500012000"))
        #expect(driver.state.screen != .guide)
        driver.touch(.menu(.search("执照")))
        driver.touch(.choose(code: "0100024000"))
        #expect(driver.state.screen == .guide)
    }

    @Test("A rating, one per case, with a reason required for the bottom two")
    func rating() throws {
        var driver = Driver(online: false)
        startItem(&driver, search: "高龄", code: "0500012000")
        driver.scan("hukou_book", pages: 2)
        driver.scan("bank_card", pages: 1)
        driver.touch(.next)
        _ = submit(&driver, number: number)
        driver.touch(.next)
        #expect(driver.state.screen == .rating)
        driver.touch(.rate(.dissatisfied, reasons: []))
        #expect(driver.state.screen == .rating && driver.message?.contains("原因") == true)
        driver.touch(.rate(.dissatisfied, reasons: ["等待时间长", "not a listed reason"]))
        #expect(driver.state.screen == .done)
        let ratings = driver.effects.compactMap { if case .submitRating(let r) = $0 { r } else { nil } }
        #expect(ratings.count == 1)
        #expect(ratings.first?.level.rawValue == 4 && ratings.first?.reasons == ["等待时间长"] && ratings.first?.trackingNumber == number.value)
        driver.touch(.rate(.verySatisfied, reasons: []))
        #expect(driver.effects.filter { if case .submitRating = $0 { true } else { false } }.count == 1, "one rating per case")
    }

    @Test("By life event and by department: the lists offer only those with services; back from one's services returns to its list")
    func categoryMenus() {
        var catalogue = Shipped.catalogue
        catalogue.lifeEvents.append(Category(id: "marriage", name: "婚姻", pictogram: "family"))  // nothing in the catalogue under it
        #expect(catalogue.lifeEventsInUse.map(\.id) == Shipped.catalogue.lifeEvents.map(\.id))
        #expect(catalogue.departmentsInUse.count == Shipped.catalogue.departments.count && !catalogue.departmentsInUse.isEmpty)
        var driver = Driver(online: false)
        driver.tap(zhang)
        driver.touch(.menu(.lifeEvents))
        #expect(driver.state.screen == .browse(.lifeEvents, []) && driver.spoken.last == "请选择您要办的事属于哪类生活事件。")
        driver.touch(.menu(.lifeEvent("elderly")))
        guard case .browse(.lifeEvent("elderly"), let entries) = driver.state.screen else { Issue.record("\(driver.state.screen)"); return }
        #expect(entries.contains { $0.name == "高龄津贴申领" })
        driver.touch(.back)
        #expect(driver.state.screen == .browse(.lifeEvents, []))
        driver.touch(.back)
        #expect(driver.state.screen == .home)
        driver.touch(.menu(.departments))
        driver.touch(.menu(.department("mzj")))
        guard case .browse(.department("mzj"), let services) = driver.state.screen else { Issue.record("\(driver.state.screen)"); return }
        #expect(services.contains { $0.name == "高龄津贴申领" })
        driver.touch(.back)
        #expect(driver.state.screen == .browse(.departments, []))
        driver.touch(.choose(code: services[0].code))
        #expect(driver.state.screen == .guide)
    }

    @Test("Search by initials as typed on the keypad: opening it says nothing; no match says so")
    func keypadSearch() {
        var driver = Driver(online: false)
        driver.tap(zhang)
        let before = driver.spoken.count
        driver.touch(.menu(.search(" ")))
        #expect(driver.state.screen == .browse(.search(" "), []) && driver.spoken.count == before)
        driver.touch(.menu(.search("GL")))
        guard case .browse(_, let found) = driver.state.screen else { Issue.record("no results"); return }
        #expect(found.map(\.name) == ["高龄津贴申领"])
        driver.touch(.menu(.search("QQ")))
        #expect(driver.spoken.last?.contains("没有找到") == true)
    }

    @Test("Looking up my cases by ID card")
    func statusLookup() {
        var driver = Driver(online: true)
        driver.tap(zhang)
        driver.touch(.myCases)
        guard case .lookupCases(let request, let holder)? = driver.effects.last else { Issue.record("no lookup"); return }
        #expect(holder == zhang.number)
        let cases = [CaseSummary(trackingNumber: number.value, serviceName: "高龄津贴申领", applicantMasked: "张*兰", status: SessionText(.caseAccepted), caseNumber: "AH3401042026112700012")]
        driver.send(.casesFound(request: request, cases: cases))
        #expect(driver.state.screen == .myCases(cases))
        #expect(driver.spoken.last == "查到1件办件。高龄津贴申领，已受理。")
        // A late duplicate answer changes nothing.
        driver.send(.casesFound(request: request, cases: []))
        #expect(driver.state.screen == .myCases(cases))
    }

    @Test("A consultation goes to the 12345 channel")
    func consultation() {
        var driver = Driver(online: true)
        driver.tap(zhang)
        driver.touch(.startConsultation(.complaint))
        driver.touch(.sendConsultation(text: " ", phone: nil))
        #expect(driver.message == "请填写内容。")
        driver.touch(.sendConsultation(text: "养老金到账时间比告知的晚了两个月", phone: "13912345678"))
        guard case .submitInteraction(let request, let interaction)? = driver.effects.last else { Issue.record("not sent"); return }
        #expect(interaction.kind == .complaint && interaction.personIDNumber == zhang.number)
        driver.send(.interactionSent(request: request, reference: "12345-20261127-0042"))
        #expect(driver.state.screen == .consultationSent(reference: "12345-20261127-0042"))
    }

    @Test("Idle: a warning at least 20 s ahead, a touch extends it again and again, then the session ends and nothing personal is left")
    func idleTimeout() throws {
        var driver = Driver(online: false)
        let li = resident("李秀英", birth: "19700707", sequence: "022")  // 56: no elderly mode, the standard 120 s
        startItem(&driver, search: "临时救助", code: "0500008000", as: li)
        driver.scan("hardship_proof", pages: 2, marker: 0xC7)
        #expect(driver.wait(89).isEmpty)
        let warning = driver.wait(1)
        #expect(warning.contains { if case .speak(let text) = $0 { Shipped.zh.render(text).contains("30秒后将自动退出") } else { false } })
        for _ in 0..<3 {
            driver.touch(.stillHere, after: 25)
            #expect(driver.state.visit != nil && !driver.state.idleWarningShown)
            _ = driver.wait(95)
            #expect(driver.state.idleWarningShown && driver.state.visit != nil)
        }
        let ending = driver.wait(25)
        #expect(ending.contains(.sessionEnded(.idleTimeout)))
        #expect(driver.state.screen == .attract && driver.state.visit == nil)
        let strings = everyString(in: driver.state)
        for secret in [li.name, li.number, li.address!, "示例内容", "6222020200112233446", "c7,c7,c7"] {
            #expect(!strings.contains { $0.contains(secret) }, "\(secret) left in the state")
        }
    }

    @Test("Elderly mode comes on by itself for a card of 60 or older, one tap declines it; in it the timeout is longer and each choice is confirmed aloud")
    func elderlyOffer() throws {
        var driver = Driver(online: false)
        let sixty = resident("刘桂芳", birth: "19661127", sequence: "042")  // 60 on 2026-11-27, the test's day
        driver.tap(sixty)
        #expect(driver.state.elderlyMode && driver.state.elderlyOffered)
        #expect(driver.spoken.last?.hasPrefix("刘*芳，您好。已为您打开长辈模式") == true && driver.spoken.last?.contains("不用长辈模式") == true)
        #expect(driver.wait(150).isEmpty, "120 s is not the end for an older resident")
        #expect(!driver.wait(130).isEmpty && driver.state.idleWarningShown, "warned before the elderly timeout (300 s)")
        driver.touch(.stillHere)
        driver.touch(.elderlyMode(false))
        #expect(!driver.state.elderlyMode && !driver.state.elderlyOffered && driver.spoken.last == "已退出长辈模式。")
        driver.touch(.endSession)

        let younger = resident("李秀英", birth: "19661128", sequence: "022")  // 59 for one more day
        driver.send(.cardRemoved(now: driver.now + 1))
        driver.tap(younger)
        #expect(!driver.state.elderlyMode && !driver.state.elderlyOffered)
        driver.touch(.endSession)
        #expect(!driver.state.elderlyMode)

        // In elderly mode the choices that change nothing on screen are said back.
        var elderly = Driver(online: false)
        elderly.tap(zhang)
        elderly.touch(.menu(.search("高龄")))
        elderly.touch(.choose(code: "0500012000"))
        elderly.touch(.next)
        #expect(elderly.state.elderlyMode && elderly.state.screen == .form)
        elderly.touch(.setField(id: "phone", value: "13912345678"))
        #expect(elderly.spoken.last == "联系电话已填好。")
        elderly.fillForm()
        elderly.touch(.next)
        elderly.scan("hukou_book", pages: 1)
        elderly.scan("bank_card", pages: 1)
        elderly.touch(.next)
        elderly.touch(.delivery(.stationPickup))
        #expect(elderly.spoken.last == "您选择了到本站领取。")
        // An agent's visit is the agent's screen: no offer.
        var proxy = Driver(online: false)
        proxy.tap(agentCard)
        proxy.touch(.agentPIN("246810"))
        proxy.send(.agentPINChecked(request: proxy.pendingID!, result: .accepted))
        proxy.tap(zhang)
        #expect(!proxy.state.elderlyMode)
    }

    @Test("The card removed mid-journey ends the session, or pauses it for the same card, as configured")
    func cardRemoved() {
        var ends = Driver(settings: settings(cardRemoval: .end), online: false)
        startItem(&ends, search: "高龄", code: "0500012000")
        ends.send(.cardRemoved(now: ends.now + 1))
        #expect(ends.state.visit == nil && ends.effects.contains(.sessionEnded(.cardRemoved)))

        var pauses = Driver(settings: settings(cardRemoval: .pause), online: false)
        startItem(&pauses, search: "高龄", code: "0500012000")
        pauses.send(.cardRemoved(now: pauses.now + 1))
        #expect(pauses.state.screen == .paused(resume: .materials))
        pauses.tap(zhang)
        #expect(pauses.state.screen == .materials && pauses.state.visit?.choice != nil)
        pauses.send(.cardRemoved(now: pauses.now + 1))
        let neighbour = resident("李四", birth: "19700707", sequence: "011")
        pauses.tap(neighbour)
        #expect(pauses.state.visit?.resident == neighbour && pauses.state.visit?.choice == nil && pauses.state.screen == .home)
        // One session at a time: another card during a visit is refused.
        pauses.tap(zhang)
        #expect(pauses.state.visit?.resident == neighbour)
    }

    @Test("A failed print keeps the receipt on screen; a failed commit keeps everything for a retry")
    func failures() throws {
        var driver = Driver(online: false)
        startItem(&driver, search: "高龄", code: "0500012000")
        driver.scan("hukou_book", pages: 2)
        driver.scan("bank_card", pages: 1)
        driver.touch(.next)
        driver.touch(.submit)
        let first = try #require(driver.enqueued.last?.0)
        driver.send(.enqueueFailed(request: first, reason: SessionText(.diskFull)))
        #expect(driver.state.screen == .review && driver.printed.isEmpty)
        #expect(driver.message?.contains("存储空间已满") == true)
        driver.send(.enqueueCommitted(request: first, trackingNumber: number))
        #expect(driver.state.screen == .review, "an answer to an abandoned request is ignored")
        _ = submit(&driver, number: number)
        driver.send(.printFailed(reason: SessionText(.receiptPrinterPaperOut)))
        #expect(driver.state.screen == .receipt)
        #expect(driver.message?.contains(number.value) == true)
    }

    @Test("Out of service (暂停服务): a card starts nothing and is told why and whom to call; a visit under way goes on; service back, visits start again")
    func outOfService() {
        var driver = Driver()
        driver.tap(resident("李秀英", birth: "19620805", sequence: "044"))
        #expect(driver.state.screen == .home)
        driver.send(.serviceChanged(outOfService: SessionText(.outOfServiceOutbox)))
        driver.touch(.menu(.popular))
        #expect(driver.state.visit != nil, "the resident at the kiosk is not thrown out")
        driver.touch(.endSession)
        driver.tap(resident())
        #expect(driver.state.screen == .attract && driver.state.visit == nil)
        #expect(driver.notice?.contains("本机暂停服务") == true && driver.notice?.contains("12345") == true, "\(driver.notice ?? "")")
        driver.tap(agentCard)
        #expect(driver.state.screen == .attract && driver.state.agentCandidate == nil, "nor does an agent start a proxy visit")
        driver.send(.serviceChanged(outOfService: nil))
        driver.tap(resident())
        #expect(driver.state.screen == .home)
    }
}

