import KioskCore

/// A touch as the page sends it: `{"type": "choose", "code": "0500012000"}`.
/// docs/local-api.md lists every type and its fields.
struct TouchMessage: Decodable {
    var type: String
    var code: String?
    var id: String?
    var value: String?
    var material: String?
    var level: Int?
    var reasons: [String]?
    var text: String?
    var phone: String?
    var pin: String?
    var name: String?
    var date: String?
    var menu: String?
    var on: Bool?
    var kind: String?
    var index: Int?
    var met: Bool?
    var comment: String?
    var reason: String?

    /// The touch, or nil when the message is not one (the page is told why).
    var touch: Touch? { Self.decoders[type]?(self) }

    /// Each type of touch the page sends, and how its fields make the touch (nil: a field is missing or wrong).
    /// docs/local-api.md has a row for each, and the page a control that sends it (ScreenConsistencyTests).
    static let decoders: [String: @Sendable (TouchMessage) -> Touch?] = [
        "still_here": { _ in .stillHere },
        "call_staff": { _ in .callStaff },
        "staff_answered": { _ in .staffAnswered },
        "elderly_mode": { .elderlyMode($0.on ?? true) },
        "language": { $0.value.map { .language($0) } },
        "menu": { $0.menuTouch },
        "choose": { $0.code.map { .choose(code: $0) } },
        "next": { _ in .next },
        "back": { _ in .back },
        "end": { _ in .endSession },
        "set_field": { m in m.id.flatMap { id in m.value.map { .setField(id: id, value: $0) } } },
        "consent_ecertificates": { _ in .consentToECertificateLookup },
        "scan": { $0.material.map { .scan(materialID: $0) } },
        "leave_to_platform": { $0.material.map { .leaveToPlatform(materialID: $0) } },
        "view_page": { m in m.material.flatMap { material in m.index.map { .viewPage(materialID: material, index: $0) } } },
        "discard_page": { m in m.material.flatMap { material in m.index.map { .discardPage(materialID: material, index: $0) } } },
        "rescan": { $0.material.map { .rescan(materialID: $0) } },
        "confirm_condition": { m in m.index.flatMap { index in m.met.map { .confirmCondition(index: index, met: $0) } } },
        "print_guide": { _ in .printGuide },
        "print_notice": { _ in .printNotice },
        "print_form": { _ in .printApplicationForm },
        "reserve": { $0.date.flatMap { CalendarDate(isoText: $0) }.map { .reserve($0) } },
        "delivery": { $0.value.flatMap(DeliveryMethod.init(rawValue:)).map { .delivery($0) } },
        "postal_address": { $0.value.map { .postalAddress($0) } },
        "submit": { _ in .submit },
        "print_again": { _ in .printAgain },
        "rate": { m in m.level.flatMap(Satisfaction.init(rawValue:)).map { .rate($0, reasons: m.reasons ?? [], comment: m.comment) } },
        "rating_reason": { $0.reason.map { .toggleRatingReason($0) } },
        "skip_rating": { _ in .skipRating },
        "my_cases": { _ in .myCases },
        "start_consultation": { $0.kind.flatMap(Interaction.Kind.init(rawValue:)).map { .startConsultation($0) } },
        "send_consultation": { m in m.text.map { .sendConsultation(text: $0, phone: m.phone) } },
        "agent_pin": { $0.pin.map { .agentPIN($0) } },
        "agent_enterprise": { m in m.code.flatMap { code in m.name.map { .agentEnterprise(creditCode: code, name: $0) } } },
        "confirm_proxy_consent": { _ in .confirmProxyConsent },
        "agent_station_cases": { _ in .agentStationCases },
        "agent_reprint": { $0.code.map { .agentReprint(trackingNumber: $0) } },
        "agent_logout": { _ in .agentLogout },
    ]

    private var menuTouch: Touch? {
        switch menu {
        case "popular": .menu(.popular)
        case "life_events": .menu(.lifeEvents)
        case "life_event": value.map { .menu(.lifeEvent($0)) }
        case "departments": .menu(.departments)
        case "department": value.map { .menu(.department($0)) }
        case "search": value.map { .menu(.search($0)) }
        default: nil
        }
    }
}
