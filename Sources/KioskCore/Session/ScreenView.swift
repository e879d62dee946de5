/// What the touchscreen shows: the screen the session is on, as the page
/// draws it. One case per screen, each with a payload of its own declared
/// beside the journey that leads to it (ResidentVisitScreens.swift,
/// ConditionsCheckScreens.swift, …), and the ``ScreenFrame`` every screen
/// has around it. It holds what is on screen and nothing more: masked names
/// where the screen masks them, the form's values while the form is open,
/// page images by their address, never their bytes.
///
/// kioskd's local API encodes it as one JSON object: `screen` (the
/// ``Name``), the frame's keys and the payload's (docs/local-api.md).
///
///     let shown = reducer.screen(state, prompt: said, speech: count, words: phrasebook)
///     if case .receipt(let receipt) = shown.view { print(receipt.receipt.trackingNumber) }
public enum ScreenView: Sendable, Equatable {
    case attract(AttractScreen)
    case agentPIN(AgentPINScreen)
    case agentConsole(AgentConsoleScreen)
    case stationCases(StationCasesScreen)
    case proxyConsent(ProxyConsentScreen)
    case enterprise(EnterpriseScreen)
    case home(HomeScreen)
    case browse(BrowseScreen)
    case guide(GuideScreen)
    case conditions(ConditionsScreen)
    case ineligible(IneligibleScreen)
    case form(FormScreen)
    case materials(MaterialsScreen)
    case scanning(ScanningScreen)
    case page(PageScreen)
    case incomplete(IncompleteScreen)
    case reserved(ReservedScreen)
    case review(ReviewScreen)
    case submitting(SubmittingScreen)
    case receipt(ReceiptScreen)
    case rating(RatingScreen)
    case done(DoneScreen)
    case myCases(MyCasesScreen)
    case consultation(ConsultationScreen)
    case consultationSent(ConsultationSentScreen)
    case paused(PausedScreen)

    /// A screen's name on the local API: the page chooses its renderer by it.
    public enum Name: String, Sendable, CaseIterable, Encodable {
        case attract, agentPIN = "agent_pin", agentConsole = "agent_console", stationCases = "station_cases", proxyConsent = "proxy_consent"
        case enterprise, home, browse, guide, conditions, ineligible, form, materials, scanning, page, incomplete, reserved, review
        case submitting, receipt, rating, done, myCases = "my_cases", consultation, consultationSent = "consultation_sent", paused
    }

    public var name: Name { payload.name }

    /// The payload, whichever screen it is.
    public var payload: any ScreenPayload {
        switch self {
        case .attract(let p): p
        case .agentPIN(let p): p
        case .agentConsole(let p): p
        case .stationCases(let p): p
        case .proxyConsent(let p): p
        case .enterprise(let p): p
        case .home(let p): p
        case .browse(let p): p
        case .guide(let p): p
        case .conditions(let p): p
        case .ineligible(let p): p
        case .form(let p): p
        case .materials(let p): p
        case .scanning(let p): p
        case .page(let p): p
        case .incomplete(let p): p
        case .reserved(let p): p
        case .review(let p): p
        case .submitting(let p): p
        case .receipt(let p): p
        case .rating(let p): p
        case .done(let p): p
        case .myCases(let p): p
        case .consultation(let p): p
        case .consultationSent(let p): p
        case .paused(let p): p
        }
    }
}

/// A screen's own content: its keys sit beside the frame's in the screen's JSON.
public protocol ScreenPayload: Sendable, Equatable, Encodable {
    /// The screen it is the payload of.
    var name: ScreenView.Name { get }
}

