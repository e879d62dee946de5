/// The screens of a resident's visit (ResidentVisit.swift): the attract
/// screen, the menu, the guide, the form, the completeness check, review and
/// submitting, and a visit paused for its card. The page draws them in
/// ui/screens/resident-visit.js.

/// 请刷身份证, and the elderly-mode and language entries; or 暂停服务.
public struct AttractScreen: ScreenPayload {
    public var name: ScreenView.Name { .attract }
    /// While the kiosk takes no visit: why, and whom to call.
    public var outOfService: String?
}

/// The service menu's start: 常用, life events, departments, search, my cases, 12345.
public struct HomeScreen: ScreenPayload {
    public var name: ScreenView.Name { .home }
}

/// A list of services, or of the life events or departments that have some, or a search.
public struct BrowseScreen: ScreenPayload {
    public var name: ScreenView.Name { .browse }
    public var menu: [MenuLine]
    /// The life events or departments that have services, to pick one.
    public var categories: [CategoryLine]?
    /// What a list of services is: the life event's or the department's name.
    public var heading: String?
    /// The words or initials searched for, on a search's results.
    public var query: String?
}

/// An item or a bundle in a menu.
public struct MenuLine: Sendable, Equatable, Encodable {
    public var code: String
    public var name: String
    public var bundle: Bool
    /// The symbol of ui/pictograms.svg shown beside the name.
    public var pictogram: String

    init(_ entry: MenuEntry) {
        (code, name, bundle, pictogram) = (entry.code, entry.name, entry.isBundle, entry.pictogram)
    }
}

/// A life event or a department to pick (`kind` is `life_event` or `department`).
public struct CategoryLine: Sendable, Equatable, Encodable {
    public var kind: String
    public var id: String
    public var name: String
    public var pictogram: String
}

/// 一次性告知: the whole 办事指南 of the item chosen.
public struct GuideScreen: ScreenPayload {
    public var name: ScreenView.Name { .guide }
    public var service: ServiceGuide
}

/// The whole 办事指南 of the item chosen, and where each condition stands for this applicant.
public struct ServiceGuide: Sendable, Equatable, Encodable {
    public var code: String
    public var name: String
    public var pictogram: String
    public var conditions: [ConditionLine]
    public var materials: [GuideMaterial]
    public var promisedWorkingDays: Int
    public var statutoryWorkingDays: Int
    /// 即办件: handled on the spot.
    public var immediate: Bool
    public var fee: String
    /// The delivery methods the item offers (`station_pickup`, `post`, `electronic`), the default first.
    public var delivery: [String]
    public var legalBasis: [String]
    public var consultationPhone: String
    public var complaintPhone: String
}

/// A condition and where it stands for this applicant: `checked` (by the card), `unmet`,
/// `confirmed`, `denied`, or `ask` (the resident is to confirm it).
public struct ConditionLine: Sendable, Equatable, Encodable {
    public var text: String
    public var standing: String
}

/// A material as the guide lists it: 原件1份 · 户主页和本人页 · 可由平台调取.
public struct GuideMaterial: Sendable, Equatable, Encodable {
    public var name: String
    public var particulars: String
    public var required: Bool
}

/// The application form.
public struct FormScreen: ScreenPayload {
    public var name: ScreenView.Name { .form }
    public var form: [FieldLine]
    /// For a card other than a resident ID card: which certificate it is (the number's field is labelled for it).
    public var certificate: String?
}

/// A field of the form. What the card filled in is shown masked, as everywhere on screen.
public struct FieldLine: Sendable, Equatable, Encodable {
    public var id: String
    public var label: String
    public var kind: String
    public var required: Bool
    public var value: String
    public var problem: String?
    /// From the card, not typed.
    public var locked: Bool
    public var options: [String]?
    public var hint: String?
}

/// The completeness check failed: what is missing, and the working days to come back once.
public struct IncompleteScreen: ScreenPayload {
    public var name: ScreenView.Name { .incomplete }
    public var missing: [String]
    /// `YYYY-MM-DD`, the next five working days.
    public var reservationDates: [String]
}

/// A day booked to come back with what is missing (said and shown as the prompt).
public struct ReservedScreen: ScreenPayload {
    public var name: ScreenView.Name { .reserved }
    /// The day booked, in the screen's language, and the platform's reference for it.
    public var date: String
    public var reference: String
}

