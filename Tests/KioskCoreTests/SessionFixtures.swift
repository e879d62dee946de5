import Foundation
import KioskCore

/// The shipped data files, read the way kioskd reads them.
enum Shipped {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func bytes(_ path: String) -> [UInt8] {
        Array(FileManager.default.contents(atPath: root.appendingPathComponent(path).path) ?? Data())
    }

    static let catalogue: Catalogue = try! Catalogue.load(json: bytes("data/catalogue.json"))
    static let calendar: WorkingCalendar = try! WorkingCalendar.load(json: bytes("data/holidays-cn.json"))
    /// The touchscreen's phrasebooks; English without a fallback, so a phrase it lacks fails the tests.
    static let zh = try! Phrasebook(language: "zh", file: "ui/strings/zh.json", json: bytes("ui/strings/zh.json"))
    static let en = try! Phrasebook(language: "en", file: "ui/strings/en.json", json: bytes("ui/strings/en.json"))
}

/// An 18-character ID number with its correct check character.
func idNumber(region: String = "340104", birth: String, sequence: String) -> String {
    let body = region + birth + sequence
    let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    let sum = zip(body, weights).reduce(0) { $0 + Int(String($1.0))! * $1.1 }
    return body + String(Array("10X98765432")[sum % 11])
}

func resident(_ name: String = "张秀兰", birth: String = "19400312", sequence: String = "052", address: String? = "安徽省合肥市蜀山区笔架山街道示例村3组12号") -> ResidentIdentity {
    ResidentIdentity(
        cardType: .residentID, name: name, gender: .female, nation: Nation(code: "01"), birthDate: CalendarDate(yyyymmdd: birth)!,
        address: address, number: idNumber(birth: birth, sequence: sequence), issuingAuthority: "合肥市公安局蜀山分局",
        validFrom: CalendarDate(yyyymmdd: "20150601")!, validUntil: .longTerm, photo: Array(repeating: 0x5A, count: 1024))
}

let agentCard = resident("王建国", birth: "19800101", sequence: "031")
let registeredAgent = RegisteredAgent(id: "agent01", cardNumber: agentCard.number, name: agentCard.name)

/// 2026-11-27 10:00 China time.
let morning: Double = 1_795_744_800

func settings(cardRemoval: SessionSettings.CardRemoval = .end) -> SessionSettings {
    SessionSettings(stationCode: "340104001", stationName: "笔架山街道示例村便民服务站", regionCode: "340104001000",
                    trackingURLBase: "https://sample.zwfw.ah.gov.cn/track/", idleTimeout: 120, idleWarning: 30,
                    agentIdleTimeout: 600, cardRemoval: cardRemoval, agents: [registeredAgent])
}

/// A scanned page with recognisable content.
func page(_ number: Int, blank: Bool = false, marker: UInt8 = 0xAB) -> ScannedPage {
    ScannedPage(number: number, width: 1240, height: 1754, resolution: 150, mode: .gray, mediaType: "image/jpeg",
                data: [0xFF, 0xD8, marker, UInt8(number)] + Array(repeating: marker, count: 64), looksBlank: blank, scanDuration: .milliseconds(900))
}

/// Drives a reducer like kioskd's runtime would, recording every effect,
/// and answering only what the test tells it to.
struct Driver {
    let reducer: SessionReducer
    var state = SessionState()
    var effects: [SessionEffect] = []
    var now = morning

    init(settings: SessionSettings = settings(), online: Bool = true) {
        reducer = SessionReducer(catalogue: Shipped.catalogue, calendar: Shipped.calendar, settings: settings)
        _ = reducer.reduce(&state, .networkChanged(online: online))
    }

    @discardableResult
    mutating func send(_ event: SessionEvent) -> [SessionEffect] {
        let produced = reducer.reduce(&state, event)
        effects += produced
        return produced
    }

    @discardableResult
    mutating func touch(_ touch: Touch, after seconds: Double = 2) -> [SessionEffect] {
        now += seconds
        return send(.touch(touch, now: now))
    }

    mutating func tap(_ card: ResidentIdentity) {
        now += 1
        send(.cardPresented(card, now: now))
    }

    mutating func wait(_ seconds: Double) -> [SessionEffect] {
        var produced: [SessionEffect] = []
        let end = now + seconds
        while now < end {
            now = min(end, now + 1)
            produced += send(.tick(now: now))
        }
        return produced
    }

    /// The id of the last request of this kind the session made.
    var pendingID: Int? { state.pending?.id }

    /// Scans `count` pages for a material and answers with them.
    mutating func scan(_ materialID: String, pages count: Int, marker: UInt8 = 0xAB) {
        touch(.scan(materialID: materialID))
        guard let request = pendingID else { return }
        _ = wait(3)
        send(.scanFinished(request: request, pages: (1...count).map { page($0, marker: marker) }))
    }

    /// From the home screen to the materials of the item `keyword` finds under `code`: conditions met, form filled.
    mutating func reachMaterials(search keyword: String, code: String) {
        touch(.menu(.search(keyword)))
        touch(.choose(code: code))
        touch(.next)
        confirmConditions()
        fillForm()
        touch(.next)
    }

    /// Answers yes to every condition the conditions screen asks, and goes on to the form.
    mutating func confirmConditions() {
        guard state.screen == .conditions else { return }
        for (index, standing) in reducer.standings(state).map(\.standing).enumerated() where standing == .confirmed(nil) {
            touch(.confirmCondition(index: index, met: true), after: 1)
        }
        touch(.next)
    }

    /// Fills every field the resident must type, with values that validate.
    mutating func fillForm() {
        guard let choice = state.visit?.choice else { return }
        let values = reducer.formValues(state)
        for field in choice.formFields where values[field.id] == nil && field.required {
            touch(.setField(id: field.id, value: sampleValue(field)), after: 1)
        }
    }

    /// What was said, in Chinese.
    var spoken: [String] { effects.compactMap { if case .speak(let text) = $0 { Shipped.zh.render(text) } else { nil } } }
    /// The sentence on the visit's screen and the attract or agent screens' notice, in Chinese.
    var message: String? { state.visit?.message.map(Shipped.zh.render) }
    var notice: String? { state.notice.map(Shipped.zh.render) }
    var audits: [AuditNote] { effects.compactMap { if case .audit(let note) = $0 { note } else { nil } } }
    var enqueued: [(Int, ApplicationSubmission)] { effects.compactMap { if case .enqueue(let r, let s) = $0 { (r, s) } else { nil } } }
    var printed: [Receipt] { effects.compactMap { if case .printReceipt(let r) = $0 { r } else { nil } } }
}

func sampleValue(_ field: FormField) -> String {
    switch field.kind {
    case .text: "示例内容"
    case .personName: "李秀英"
    case .address: "安徽省合肥市蜀山区示例路8号"
    case .number: String(max(field.minimum ?? 1, 1))
    case .phone: "13800000000"
    case .date: "2026-11-20"
    case .choice: field.options[0]
    case .idNumber: idNumber(birth: "19850505", sequence: "123")
    case .bankAccount: "6222020200112233446"
    }
}

/// Every string the state holds, to search for personal data in.
func everyString(in value: Any) -> [String] {
    var found: [String] = []
    func walk(_ value: Any) {
        if let text = value as? String { found.append(text); return }
        if let bytes = value as? [UInt8], !bytes.isEmpty { found.append(bytes.map { String($0, radix: 16) }.joined(separator: ",")); return }
        let mirror = Mirror(reflecting: value)
        for child in mirror.children { walk(child.value) }
    }
    walk(value)
    return found
}