/// What every screen has around its own content: the page's mode and language,
/// the link, the sentence said, a message or notice, the idle warning, the staff call,
/// and who is at the kiosk (masked).
public struct ScreenFrame: Sendable, Equatable, Encodable {
    public var elderlyMode: Bool
    /// Elderly mode came on by itself (the card says 60 or older): the home screen offers to decline it.
    public var elderlyOffered: Bool
    /// `zh` or `en`.
    public var language: String
    /// Whether the platform is reachable.
    public var online: Bool
    /// What was last said (and is shown as the screen's prompt); a screen that said nothing in particular says its own.
    public var prompt: String?
    /// Counts what the kiosk has said: a sentence said again (a reminder) is a new one for the page to play.
    public var speech: Int
    /// A refusal or a device problem on this screen, with what to do.
    public var message: String?
    /// A sentence for the attract or agent screens (a refused card, a wrong PIN).
    public var notice: String?
    public var idleWarning: Bool
    /// While the idle warning shows: seconds until the visit ends and is wiped.
    public var idleSecondsLeft: Int?
    /// Someone pressed 呼叫工作人员 and no agent has answered yet.
    public var staffCalled: Bool
    /// The resident's masked name, or the enterprise's name.
    public var resident: String?
    /// The agent logged in (or whose PIN is asked): id and masked name.
    public var agent: String?
}

/// The screen now: its frame and its view.
public struct SessionScreen: Sendable, Equatable, Encodable {
    public var frame: ScreenFrame
    public var view: ScreenView

    enum CodingKeys: String, CodingKey { case screen }

    /// One object: `screen`, then the frame's keys and the view's beside them.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(view.name, forKey: .screen)
        try frame.encode(to: encoder)
        try view.payload.encode(to: encoder)
    }
}

extension SessionReducer {
    /// What the screen shows for `state`: `prompt` is what was last said (nil: the screen's own
    /// sentence), `speech` how many sentences have been said, `words` the screen's language.
    public func screen(_ state: SessionState, prompt: SessionText?, speech: Int, words: Phrasebook) -> SessionScreen {
        let view = view(state, words: words)
        let frame = ScreenFrame(
            elderlyMode: state.elderlyMode, elderlyOffered: state.elderlyOffered, language: state.language, online: state.online,
            prompt: words.render(prompt ?? state.screen.ownPrompt(state, settings: settings)), speech: speech,
            message: state.visit?.message.map(words.render), notice: state.notice.map(words.render),
            idleWarning: state.idleWarningShown,
            idleSecondsLeft: state.idleWarningShown ? max(0, Int((settings.idleTimeout(for: state) - (state.now - state.lastTouch)).rounded(.up))) : nil,
            staffCalled: state.staffCalledAt != nil,
            resident: state.visit?.resident?.maskedName ?? state.visit?.enterprise?.name,
            agent: state.agent?.masked ?? state.agentCandidate?.masked)
        return SessionScreen(frame: frame, view: view)
    }

    private func view(_ state: SessionState, words: Phrasebook) -> ScreenView {
        switch state.screen {
        case .attract: .attract(attractScreen(state, words: words))
        case .agentPIN: .agentPIN(AgentPINScreen())
        case .agentConsole: .agentConsole(AgentConsoleScreen())
        case .stationCases(let cases): .stationCases(StationCasesScreen(cases: cases.map { CaseLine($0, words) }))
        case .proxyConsent: .proxyConsent(ProxyConsentScreen())
        case .enterprise: .enterprise(EnterpriseScreen())
        case .home: .home(HomeScreen())
        case .browse(let menu, let entries): .browse(browseScreen(menu, entries))
        case .guide: .guide(GuideScreen(service: serviceGuide(state)))
        case .conditions: .conditions(ConditionsScreen(service: serviceGuide(state)))
        case .ineligible(let reason, let instead): .ineligible(IneligibleScreen(ineligible: .init(reason: words.render(reason), instead: instead.map(MenuLine.init))))
        case .form: .form(formScreen(state, words: words))
        case .materials: .materials(MaterialsScreen(materials: materialLines(state)))
        case .scanning: .scanning(ScanningScreen(materials: materialLines(state), scanProgress: state.visit?.scanProgress))
        case .page(let id, let index): pageScreen(state, material: id, index: index).map(ScreenView.page) ?? .materials(MaterialsScreen(materials: materialLines(state)))
        case .incomplete(let missing, let dates): .incomplete(IncompleteScreen(missing: missing.map { words.render($0.text) }, reservationDates: dates.map(\.description)))
        case .reserved(let reservation): .reserved(ReservedScreen(date: words.render(reservation.date), reference: reservation.reference ?? ""))
        case .review: .review(reviewScreen(state))
        case .submitting: .submitting(SubmittingScreen())
        case .receipt: receiptScreen(state, words: words).map(ScreenView.receipt) ?? .submitting(SubmittingScreen())
        case .rating: .rating(ratingScreen(state))
        case .done: .done(DoneScreen())
        case .myCases(let cases): .myCases(MyCasesScreen(cases: cases.map { CaseLine($0, words) }))
        case .consultation(let kind): .consultation(ConsultationScreen(consultationKind: kind.rawValue))
        case .consultationSent(let reference): .consultationSent(ConsultationSentScreen(reference: reference))
        case .paused: .paused(PausedScreen())
        }
    }
}

