import KioskCore

/// The parts a ``ScreenModel`` is made of, each as the page reads it (docs/local-api.md).
extension ScreenModel {
    struct Entry: Encodable, Equatable {
        var code: String
        var name: String
        var bundle: Bool
        /// The symbol of ui/pictograms.svg shown beside the name.
        var pictogram: String
        init(_ entry: MenuEntry) {
            (code, name, bundle, pictogram) = (entry.code, entry.name, entry.isBundle, entry.pictogram)
        }
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
    /// The whole 办事指南 of the item chosen.
    struct ServiceGuide: Encodable, Equatable {
        var code: String
        var name: String
        var pictogram: String
        var conditions: [ConditionLine]
        var materials: [GuideMaterial]
        var promisedWorkingDays: Int
        var statutoryWorkingDays: Int
        /// 即办件: handled on the spot.
        var immediate: Bool
        var fee: String
        /// The delivery methods the item offers (`station_pickup`, `post`, `electronic`), the default first.
        var delivery: [String]
        var legalBasis: [String]
        var consultationPhone: String
        var complaintPhone: String
    }
    /// A condition and where it stands for this applicant: `checked` (by the card), `unmet`,
    /// `confirmed`, `denied`, or `ask` (the resident is to confirm it).
    struct ConditionLine: Encodable, Equatable {
        var text: String
        var standing: String
    }
    /// A material as the guide lists it: 原件1份 · 户主页和本人页 · 可由平台调取.
    struct GuideMaterial: Encodable, Equatable {
        var name: String
        var particulars: String
        var required: Bool
    }
    /// Why the applicant cannot apply, and another item to apply for instead.
    struct Ineligible: Encodable, Equatable {
        var reason: String
        var instead: Entry?
    }
    /// One scanned page, large.
    struct PageView: Encodable, Equatable {
        var material: String
        var name: String
        /// From 0.
        var index: Int
        var pages: Int
        var image: String
    }
    /// How the result comes, on the review screen.
    struct DeliveryChoice: Encodable, Equatable {
        /// What the item offers, the default first.
        var options: [String]
        var chosen: String?
        /// For `post`: where to (prefilled from the card's address).
        var postalAddress: String?
    }
    /// The rating being given: once a level is chosen, its reasons to choose from (required for the two lowest).
    struct RatingView: Encodable, Equatable {
        /// 1 非常满意 … 5 非常不满意, once one was chosen.
        var level: Int?
        var reasons: [String]
        var chosen: [String]
        var commentLimit: Int
    }
    struct ReceiptView: Encodable, Equatable {
        var trackingNumber: String
        var serviceName: String
        var applicant: String
        var submittedAt: String
        var promise: String
        var delivery: String
        var postalAddress: String?
        var trackingURL: String
        var materials: [String]
        /// An agent may print the application form on A4 for the resident's signature.
        var formForSignature: Bool
    }
    struct CaseLine: Encodable, Equatable {
        var trackingNumber: String
        var serviceName: String
        var applicant: String
        var status: String
        var detail: String?
    }
    /// On the life-event and department lists: what to pick from (`kind` is `life_event` or `department`).
    struct CategoryEntry: Encodable, Equatable {
        var kind: String
        var id: String
        var name: String
        var pictogram: String
    }
    /// While scanning: the page being read and how much of it (-1: unknown).
    struct ScanProgress: Encodable, Equatable {
        var page: Int
        var percent: Int
    }

    static func guide(_ choice: ServiceChoice, standings: [(condition: Condition, standing: ConditionStanding)]) -> ServiceGuide {
        let conditions = standings.map { condition, standing in
            let word = switch standing {
            case .checked: "checked"
            case .unmet: "unmet"
            case .confirmed(true?): "confirmed"
            case .confirmed(false?): "denied"
            case .confirmed(nil): "ask"
            }
            return ConditionLine(text: condition.text, standing: word)
        }
        let first = choice.items.first
        return ServiceGuide(
            code: choice.code, name: choice.name, pictogram: choice.pictogram, conditions: conditions,
            materials: choice.materials.map { GuideMaterial(name: $0.name, particulars: $0.particulars, required: $0.required) },
            promisedWorkingDays: choice.promisedWorkingDays, statutoryWorkingDays: choice.items.map(\.statutoryLimit.workingDays).max() ?? 0,
            immediate: choice.promisedWorkingDays == 0, fee: first?.fee.text ?? "不收费", delivery: choice.delivery.map(\.rawValue),
            legalBasis: choice.items.flatMap(\.legalBasis), consultationPhone: first?.consultationPhone ?? "12345", complaintPhone: first?.complaintPhone ?? "12345")
    }

    static func line(_ summary: CaseSummary, _ words: Phrasebook) -> CaseLine {
        CaseLine(trackingNumber: summary.trackingNumber, serviceName: summary.serviceName, applicant: summary.applicantMasked,
                 status: words.render(summary.status), detail: summary.detail.map(words.render))
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
        case .conditions: "conditions"
        case .ineligible: "ineligible"
        case .form: "form"
        case .materials: "materials"
        case .scanning: "scanning"
        case .page: "page"
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
        "attract": .promptAttract, "home": .promptHome, "browse": .promptBrowse, "guide": .promptGuide, "conditions": .promptConditions,
        "ineligible": .promptIneligible, "form": .promptForm, "materials": .promptMaterials, "scanning": .promptScanning, "page": .promptPage,
        "incomplete": .promptIncomplete, "reserved": .promptReserved, "review": .promptReview, "submitting": .saving, "receipt": .promptReceipt,
        "rating": .promptRating, "done": .promptDone, "my_cases": .promptMyCases, "consultation": .promptConsultation,
        "consultation_sent": .promptConsultationSent, "paused": .promptPaused, "agent_pin": .promptAgentPIN, "agent_console": .promptAgentConsole,
        "station_cases": .promptStationCases, "proxy_consent": .promptProxyConsent, "enterprise": .promptEnterprise,
    ]
}
