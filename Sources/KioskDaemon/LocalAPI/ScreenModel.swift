import Foundation
import KioskCore

/// What the touchscreen shows, as JSON: a projection of the session state
/// for the page to render (docs/local-api.md). It carries what is on screen
/// and nothing more: masked names where the screen masks them, the form's
/// values while the form is open, never page images.
struct ScreenModel: Encodable, Equatable {
    struct Entry: Encodable, Equatable {
        var code: String
        var name: String
        var bundle: Bool
    }
    struct Field: Encodable, Equatable {
        var id: String
        var label: String
        var kind: String
        var required: Bool
        var value: String
        var problem: String?
        /// From the card, not typed.
        var locked: Bool
        var options: [String]?
        var hint: String?
    }
    struct MaterialLine: Encodable, Equatable {
        var id: String
        var name: String
        var required: Bool
        var notes: String?
        /// `needed`, `scanned`, `e_certificate`, `platform`.
        var status: String
        var pages: Int
        var platformMayObtain: Bool
        var eCertificate: String?
        /// Where the scanned pages' images are (this session only; never inside the JSON).
        var thumbnails: [String]?
    }
    struct ServiceGuide: Encodable, Equatable {
        var code: String
        var name: String
        var conditions: [String]
        var materials: [String]
        var promisedWorkingDays: Int
        var fee: String
        var delivery: [String]
    }
    struct ReceiptView: Encodable, Equatable {
        var trackingNumber: String
        var serviceName: String
        var applicant: String
        var submittedAt: String
        var promise: String
        var delivery: String
        var trackingURL: String
        var materials: [String]
    }
    struct CaseLine: Encodable, Equatable {
        var trackingNumber: String
        var serviceName: String
        var applicant: String
        var status: String
        var detail: String?
    }

    var screen: String
    var elderlyMode: Bool
    var language: String
    var online: Bool
    /// On the attract screen while the kiosk takes no visit: why, and whom to call (暂停服务).
    var outOfService: String?
    /// What was last said (and is shown as the screen's prompt).
    var prompt: String?
    var message: String?
    var notice: String?
    var idleWarning: Bool
    /// While the idle warning shows: seconds until the visit ends and is wiped (pushed each second).
    var idleSecondsLeft: Int?
    var resident: String?
    var agent: String?
    var menu: [Entry]?
    /// On the life-event and department lists: what to pick from (`kind` is `life_event` or `department`).
    struct CategoryEntry: Encodable, Equatable {
        var kind: String
        var id: String
        var name: String
    }
    var categories: [CategoryEntry]?
    /// What a list of services is: the life event's or the department's name.
    var heading: String?
    /// The words or initials searched for, on a search's results.
    var query: String?
    var service: ServiceGuide?
    var form: [Field]?
    var materials: [MaterialLine]?
    var missing: [String]?
    var reservationDates: [String]?
    var delivery: String?
    var receipt: ReceiptView?
    var cases: [CaseLine]?
    var reference: String?
    /// While scanning: the page being read and how much of it (-1: unknown).
    struct ScanProgress: Encodable, Equatable {
        var page: Int
        var percent: Int
    }
    var scanProgress: ScanProgress?

