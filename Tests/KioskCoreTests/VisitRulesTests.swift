import KioskCore
import Testing

/// What a resident finishes alone: eligibility before anything is scanned, every card type,
/// delivery and its address, the four 12345 kinds, ratings with reasons and a comment, a page
/// looked at and scanned again, reprints, printed notices, and the card left on the reader.
@Suite("A visit a resident finishes alone")
struct VisitRulesTests {
    let number = TrackingNumber(station: "340104001", date: CalendarDate(year: 2026, month: 11, day: 27)!, sequence: 7)

    /// A card of another kind than a resident ID card.
    func permitHolder(_ type: IdentityCardType, number: String, address: String?) -> ResidentIdentity {
        ResidentIdentity(cardType: type, name: "史约翰", englishName: "SMITH, JOHN", gender: .male, nation: nil, nationality: "CAN",
                         birthDate: CalendarDate(yyyymmdd: "19780517")!, address: address, number: number, issuingAuthority: "1500",
                         validFrom: CalendarDate(yyyymmdd: "20200101")!, validUntil: .until(CalendarDate(yyyymmdd: "20300101")!), photo: [])
    }

    /// From the guide of `code` to the materials screen, answering yes to what the card cannot.
    func toMaterials(_ driver: inout Driver, _ card: ResidentIdentity, search: String, code: String) {
        driver.tap(card)
        driver.touch(.menu(.search(search)))
        driver.touch(.choose(code: code))
        #expect(driver.state.screen == .guide, "\(driver.state.screen)")
        driver.touch(.next)
        driver.confirmConditions()
        driver.fillForm()
        driver.touch(.next)
        #expect(driver.state.screen == .materials, "\(driver.state.visit?.fieldProblems ?? [:])")
    }

    /// One page of every required material not provided yet, then the completeness check.
    func scanRequired(_ driver: inout Driver) {
        for material in driver.state.visit?.choice?.materials ?? [] where material.required && driver.state.visit?.materials[material.id] == nil {
            driver.scan(material.id, pages: 1)
        }
        driver.touch(.next)
        #expect(driver.state.screen == .review, "\(driver.state.screen)")
    }

    func submit(_ driver: inout Driver) -> ApplicationSubmission? {
        driver.touch(.submit)
        guard let (request, submission) = driver.enqueued.last else { Issue.record("nothing enqueued"); return nil }
        driver.send(.enqueueCommitted(request: request, trackingNumber: number))
        #expect(driver.state.screen == .receipt)
        return submission
    }

    @Test("The age rule: a 68-year-old is told why 高龄津贴 is not for them, and what to apply for instead, before anything is typed")
    func ageRule() throws {
        var driver = Driver(online: false)
        driver.tap(resident("王建国", birth: "19580312", sequence: "051"))
        driver.touch(.menu(.search("高龄")))
        driver.touch(.choose(code: "0500012000"))
        guard case .ineligible(let reason, let instead) = driver.state.screen else { Issue.record("\(driver.state.screen)"); return }
        let said = Shipped.zh.render(reason)
        #expect(said.hasPrefix("您今年68周岁，本事项要求年满80周岁，暂时不能办理“高龄津贴申领”。您可以改办“城乡居民基本养老保险待遇领取”。"), "\(said)")
        #expect(driver.spoken.last == said, "shown and spoken")
        #expect(instead?.code == "0500002000")
        driver.touch(.choose(code: "0500002000"))
        #expect(driver.state.screen == .guide, "the item offered instead: 60 and over")
        #expect(driver.enqueued.isEmpty)
    }

