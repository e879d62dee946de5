import Foundation
import KioskCore

/// What the touchscreen shows, as JSON: a projection of the session state
/// for the page to render (docs/local-api.md). It carries what is on screen
/// and nothing more: masked names where the screen masks them, the form's
/// values while the form is open, never page images.
struct ScreenModel: Encodable, Equatable {
    var screen: String
    var elderlyMode: Bool
    /// Elderly mode came on by itself (the card says 60 or older): the home screen offers to decline it.
    var elderlyOffered: Bool
    var language: String
    var online: Bool
    /// On the attract screen while the kiosk takes no visit: why, and whom to call (暂停服务).
    var outOfService: String?
    /// What was last said (and is shown as the screen's prompt).
    var prompt: String?
    /// Counts what the kiosk has said: a sentence said again (a reminder) is a new one for the page to play.
    var speech = 0
    var message: String?
    var notice: String?
    var idleWarning: Bool
    /// Someone pressed 呼叫工作人员 and no agent has answered yet.
    var staffCalled: Bool
    /// While the idle warning shows: seconds until the visit ends and is wiped (pushed each second).
    var idleSecondsLeft: Int?
    var resident: String?
    var agent: String?
    var menu: [Entry]?
    var categories: [CategoryEntry]?
    /// What a list of services is: the life event's or the department's name.
    var heading: String?
    /// The words or initials searched for, on a search's results.
    var query: String?
    var service: ServiceGuide?
    var ineligible: Ineligible?
    /// On the form of a resident whose card is not a resident ID card: which certificate it is.
    var certificate: String?
    var form: [Field]?
    var materials: [MaterialLine]?
    var page: PageView?
    var missing: [String]?
    var reservationDates: [String]?
    var delivery: DeliveryChoice?
    var receipt: ReceiptView?
    var rating: RatingView?
    /// On the 12345 screen: `consultation`, `complaint`, `suggestion` or `help`.
    var consultationKind: String?
    var cases: [CaseLine]?
    var reference: String?
    var scanProgress: ScanProgress?

    /// The screen for `state`, its sentences in `words` (the session's language).
    init(_ state: SessionState, prompt: SessionText?, reducer: SessionReducer, words: Phrasebook) {
        self.prompt = prompt.map(words.render)
        elderlyMode = state.elderlyMode
        elderlyOffered = state.elderlyOffered
        staffCalled = state.staffCalledAt != nil
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
        let visit = state.visit
        if let choice = visit?.choice { service = Self.guide(choice, standings: reducer.standings(state)) }
        screen = Self.name(of: state.screen)
        switch state.screen {
        case .stationCases(let list), .myCases(let list):
            cases = list.map { Self.line($0, words) }
        case .browse(let shown, let entries):
            let catalogue = reducer.catalogue
            switch shown {
            case .search(let words): query = words
            case .lifeEvents: categories = catalogue.lifeEventsInUse.map { CategoryEntry(kind: "life_event", id: $0.id, name: $0.name, pictogram: $0.pictogram) }
            case .departments: categories = catalogue.departmentsInUse.map { CategoryEntry(kind: "department", id: $0.id, name: $0.name, pictogram: $0.pictogram) }
            case .lifeEvent(let id): heading = catalogue.lifeEvents.first { $0.id == id }?.name
            case .department(let id): heading = catalogue.department(id)?.name
            case .popular: break
            }
            menu = entries.map(Entry.init)
        case .ineligible(let reason, let instead):
            ineligible = Ineligible(reason: words.render(reason), instead: instead.map(Entry.init))
        case .incomplete(let missing, let dates):
            self.missing = missing.map { words.render($0.text) }
            reservationDates = dates.map(\.description)
        case .page(let id, let index):
            if case .scanned(let pages)? = visit?.materials[id], let material = visit?.choice?.materials.first(where: { $0.id == id }) {
                page = PageView(material: id, name: material.name, index: index, pages: pages.count, image: Self.pageURL(id, index, pages[index]))
            }
        case .consultation(let kind):
            consultationKind = kind.rawValue
        case .consultationSent(let reference):
            self.reference = reference
        case .rating:
            let draft = visit?.ratingDraft
            rating = RatingView(level: draft?.level.rawValue, reasons: draft?.level.reasons ?? [], chosen: draft?.reasons ?? [], commentLimit: Rating.commentLimit)
        default:
            break
        }
        if self.prompt == nil, screen == "attract", let outOfService { self.prompt = outOfService }
        if self.prompt == nil { self.prompt = Self.defaultPrompts[screen].map { words.render(SessionText($0)) } }
        if screen == "form", let choice = visit?.choice {
            let values = reducer.formValues(state)
            let held = visit?.resident?.certificate
            if let held, held != .residentID { certificate = held.chinese }
            form = choice.formFields.map { field in
                // What the card filled in is shown masked, as everywhere on screen: the page never holds the whole number.
                let value = values[field.id] ?? ""
                return Field(id: field.id, label: field.label(holding: held), kind: field.kind.rawValue, required: field.required,
                      value: field.fromIdentity.map { Masking.shown(value, from: $0) } ?? value,
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
                let thumbnails: [String]? = if case .scanned(let scanned)? = visit?.materials[material.id] {
                    scanned.enumerated().map { Self.pageURL(material.id, $0.offset, $0.element) }
                } else { nil }
                return MaterialLine(id: material.id, name: material.name, required: material.required, notes: material.notes, status: status,
                                    pages: pages, platformMayObtain: material.platformMayObtain, eCertificate: material.eCertificate, thumbnails: thumbnails)
            }
        }
        if screen == "review", let choice = visit?.choice {
            delivery = DeliveryChoice(options: choice.delivery.map(\.rawValue), chosen: visit?.delivery?.rawValue,
                                      postalAddress: visit?.delivery == .post ? visit?.postalAddress ?? "" : nil)
        }
        if screen == "receipt", let printed = visit?.receipt {
            // The receipt's own words are Chinese (it is the printed record); its date and promise follow the screen.
            let promise: String = switch printed.promise {
            case .by(let date): words.render(date)
            case .immediately: words.render(SessionText(.promiseSameDay))
            case .unknown(let text): text
            }
            receipt = ReceiptView(trackingNumber: printed.trackingNumber, serviceName: printed.serviceName, applicant: printed.applicant,
                                  submittedAt: printed.submittedAt, promise: promise, delivery: printed.delivery, postalAddress: printed.postalAddress,
                                  trackingURL: printed.trackingURL, materials: printed.materials.map { "\($0.name)（\($0.how)）" },
                                  formForSignature: state.agent != nil)
        }
    }

    /// A scanned page's image; its size in the URL, so a rescan is a new image, never a cached one.
    static func pageURL(_ material: String, _ index: Int, _ page: ScannedPage) -> String {
        "/api/page/\(material)/\(index)?bytes=\(page.data.count)"
    }
}