    /// The screen for `state`, its sentences in `words` (the session's language).
    init(_ state: SessionState, prompt: SessionText?, reducer: SessionReducer, words: Phrasebook) {
        self.prompt = prompt.map(words.render)
        elderlyMode = state.elderlyMode
        language = state.language
        online = state.online
        if let reason = state.outOfService, state.visit == nil, state.agent == nil {
            outOfService = words.render(SessionText(.outOfService, ["reason": .text(reason), "phone": .verbatim(reducer.settings.stationPhone)]))
        }
        message = state.visit?.message.map(words.render)
        notice = state.notice.map(words.render)
        idleWarning = state.idleWarningShown
        if state.idleWarningShown {
            idleSecondsLeft = max(0, Int((reducer.settings.idleTimeout(for: state) - (state.now - state.lastTouch)).rounded(.up)))
        }
        resident = state.visit?.resident?.maskedName ?? state.visit?.enterprise?.name
        agent = state.agent?.masked ?? state.agentCandidate?.masked
        delivery = state.visit?.delivery?.rawValue
        let visit = state.visit
        if let choice = visit?.choice {
            service = ServiceGuide(code: choice.code, name: choice.name, conditions: choice.items.flatMap(\.conditions),
                              materials: choice.materials.filter(\.required).map(\.name), promisedWorkingDays: choice.promisedWorkingDays,
                              fee: choice.items.first?.fee.text ?? "不收费", delivery: choice.delivery.map(\.rawValue))
        }
        screen = Self.name(of: state.screen)
        switch state.screen {
        case .stationCases(let list), .myCases(let list):
            cases = list.map { Self.line($0, words) }
        case .browse(let shown, let entries):
            let catalogue = reducer.catalogue
            switch shown {
            case .search(let words): query = words
            case .lifeEvents: categories = catalogue.lifeEventsInUse.map { CategoryEntry(kind: "life_event", id: $0.id, name: $0.name) }
            case .departments: categories = catalogue.departmentsInUse.map { CategoryEntry(kind: "department", id: $0.id, name: $0.name) }
            case .lifeEvent(let id): heading = catalogue.lifeEvents.first { $0.id == id }?.name
            case .department(let id): heading = catalogue.department(id)?.name
            case .popular: break
            }
            menu = entries.map { Entry(code: $0.code, name: $0.name, bundle: $0.isBundle) }
        case .incomplete(let missing, let dates):
            self.missing = missing.map { words.render($0.text) }
            reservationDates = dates.map(\.description)
        case .consultationSent(let reference):
            self.reference = reference
        default:
            break
        }
        if self.prompt == nil, screen == "attract", let outOfService { self.prompt = outOfService }
        if self.prompt == nil { self.prompt = Self.defaultPrompts[screen].map { words.render(SessionText($0)) } }
        if screen == "form", let choice = visit?.choice {
            let values = reducer.formValues(state)
            form = choice.formFields.map { field in
                Field(id: field.id, label: field.label, kind: field.kind.rawValue, required: field.required, value: values[field.id] ?? "",
                      problem: visit?.fieldProblems[field.id].map(words.render), locked: field.fromIdentity != nil && field.fromIdentity != .address,
                      options: field.options.isEmpty ? nil : field.options, hint: field.hint)
            }
        }
        if ["materials", "scanning", "review"].contains(screen), let choice = visit?.choice {
            materials = choice.materials.map { material in
                let (status, pages): (String, Int) = switch visit?.materials[material.id] {
                case .scanned(let scanned)?: ("scanned", scanned.count)
                case .eCertificate?: ("e_certificate", 0)
                case .platform?: ("platform", 0)
                case nil: ("needed", 0)
                }
                // The page's size in the URL: a rescan is a new image, never a cached one.
                let thumbnails: [String]? = if case .scanned(let scanned)? = visit?.materials[material.id] {
                    scanned.enumerated().map { "/api/page/\(material.id)/\($0.offset)?bytes=\($0.element.data.count)" }
                } else { nil }
                return MaterialLine(id: material.id, name: material.name, required: material.required, notes: material.notes, status: status,
                                    pages: pages, platformMayObtain: material.platformMayObtain, eCertificate: material.eCertificate, thumbnails: thumbnails)
            }
        }
        if screen == "receipt", let printed = visit?.receipt {
            // The receipt's own words are Chinese (it is the printed record); its date and promise follow the screen.
            let promise: String = switch printed.promise {
            case .by(let date): words.render(date)
            case .immediately: words.render(SessionText(.promiseSameDay))
            case .unknown(let text): text
            }
            receipt = ReceiptView(trackingNumber: printed.trackingNumber, serviceName: printed.serviceName, applicant: printed.applicant,
                                  submittedAt: printed.submittedAt, promise: promise, delivery: printed.delivery, trackingURL: printed.trackingURL,
                                  materials: printed.materials.map { "\($0.name)（\($0.how)）" })
        }
    }

    /// The screen's name on the local API (docs/local-api.md).
    static func name(of screen: Screen) -> String {
        switch screen {
        case .attract: "attract"
        case .agentPIN: "agent_pin"
        case .agentConsole: "agent_console"
        case .stationCases: "station_cases"
        case .proxyConsent: "proxy_consent"
        case .enterprise: "enterprise"
        case .home: "home"
        case .browse: "browse"
        case .guide: "guide"
        case .form: "form"
        case .materials: "materials"
        case .scanning: "scanning"
        case .incomplete: "incomplete"
        case .reserved: "reserved"
        case .review: "review"
        case .submitting: "submitting"
        case .receipt: "receipt"
        case .rating: "rating"
        case .done: "done"
        case .myCases: "my_cases"
        case .consultation: "consultation"
        case .consultationSent: "consultation_sent"
        case .paused: "paused"
        }
    }

    /// What each screen says when nothing more particular was said on it:
    /// every screen has a prompt, shown and spoken.
    static let defaultPrompts: [String: Phrase] = [
        "attract": .promptAttract, "home": .promptHome, "browse": .promptBrowse, "guide": .promptGuide, "form": .promptForm,
        "materials": .promptMaterials, "scanning": .promptScanning, "incomplete": .promptIncomplete, "reserved": .promptReserved,
        "review": .promptReview, "submitting": .saving, "receipt": .promptReceipt, "rating": .promptRating, "done": .promptDone,
        "my_cases": .promptMyCases, "consultation": .promptConsultation, "consultation_sent": .promptConsultationSent,
        "paused": .promptPaused, "agent_pin": .promptAgentPIN, "agent_console": .promptAgentConsole, "station_cases": .promptStationCases,
        "proxy_consent": .promptProxyConsent, "enterprise": .promptEnterprise,
    ]

    static func line(_ summary: CaseSummary, _ words: Phrasebook) -> CaseLine {
        CaseLine(trackingNumber: summary.trackingNumber, serviceName: summary.serviceName, applicant: summary.applicantMasked,
                 status: words.render(summary.status), detail: summary.detail.map(words.render))
    }
}
