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
    var touch: Touch? {
        switch type {
        case "still_here": return .stillHere
        case "call_staff": return .callStaff
        case "staff_answered": return .staffAnswered
        case "elderly_mode": return .elderlyMode(on ?? true)
        case "language": return value.map { .language($0) }
        case "menu":
            switch menu {
            case "popular": return .menu(.popular)
            case "life_events": return .menu(.lifeEvents)
            case "life_event": return value.map { .menu(.lifeEvent($0)) }
            case "departments": return .menu(.departments)
            case "department": return value.map { .menu(.department($0)) }
            case "search": return value.map { .menu(.search($0)) }
            default: return nil
            }
        case "choose": return code.map { .choose(code: $0) }
        case "next": return .next
        case "back": return .back
        case "end": return .endSession
        case "set_field": return id.flatMap { id in value.map { .setField(id: id, value: $0) } }
        case "consent_ecertificates": return .consentToECertificateLookup
        case "scan": return material.map { .scan(materialID: $0) }
        case "discard_scan": return material.map { .discardScan(materialID: $0) }
        case "leave_to_platform": return material.map { .leaveToPlatform(materialID: $0) }
        case "view_page": return material.flatMap { material in index.map { .viewPage(materialID: material, index: $0) } }
        case "discard_page": return material.flatMap { material in index.map { .discardPage(materialID: material, index: $0) } }
        case "rescan": return material.map { .rescan(materialID: $0) }
        case "confirm_condition": return index.flatMap { index in met.map { .confirmCondition(index: index, met: $0) } }
        case "print_guide": return .printGuide
        case "print_notice": return .printNotice
        case "print_form": return .printApplicationForm
        case "reserve": return date.flatMap { CalendarDate(isoText: $0) }.map { .reserve($0) }
        case "delivery": return value.flatMap(DeliveryMethod.init(rawValue:)).map { .delivery($0) }
        case "postal_address": return value.map { .postalAddress($0) }
        case "submit": return .submit
        case "print_again": return .printAgain
        case "rate": return level.flatMap(Satisfaction.init(rawValue:)).map { .rate($0, reasons: reasons ?? [], comment: comment) }
        case "rating_reason": return reason.map { .toggleRatingReason($0) }
        case "skip_rating": return .skipRating
        case "my_cases": return .myCases
        case "start_consultation": return kind.flatMap(Interaction.Kind.init(rawValue:)).map { .startConsultation($0) }
        case "send_consultation": return text.map { .sendConsultation(text: $0, phone: phone) }
        case "agent_pin": return pin.map { .agentPIN($0) }
        case "agent_serve_resident": return .agentServeResident
        case "agent_enterprise": return code.flatMap { code in name.map { .agentEnterprise(creditCode: code, name: $0) } }
        case "confirm_proxy_consent": return .confirmProxyConsent
        case "agent_station_cases": return .agentStationCases
        case "agent_reprint": return code.map { .agentReprint(trackingNumber: $0) }
        case "agent_logout": return .agentLogout
        default: return nil
        }
    }
}
