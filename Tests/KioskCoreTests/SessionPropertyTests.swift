import KioskCore
import TestSupport
import Testing

/// Random event sequences against the reducer: it never crashes, never keeps
/// personal data after a session ends, and never shows a receipt without a
/// committed enqueue of its own.
@Suite("Session properties")
struct SessionPropertyTests {
    static let people = [resident(), resident("李四", birth: "19700707", sequence: "011", address: "安徽省合肥市蜀山区南岗镇示例村8号"), agentCard]
    static let codes = Shipped.catalogue.items.map(\.code) + Shipped.catalogue.bundles.map(\.code) + ["NOPE"]

    struct World {
        /// Request ids the fake outbox made durable, and the numbers it gave.
        var committed: [Int: TrackingNumber] = [:]
        var sequence = 0
    }

    /// The touch a resident who knows what they want would make next, so random runs get far.
    func purposefulTouch(_ driver: Driver, _ rng: inout SplitMix64) -> Touch? {
        let state = driver.state
        switch state.screen {
        case .home, .browse: return .choose(code: Self.codes.randomElement(using: &rng)!)
        case .guide, .receipt: return .next
        case .conditions:
            let open = driver.reducer.standings(state).map(\.standing).firstIndex(of: .confirmed(nil))
            return open.map { .confirmCondition(index: $0, met: Int.random(in: 0..<10, using: &rng) > 0) } ?? .next
        case .form:
            let values = driver.reducer.formValues(state)
            let field = state.visit?.choice?.formFields.first { $0.required && $0.problem(with: values[$0.id] ?? "") != nil }
            return field.map { .setField(id: $0.id, value: sampleValue($0)) } ?? .next
        case .materials:
            guard let material = state.visit?.choice?.materials.first(where: { $0.required && state.visit?.materials[$0.id] == nil }) else { return .next }
            return material.platformMayObtain && Bool.random(using: &rng) ? .leaveToPlatform(materialID: material.id) : .scan(materialID: material.id)
        case .review: return .submit
        case .rating: return .rate(Satisfaction.allCases.randomElement(using: &rng)!, reasons: ["其他"])
        default: return nil
        }
    }

    func randomTouch(_ state: SessionState, _ rng: inout SplitMix64) -> Touch {
        let materials = state.visit?.choice?.materials.map(\.id) ?? ["hukou_book"]
        let fields = state.visit?.choice?.formFields ?? []
        let date = CalendarDate(dayNumber: CalendarDate(year: 2026, month: 11, day: 27)!.dayNumber + Int.random(in: 0...8, using: &rng))
        let options: [Touch] = [
            .stillHere, .elderlyMode(Bool.random(using: &rng)), .language(["zh", "en", "fr"].randomElement(using: &rng)!), .callStaff, .staffAnswered,
            .menu([.popular, .lifeEvents, .lifeEvent("birth"), .departments, .department("mzj"), .search(["养老", "YL", "", "低保"].randomElement(using: &rng)!)].randomElement(using: &rng)!),
            .choose(code: Self.codes.randomElement(using: &rng)!), .next, .next, .next, .back, .endSession,
            fields.randomElement(using: &rng).map { .setField(id: $0.id, value: Bool.random(using: &rng) ? sampleValue($0) : "x") } ?? .next,
            .consentToECertificateLookup, .scan(materialID: materials.randomElement(using: &rng)!),
            .leaveToPlatform(materialID: materials.randomElement(using: &rng)!), .reserve(date), .delivery(DeliveryMethod.allCases.randomElement(using: &rng)!),
            .postalAddress("安徽省合肥市某路1号"), .submit, .submit, .printAgain,
            .rate(Satisfaction.allCases.randomElement(using: &rng)!, reasons: Bool.random(using: &rng) ? ["其他"] : [], comment: Bool.random(using: &rng) ? "评价意见私密" : nil),
            .toggleRatingReason(["其他", "操作简单", "等待时间长"].randomElement(using: &rng)!), .skipRating, .myCases,
            .confirmCondition(index: Int.random(in: 0..<4, using: &rng), met: Int.random(in: 0..<5, using: &rng) > 0),
            .viewPage(materialID: materials.randomElement(using: &rng)!, index: Int.random(in: 0..<2, using: &rng)),
            .discardPage(materialID: materials.randomElement(using: &rng)!, index: Int.random(in: 0..<2, using: &rng)),
            .rescan(materialID: materials.randomElement(using: &rng)!), .printGuide, .printNotice, .printApplicationForm,
            .startConsultation(Interaction.Kind.allCases.randomElement(using: &rng)!),
            .startConsultation(.consultation), .sendConsultation(text: "问题", phone: nil), .agentPIN("1234"),
            .agentEnterprise(creditCode: Shipped.catalogue.departments[0].creditCode, name: "单位"), .confirmProxyConsent, .agentStationCases,
            .agentReprint(trackingNumber: "340104001-20261127-0001-X"), .agentLogout,
        ]
        return options.randomElement(using: &rng)!
    }