/// Everything at once before submitting: the materials and how the result comes.
public struct ReviewScreen: ScreenPayload {
    public var name: ScreenView.Name { .review }
    public var serviceName: String
    /// What the form holds, as the resident typed it (the card's name, number and birth date masked, as on the form).
    public var answers: [AnswerLine]
    public var materials: [MaterialLine]
    public var delivery: DeliveryChoice
}

/// One field of the form and what it holds, on the review screen.
public struct AnswerLine: Sendable, Equatable, Encodable {
    public var label: String
    public var value: String
}

/// How the result comes, on the review screen.
public struct DeliveryChoice: Sendable, Equatable, Encodable {
    /// What the item offers, the default first.
    public var options: [String]
    public var chosen: String?
    /// For `post`: where to (prefilled from the card's address).
    public var postalAddress: String?
}

/// Waiting for the outbox's commit: no receipt before it.
public struct SubmittingScreen: ScreenPayload {
    public var name: ScreenView.Name { .submitting }
}

/// The card left the reader (pause policy): put it back to continue.
public struct PausedScreen: ScreenPayload {
    public var name: ScreenView.Name { .paused }
}

extension SessionReducer {
    func attractScreen(_ state: SessionState, words: Phrasebook) -> AttractScreen {
        guard let reason = state.outOfService, state.visit == nil, state.agent == nil else { return AttractScreen() }
        return AttractScreen(outOfService: words.render(SessionText(.outOfService, ["reason": .text(reason), "phone": .verbatim(settings.stationPhone)])))
    }

    func browseScreen(_ shown: Menu, _ entries: [MenuEntry]) -> BrowseScreen {
        var screen = BrowseScreen(menu: entries.map(MenuLine.init))
        switch shown {
        case .search(let words): screen.query = words
        case .lifeEvents: screen.categories = catalogue.lifeEventsInUse.map { CategoryLine(kind: "life_event", id: $0.id, name: $0.name, pictogram: $0.pictogram) }
        case .departments: screen.categories = catalogue.departmentsInUse.map { CategoryLine(kind: "department", id: $0.id, name: $0.name, pictogram: $0.pictogram) }
        case .lifeEvent(let id): screen.heading = catalogue.lifeEvents.first { $0.id == id }?.name
        case .department(let id): screen.heading = catalogue.department(id)?.name
        case .popular: break
        }
        return screen
    }

    /// The 办事指南 of the item chosen, with where each condition stands.
    func serviceGuide(_ state: SessionState) -> ServiceGuide {
        guard let choice = state.visit?.choice else {
            return ServiceGuide(code: "", name: "", pictogram: "", conditions: [], materials: [], promisedWorkingDays: 0, statutoryWorkingDays: 0,
                                immediate: false, fee: "", delivery: [], legalBasis: [], consultationPhone: settings.stationPhone, complaintPhone: settings.stationPhone)
        }
        let conditions = standings(state).map { condition, standing in
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

    func formScreen(_ state: SessionState, words: Phrasebook) -> FormScreen {
        guard let visit = state.visit, let choice = visit.choice else { return FormScreen(form: []) }
        let values = formValues(state)
        let held = visit.resident?.certificate
        let fields = choice.formFields.map { field in
            // The page never holds the card's number, name or birth date whole.
            let value = values[field.id] ?? ""
            return FieldLine(id: field.id, label: field.label(holding: held), kind: field.kind.rawValue, required: field.required,
                             value: field.fromIdentity.map { Masking.shown(value, from: $0) } ?? value,
                             problem: visit.fieldProblems[field.id].map(words.render), locked: !field.isTypeable,
                             options: field.options.isEmpty ? nil : field.options, hint: field.hint)
        }
        return FormScreen(form: fields, certificate: held.flatMap { $0 == .residentID ? nil : $0.chinese })
    }

    func reviewScreen(_ state: SessionState) -> ReviewScreen {
        let visit = state.visit
        let delivery = DeliveryChoice(options: visit?.choice?.delivery.map(\.rawValue) ?? [], chosen: visit?.delivery?.rawValue,
                                      postalAddress: visit?.delivery == .post ? visit?.postalAddress ?? "" : nil)
        let values = formValues(state)
        let answers = (visit?.choice?.formFields ?? []).compactMap { field -> AnswerLine? in
            guard let value = values[field.id], !value.isEmpty else { return nil }
            return AnswerLine(label: field.label(holding: visit?.resident?.certificate), value: field.fromIdentity.map { Masking.shown(value, from: $0) } ?? value)
        }
        return ReviewScreen(serviceName: visit?.choice?.name ?? "", answers: answers, materials: materialLines(state), delivery: delivery)
    }
}