extension Screen {
    /// The screen's name on the local API (the view's).
    public var name: ScreenView.Name {
        switch self {
        case .attract: .attract
        case .agentPIN: .agentPIN
        case .agentConsole: .agentConsole
        case .stationCases: .stationCases
        case .proxyConsent: .proxyConsent
        case .enterprise: .enterprise
        case .home: .home
        case .browse: .browse
        case .guide: .guide
        case .conditions: .conditions
        case .ineligible: .ineligible
        case .form: .form
        case .materials: .materials
        case .scanning: .scanning
        case .page: .page
        case .incomplete: .incomplete
        case .reserved: .reserved
        case .review: .review
        case .submitting: .submitting
        case .receipt: .receipt
        case .rating: .rating
        case .done: .done
        case .myCases: .myCases
        case .consultation: .consultation
        case .consultationSent: .consultationSent
        case .paused: .paused
        }
    }

    /// What the screen says when nothing more particular was said on it: every screen has a prompt, shown and spoken.
    func ownPrompt(_ state: SessionState, settings: SessionSettings) -> SessionText {
        switch self {
        case .attract:
            guard let reason = state.outOfService, state.visit == nil, state.agent == nil else { return SessionText(.promptAttract) }
            return SessionText(.outOfService, ["reason": .text(reason), "phone": .verbatim(settings.stationPhone)])
        case .agentPIN: return SessionText(.promptAgentPIN)
        case .agentConsole: return SessionText(.promptAgentConsole)
        case .stationCases: return SessionText(.promptStationCases)
        case .proxyConsent: return SessionText(.promptProxyConsent)
        case .enterprise: return SessionText(.promptEnterprise)
        case .home: return SessionText(.promptHome)
        case .browse: return SessionText(.promptBrowse)
        case .guide: return SessionText(.promptGuide)
        case .conditions: return SessionText(.promptConditions)
        case .ineligible: return SessionText(.promptIneligible)
        case .form: return SessionText(.promptForm)
        case .materials: return SessionText(.promptMaterials)
        case .scanning: return SessionText(.promptScanning)
        case .page: return SessionText(.promptPage)
        case .incomplete: return SessionText(.promptIncomplete)
        case .reserved: return SessionText(.promptReserved)
        case .review: return SessionText(.promptReview)
        case .submitting: return SessionText(.saving)
        case .receipt: return SessionText(.promptReceipt)
        case .rating: return SessionText(.promptRating)
        case .done: return SessionText(.promptDone)
        case .myCases: return SessionText(.promptMyCases)
        case .consultation: return SessionText(.promptConsultation)
        case .consultationSent: return SessionText(.promptConsultationSent)
        case .paused: return SessionText(.promptPaused)
        }
    }
}