    func randomEvent(_ driver: Driver, _ world: inout World, _ rng: inout SplitMix64) -> SessionEvent {
        let state = driver.state
        let now = driver.now
        // Usually answer what the session waits for, as the runtime would.
        if let pending = state.pending, Int.random(in: 0..<3, using: &rng) == 0 {
            switch pending.kind {
            case .scan:
                return Int.random(in: 0..<4, using: &rng) > 0
                    ? .scanFinished(request: pending.id, pages: (1...Int.random(in: 1...3, using: &rng)).map { page($0, blank: Int.random(in: 0..<5, using: &rng) == 0, marker: 0xC7) })
                    : .scanFailed(request: pending.id, reason: SessionText(.scannerJammed))
            case .eCertificates: return .eCertificatesFound(request: pending.id, types: ["居民户口簿", "社会保障卡", "结婚证"])
            case .enqueue:
                if Bool.random(using: &rng) { return .enqueueFailed(request: pending.id, reason: SessionText(.diskFull)) }
                world.sequence += 1
                let number = TrackingNumber(station: "340104001", date: CalendarDate(year: 2026, month: 11, day: 27)!, sequence: world.sequence)
                world.committed[pending.id] = number
                return .enqueueCommitted(request: pending.id, trackingNumber: number)
            case .platformCase: return .platformCase(request: pending.id, caseNumber: Bool.random(using: &rng) ? "AH1" : nil)
            case .myCases, .stationCases: return .casesFound(request: pending.id, cases: [])
            case .agentPIN:
                return .agentPINChecked(request: pending.id, result: [.accepted, .wrong(triesLeft: 2), .locked(until: now + 900)].randomElement(using: &rng)!)
            case .reservation: return .reservationMade(request: pending.id, reference: "R1")
            case .interaction: return .interactionSent(request: pending.id, reference: "I1")
            }
        }
        // An answer to a request that is not the one in flight: stale, or never asked.
        var stray = Int.random(in: 0...state.nextRequestID + 2, using: &rng)
        if stray == state.pending?.id { stray += 1000 }
        switch Int.random(in: 0..<20, using: &rng) {
        case 0...4: return .touch(randomTouch(state, &rng), now: now + Double.random(in: 0...20, using: &rng))
        case 5...9: return .touch(purposefulTouch(driver, &rng) ?? randomTouch(state, &rng), now: now + Double.random(in: 0...20, using: &rng))
        case 10, 11: return .tick(now: now + Double.random(in: 0...70, using: &rng))
        case 12: return .cardPresented(Self.people.randomElement(using: &rng)!, now: now + 1)
        case 13: return .cardRemoved(now: now + 1)
        case 14:
            if Int.random(in: 0..<3, using: &rng) == 0 { return .serviceChanged(outOfService: Bool.random(using: &rng) ? SessionText(.outOfServiceOutbox) : nil) }
            return .networkChanged(online: Bool.random(using: &rng))
        case 15: return .printFailed(reason: SessionText(.receiptPrinterPaperOut))
        case 16:
            // A commit nobody asked for (a bug elsewhere, a stale answer) must not produce a receipt.
            return .enqueueCommitted(request: stray, trackingNumber: TrackingNumber(station: "340104009", date: CalendarDate(year: 2026, month: 1, day: 1)!, sequence: 99))
        case 17: return .scanFinished(request: stray, pages: [page(1, marker: 0xC7)])
        case 18: return .agentPINChecked(request: stray, result: .accepted)
        default: return .cardRefused(SessionText(.cardRefusedExpired), now: now + 1)
        }
    }