    @Test("户籍 by the card's address: elsewhere is refused with the place; a permit or permanent residence card has no 户籍; a certificate rule names the cards it takes")
    func householdRule() {
        let elsewhere = resident("马军", birth: "19400601", sequence: "153", address: "安徽省亳州市利辛县示例乡团结村五组6号")
        var driver = Driver(online: false)
        driver.tap(elsewhere)
        driver.touch(.menu(.search("高龄")))
        driver.touch(.choose(code: "0500012000"))
        #expect(driver.spoken.last?.hasPrefix("本事项要求户籍在安徽省合肥市蜀山区，您身份证上的住址不在这里") == true, "\(driver.spoken.last ?? "")")

        let foreigner = permitHolder(.foreignPermanentResident, number: "CAN340078051702", address: nil)
        #expect(EligibilityRule.householdIn(["安徽省合肥市蜀山区"]).unmet(by: foreigner, on: CalendarDate(year: 2026, month: 11, day: 27)!)
            == SessionText(.ruleNoHousehold, ["certificate": .verbatim("外国人永久居留身份证")]))
        let rule = EligibilityRule.certificate([.residentID])
        let text = rule.unmet(by: foreigner, on: CalendarDate(year: 2026, month: 11, day: 27)!).map(Shipped.zh.render)
        #expect(text == "本事项需持居民身份证办理，您持的是外国人永久居留身份证")
        #expect(EligibilityRule.sex(.female).unmet(by: resident(), on: CalendarDate(year: 2026, month: 11, day: 27)!) == nil)
        #expect(EligibilityRule.ageBelow(60).unmet(by: resident(), on: CalendarDate(year: 2026, month: 11, day: 27)!) != nil)
    }

    @Test("Conditions no card answers: each confirmed yes or no; all must be answered; a no says why and submits nothing; the answers go with the application")
    func confirmations() throws {
        var driver = Driver(online: false)
        driver.tap(resident())
        driver.touch(.menu(.search("低保")))
        driver.touch(.choose(code: "0500007000"))
        driver.touch(.next)
        #expect(driver.state.screen == .conditions)
        let standings = driver.reducer.standings(driver.state).map(\.standing)
        #expect(standings == [.confirmed(nil), .confirmed(nil), .checked], "income and property asked; 户籍 read from the card")
        driver.touch(.next)
        #expect(driver.state.screen == .conditions && driver.message == "还有2条条件没有确认，请逐条确认。")
        driver.touch(.confirmCondition(index: 0, met: true))
        driver.touch(.confirmCondition(index: 2, met: false))
        #expect(driver.state.screen == .conditions, "a condition the card answered is not the resident's to answer")
        driver.touch(.confirmCondition(index: 1, met: false))
        guard case .ineligible(let reason, nil) = driver.state.screen else { Issue.record("\(driver.state.screen)"); return }
        #expect(Shipped.zh.render(reason).hasPrefix("您不符合“家庭财产符合当地规定”这一条件，暂时不能办理“最低生活保障申请”。如有疑问"))

        driver.touch(.back)
        driver.touch(.choose(code: "0500007000"))
        driver.touch(.next)
        #expect(driver.state.screen == .conditions)
        driver.confirmConditions()
        #expect(driver.state.screen == .form)
        driver.fillForm()
        driver.touch(.next)
        for material in ["hukou_book", "bank_card", "income_statement", "authorization"] { driver.scan(material, pages: 1) }
        driver.touch(.next)
        let submission = try #require(submit(&driver))
        #expect(submission.form["conditions"] == "共同生活家庭成员人均月收入低于当地低保标准：申请人确认符合\n家庭财产符合当地规定：申请人确认符合\n户籍在本区：读卡核验符合")
    }

    @Test("Every card type finishes a visit: the form names the certificate, its number is the card's own, and the record carries its type")
    func cardTypes() throws {
        let cards: [(ResidentIdentity, String, String?, String)] = [
            (permitHolder(.foreignPermanentResident, number: "CAN340078051702", address: nil), "553", "外国人永久居留身份证", "永久居留身份证号码"),
            (permitHolder(.foreignPermanentResident, number: "934724198502030021", address: nil), "553", "外国人永久居留身份证", "永久居留身份证号码"),
            (permitHolder(.hongKongMacaoTaiwanResidence, number: "810000199001010019", address: "安徽省合肥市政务区示例大道100号"), "990", "港澳居民居住证", "居住证号码"),
            (permitHolder(.hongKongMacaoTaiwanResidence, number: "830000199208150020", address: "安徽省合肥市蜀山区示例路66号"), "990", "台湾居民居住证", "居住证号码"),
            (resident(), "111", "居民身份证", "公民身份号码"),
        ]
        for (card, code, name, label) in cards {
            var driver = Driver(online: false)
            toMaterials(&driver, card, search: "社会保障卡", code: "2000017000")
            #expect(driver.state.visit?.choice?.formFields.first { $0.id == "applicant_id" }?.label(holding: card.certificate) == label)
            scanRequired(&driver)
            let submission = try #require(submit(&driver))
            #expect(submission.applicantCertificateType == code && submission.applicantCertificateName == name && submission.applicantCertificateNumber == card.number)
        }
    }

    @Test("Delivery is asked on the review screen: post takes the card's address, the resident corrects it, the receipt and the record carry it; the kept copy masks it")
    func postDelivery() throws {
        var driver = Driver(online: false)
        toMaterials(&driver, resident(), search: "社会保障卡", code: "2000017000")
        scanRequired(&driver)
        #expect(driver.state.visit?.delivery == .stationPickup)
        driver.touch(.delivery(.post))
        #expect(driver.state.visit?.postalAddress == "安徽省合肥市蜀山区笔架山街道示例村3组12号", "prefilled from the card")
        driver.touch(.postalAddress("安徽省合肥市蜀山区笔架山街道示例村3组15号"))
        let submission = try #require(submit(&driver))
        #expect(submission.form["delivery"] == "post" && submission.form["postal_address"] == "安徽省合肥市蜀山区笔架山街道示例村3组15号")
        let receipt = try #require(driver.printed.first)
        #expect(receipt.postalAddress == "安徽省合肥市蜀山区笔架山街道示例村3组15号")
        #expect(ReceiptLayout.document(receipt, columns: 80).text.contains("邮寄地址：安徽省合肥市蜀山区笔架山街道示例村3组15号"))
        #expect(receipt.masked.postalAddress == "安徽省合肥市蜀山区" + String(repeating: "*", count: 13))
    }

    @Test("The four 12345 kinds are chosen on the consultation screen; the message goes as the kind chosen")
    func hotlineKinds() {
        var driver = Driver(online: true)
        driver.tap(resident())
        driver.touch(.startConsultation(.consultation))
        driver.touch(.startConsultation(.complaint))
        #expect(driver.state.screen == .consultation(.complaint))
        driver.touch(.sendConsultation(text: "窗口排队太久", phone: nil))
        guard case .submitInteraction(_, let interaction)? = driver.effects.last else { Issue.record("nothing sent"); return }
        #expect(interaction.kind == .complaint && interaction.text == "窗口排队太久")
    }

    @Test("A rating: each level opens its reasons (several at once) and a comment; a 差评 must say why; what was chosen is sent as chosen")
    func ratingReasons() throws {
        var driver = Driver(online: false)
        toMaterials(&driver, resident(), search: "居住证明", code: "2000018000")
        scanRequired(&driver)
        _ = try #require(submit(&driver))
        driver.touch(.next)
        driver.touch(.rate(.satisfied, reasons: []))
        #expect(driver.state.screen == .rating && driver.state.visit?.ratingDraft?.level == .satisfied)
        driver.touch(.toggleRatingReason("操作简单"))
        driver.touch(.toggleRatingReason("等待时间长"))
        driver.touch(.toggleRatingReason("一次办成"))
        #expect(driver.state.visit?.ratingDraft?.reasons == ["操作简单", "一次办成"], "a reason of the other list is not this level's")
        driver.touch(.rate(.satisfied, reasons: ["操作简单", "一次办成"], comment: "  工作人员很耐心  "))
        let rating = try #require(driver.effects.compactMap { if case .submitRating(let r) = $0 { r } else { nil } }.first)
        #expect(rating.level == .satisfied && rating.reasons == ["操作简单", "一次办成"] && rating.comment == "工作人员很耐心")
        #expect(driver.state.screen == .done)

        var unhappy = Driver(online: false)
        toMaterials(&unhappy, resident(), search: "居住证明", code: "2000018000")
        scanRequired(&unhappy)
        _ = try #require(submit(&unhappy))
        unhappy.touch(.next)
        unhappy.touch(.rate(.veryDissatisfied, reasons: []))
        unhappy.touch(.rate(.veryDissatisfied, reasons: []))
        #expect(unhappy.state.screen == .rating && unhappy.message?.contains("请至少选择一个") == true)
        unhappy.touch(.rate(.veryDissatisfied, reasons: ["操作复杂", "设备故障"]))
        let sent = try #require(unhappy.effects.compactMap { if case .submitRating(let r) = $0 { r } else { nil } }.first)
        #expect(sent.reasons == ["操作复杂", "设备故障"] && sent.comment == nil)
    }

    @Test("A scanned page looked at large, discarded, and the material scanned again: the new page is what is submitted")
    func rescan() throws {
        var driver = Driver(online: false)
        toMaterials(&driver, resident(), search: "居住证明", code: "2000018000")
        driver.scan("hukou_book", pages: 1)
        driver.scan("tenancy", pages: 2, marker: 0x11)
        driver.touch(.viewPage(materialID: "tenancy", index: 1))
        #expect(driver.state.screen == .page(materialID: "tenancy", index: 1) && driver.spoken.last == "房屋产权证明或租赁合同第2页，共2页。看不清可以删除或重新扫描。")
        driver.touch(.discardPage(materialID: "tenancy", index: 1))
        #expect(driver.state.screen == .materials)
        guard case .scanned(let kept)? = driver.state.visit?.materials["tenancy"] else { Issue.record("no pages left"); return }
        #expect(kept.count == 1 && kept[0].number == 1)
        driver.touch(.viewPage(materialID: "tenancy", index: 0))
        driver.touch(.rescan(materialID: "tenancy"))
        #expect(driver.state.visit?.materials["tenancy"] == nil, "the old pages go before the new scan")
        guard case .scanning = driver.state.screen, let request = driver.pendingID else { Issue.record("\(driver.state.screen)"); return }
        driver.send(.scanFinished(request: request, pages: [page(1, marker: 0x22)]))
        driver.touch(.next)
        let submission = try #require(submit(&driver))
        #expect(submission.attachments.filter { $0.material == "tenancy" }.map(\.data) == [page(1, marker: 0x22).data])
    }

    @Test("再打印 on the receipt screen: the copy kept with the application, marked 重印, in the audit trail")
    func reprint() throws {
        var driver = Driver(online: false)
        toMaterials(&driver, resident(), search: "居住证明", code: "2000018000")
        scanRequired(&driver)
        _ = try #require(submit(&driver))
        let effects = driver.touch(.printAgain)
        #expect(effects.contains(.reprintReceipt(trackingNumber: number.value)))
        #expect(driver.audits.last?.action == "reprint" && driver.audits.last?.trackingNumber == number.value)
    }

    @Test("Printed notices: the 一次性告知单 of an incomplete case (what, where to get it, the day booked, the station's phone, the guide's QR code); the whole guide")
    func notices() throws {
        var driver = Driver(settings: SessionSettings(stationCode: "340104001", stationName: "示例村便民服务站", stationPhone: "0551-12345678", regionCode: "340104001000",
                                                      trackingURLBase: "https://sample.zwfw.ah.gov.cn/track/", guideURLBase: "https://sample.zwfw.ah.gov.cn/guide/"),
                            online: false)
        toMaterials(&driver, resident(), search: "低保", code: "0500007000")
        driver.touch(.next)
        guard case .incomplete = driver.state.screen else { Issue.record("\(driver.state.screen)"); return }
        guard case .printNotice(let notice, false)? = driver.touch(.printNotice).first else { Issue.record("nothing printed"); return }
        let text = notice.document(columns: 48).text
        let lines = notice.sections.flatMap(\.lines) + notice.footer
        #expect(notice.title == "一次性告知单" && text.contains("一次性告知单"))
        #expect(lines.contains("居民户口簿（原件1份 · 户主页和本人页 · 可由平台调取）：到户籍所在地派出所办理"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("家庭经济状况核对授权书") } && lines.contains("本站电话 0551-12345678"))
        #expect(notice.qrCode == "https://sample.zwfw.ah.gov.cn/guide/0500007000")
        #expect(!text.contains("张秀兰") && text.contains("张*兰"), "masked")

        driver.touch(.back)
        driver.touch(.back)
        driver.touch(.back)
        driver.touch(.back)
        #expect(driver.state.screen == .guide, "\(driver.state.screen)")
        guard case .printNotice(let guide, true)? = driver.touch(.printGuide).first else { Issue.record("no guide printed"); return }
        let guideText = guide.document(columns: 80).text
        for part in ["办理条件", "户籍在本区", "申请材料", "办理时限", "最低生活保障申请：法定", "收费", "不收费", "结果送达", "设定依据", "咨询电话"] {
            #expect(guideText.contains(part), "\(part)")
        }
    }

    @Test("An agent prints the application form for the resident's signature after the receipt; a resident alone cannot")
    func applicationForm() throws {
        var driver = Driver(online: false)
        toMaterials(&driver, resident(), search: "居住证明", code: "2000018000")
        scanRequired(&driver)
        _ = try #require(submit(&driver))
        #expect(driver.touch(.printApplicationForm).isEmpty, "a resident alone has no agent to sign with")
        driver.state.agent = registeredAgent
        guard case .printForm(let form)? = driver.touch(.printApplicationForm).first else { Issue.record("no form"); return }
        #expect(form.title == "居住证明开具申请表" && form.trackingNumber == number.value)
        #expect(form.fields.contains(ApplicationForm.Field("证件号码", resident().number)) && form.signatures == ["申请人（签字）", "代办人（签字）"])
    }

    @Test("A card left on the reader: 请取走您的身份证 until it is taken, said again, and it cannot start the next visit")
    func cardLeftBehind() {
        var driver = Driver(online: false)
        let zhang = resident()
        driver.tap(zhang)
        driver.touch(.endSession)
        #expect(driver.state.screen == .attract && driver.notice == "请取走您的身份证。" && driver.spoken.last == "请取走您的身份证。")
        #expect(driver.wait(16).contains(.speak(SessionText(.takeYourCard))), "said again")
        driver.tap(zhang)
        #expect(driver.state.visit == nil, "the same card, never taken, starts nothing")
        driver.send(.cardRemoved(now: driver.now + 1))
        #expect(driver.notice == nil && driver.state.cardLeft == nil)
        #expect(driver.wait(20).isEmpty)
        driver.tap(zhang)
        #expect(driver.state.screen == .home, "taken and placed again: a visit")

        var walkedOff = Driver(online: false)
        walkedOff.tap(zhang)
        _ = walkedOff.wait(310)  // 86: elderly mode, 300 s
        #expect(walkedOff.state.screen == .attract && walkedOff.notice == "请取走您的身份证。", "after the idle timeout too")
        walkedOff.tap(resident("李四", birth: "19700707", sequence: "011"))
        #expect(walkedOff.state.screen == .home && walkedOff.notice == nil, "another card in its place: the next resident's visit")

        var pulled = Driver(online: false)
        pulled.tap(zhang)
        pulled.send(.cardRemoved(now: pulled.now + 1))
        #expect(pulled.state.screen == .attract && pulled.notice == nil, "a card taken away ends the visit with nothing to remind")
    }
}