    @Test("Random event sequences: no crash, nothing personal after a session ends, no receipt without a committed enqueue")
    func randomSequences() {
        // Names, numbers, addresses, a posted-to address and a rating's comment: none may outlive the session.
        let secrets = Self.people.flatMap { [$0.name, $0.number] + ($0.address.map { [$0] } ?? []) } + ["c7,c7", "安徽省合肥市某路1号", "评价意见私密"]
        var rng = SplitMix64(seed: 20261127)
        var ends = 0, receipts = 0
        for _ in 0..<400 {
            var driver = Driver(settings: settings(cardRemoval: Bool.random(using: &rng) ? .end : .pause), online: Bool.random(using: &rng))
            var world = World()
            for _ in 0..<250 {
                let event = randomEvent(driver, &world, &rng)
                if let time = event.timeForDriver { driver.now = max(driver.now, time) }
                let effects = driver.send(event)
                // Every sentence has all its values, in both languages.
                let said = effects.compactMap { if case .speak(let text) = $0 { text } else { nil } }
                for text in said + [driver.state.visit?.message, driver.state.notice].compactMap({ $0 }) {
                    for book in [Shipped.zh, Shipped.en] {
                        let words = book.render(text)
                        if words.contains("{") || words.isEmpty { Issue.record("\(book.language) \(text.phrase): \(words)") }
                    }
                }
                if driver.state.screen == .receipt {
                    receipts += 1
                    let shown = driver.state.visit?.lastTrackingNumber
                    #expect(shown != nil && world.committed.values.contains { $0.value == shown }, "a receipt for \(shown ?? "nothing") that no enqueue committed")
                    if case .printReceipt(let receipt)? = effects.first {
                        #expect(world.committed.values.contains { $0.value == receipt.trackingNumber })
                    }
                }
                if effects.contains(where: { if case .sessionEnded = $0 { true } else { false } }) {
                    ends += 1
                    #expect(driver.state.staffCalledAt == nil, "a call for staff outlived the visit")
                    // A card that ends a paused session starts the next one at once: only its holder may be there.
                    var allowed: [String] = []
                    if case .cardPresented(let next, _) = event { allowed = [next.name, next.number] + (next.address.map { [$0] } ?? []) }
                    else { #expect(driver.state.visit == nil && driver.state.agent == nil) }
                    let strings = everyString(in: driver.state)
                    for secret in secrets where !allowed.contains(secret) && strings.contains(where: { $0.contains(secret) }) {
                        Issue.record("\(secret) left in the state after the session ended")
                    }
                }
            }
        }
        // The sequences must actually reach the interesting places.
        #expect(ends > 400, "\(ends) ends")
        #expect(receipts > 10, "\(receipts) receipts")
    }

    @Test("A long scan does not count as idle time")
    func longScan() {
        var driver = Driver(online: false)
        driver.tap(resident())
        driver.reachMaterials(search: "高龄", code: "0500012000")
        driver.touch(.scan(materialID: "hukou_book"))
        let request = driver.pendingID!
        #expect(driver.wait(200).isEmpty, "no warning while the scanner works")
        driver.send(.scanFinished(request: request, pages: [page(1)]))
        #expect(driver.wait(60).isEmpty)
        #expect(driver.state.visit != nil)
    }
}

extension SessionEvent {
    var timeForDriver: Double? {
        switch self {
        case .tick(let now), .cardPresented(_, let now), .cardRefused(_, let now), .cardRemoved(let now), .touch(_, let now): now
        default: nil
        }
    }
}
