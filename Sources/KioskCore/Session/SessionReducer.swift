/// The session state machine: `reduce(state, event) -> (state, [effect])`.
///
/// It knows the catalogue, the working-day calendar and the station's
/// settings, and nothing else: no device, screen, clock or network. The
/// runtime in kioskd performs the effects and feeds their results back as
/// events, so a whole visit is testable as a list of events.
///
///     let reducer = SessionReducer(catalogue: catalogue, calendar: calendar, settings: settings)
///     var state = SessionState()
///     let effects = reducer.reduce(&state, .cardPresented(resident, now: t))
///
/// Invariants the tests hold it to: the receipt screen is reached only from
/// an `enqueueCommitted` answering the session's own enqueue; ending a
/// session leaves no personal data in the state; an answer to a request the
/// session no longer waits for changes nothing.
///
/// This file dispatches; each part of the journey has its own:
/// ResidentVisit.swift (cards, the visit from menu to receipt), AgentJourney.swift,
/// CasesAndConsultation.swift, Answers.swift (results of effects), and the pure
/// pieces ApplicationRecord.swift, AcceptanceReceipt.swift and SessionSpeech.swift.
public struct SessionReducer: Sendable {
    public var catalogue: Catalogue
    public var calendar: WorkingCalendar
    public var settings: SessionSettings

    public init(catalogue: Catalogue, calendar: WorkingCalendar, settings: SessionSettings) {
        self.catalogue = catalogue
        self.calendar = calendar
        self.settings = settings
    }

    /// The pure form: the next state and the effects.
    public func reduce(_ state: SessionState, _ event: SessionEvent) -> (SessionState, [SessionEffect]) {
        var next = state
        let effects = reduce(&next, event)
        return (next, effects)
    }

    /// Applies `event` to `state` and returns the effects to perform.
    public func reduce(_ state: inout SessionState, _ event: SessionEvent) -> [SessionEffect] {
        if let time = event.time { state.now = max(state.now, time) }
        switch event {
        case .tick:
            return tick(&state)
        case .cardPresented(let identity, _):
            return cardPresented(&state, identity)
        case .cardRefused(let message, _):
            guard state.visit == nil || state.agent != nil else { return [] }
            return notify(&state, message)
        case .cardRemoved:
            return cardRemoved(&state)
        case .touch(let touch, _):
            guard state.isActive || touch.allowedOnAttract else { return [] }
            state.lastTouch = state.now
            var effects: [SessionEffect] = []
            if state.idleWarningShown {
                state.idleWarningShown = false
                effects.append(.stopSpeaking)
            }
            return effects + self.touch(&state, touch)
        case .networkChanged(let online):
            state.online = online
            return []
        case .serviceChanged(let reason):
            state.outOfService = reason
            return []
        case .printFailed(let reason):
            if state.agent != nil, isStationCases(state.screen) {
                return notify(&state, SessionText(.reprintFailed, ["reason": .text(reason)]))
            }
            guard state.screen == .receipt, let number = state.visit?.lastTrackingNumber else { return [] }
            // The application is saved whatever the printer does; the number stays on screen.
            return tell(&state, SessionText(.receiptNotPrinted, ["reason": .text(reason), "number": .verbatim(number)]))
        case .scanProgressed(let request, let page, let percent):
            guard state.pending?.id == request, case .scanning = state.screen else { return [] }
            state.visit?.scanProgress = PageProgress(page: page, percent: percent)
            return []
        case .documentNotPrinted(let reason):
            guard state.visit != nil else { return [] }
            return tell(&state, SessionText(.printFailed, ["reason": .text(reason)]))
        default:
            return answer(&state, event)
        }
    }

    // MARK: Time

    /// Seconds between reminders to take a card left on the reader.
    public static let cardReminderInterval = 15.0

    private func tick(_ state: inout SessionState) -> [SessionEffect] {
        if let left = state.cardLeft, !state.isActive, state.now - left.remindedAt >= Self.cardReminderInterval {
            state.cardLeft?.remindedAt = state.now
            return notify(&state, SessionText(.takeYourCard))
        }
        guard state.isActive else { return [] }
        // The kiosk is working (a scan, a commit): the resident is waiting, not gone.
        if case .scanning = state.screen { return [] }
        if state.screen == .submitting { return [] }
        let timeout = settings.idleTimeout(for: state)
        let idle = state.now - state.lastTouch
        if idle >= timeout {
            return end(&state, .idleTimeout, logOutAgent: state.agent != nil)
        }
        if idle >= timeout - settings.idleWarning, !state.idleWarningShown {
            state.idleWarningShown = true
            let seconds = Int((timeout - idle).rounded(.up))
            return [say(.idleWarning, ["seconds": .number(seconds)])]
        }
        return []
    }

    // MARK: Ending

    /// Ends the resident's visit and wipes it; an agent stays logged in unless asked.
    func end(_ state: inout SessionState, _ reason: SessionEndReason, logOutAgent: Bool = false) -> [SessionEffect] {
        var effects: [SessionEffect] = []
        if case .scanning = state.screen { effects.append(.cancelScan) }
        // The resident is leaving; their card must not stay behind (nor start the next visit).
        let cardLeft = reason != .cardRemoved && state.agent == nil && state.visit?.resident.map(\.cardFingerprint) == state.cardOnReader
        if logOutAgent, let agent = state.agent {
            effects.append(.audit(AuditNote(action: "agent_logout", actor: agent.masked, detail: reason.rawValue)))
            state.agent = nil
        }
        state.visit = nil
        state.agentCandidate = nil
        state.notice = nil
        state.staffCalledAt = nil
        state.pending = nil
        state.idleWarningShown = false
        if state.agent != nil {
            state.screen = .agentConsole
            return effects + [say(.proxyEnded)]
        }
        state.screen = .attract
        state.elderlyMode = false
        state.elderlyOffered = false
        state.language = "zh"
        effects += [.stopSpeaking, .sessionEnded(reason)]
        guard cardLeft, let card = state.cardOnReader else { return effects }
        state.cardLeft = LeftCard(card: card, remindedAt: state.now)
        return effects + notify(&state, SessionText(.takeYourCard))
    }

    // MARK: Touches

    private func touch(_ state: inout SessionState, _ touch: Touch) -> [SessionEffect] {
        switch touch {
        case .stillHere:
            return []
        case .callStaff:
            // Pressed again while the call is on: said again, not called (nor audited) again.
            // Offline the call goes no further than this kiosk (its heartbeat cannot leave): say so, and where to find someone.
            let answer = state.online ? say(.staffCalled) : say(.staffCallUnreached, ["phone": .verbatim(settings.stationPhone)])
            guard state.staffCalledAt == nil else { return [answer] }
            state.staffCalledAt = state.now
            return [.audit(AuditNote(action: "staff_called", actor: actor(state), detail: state.online ? "" : "offline: not sent")), answer]
        case .staffAnswered:
            guard state.agent != nil, state.staffCalledAt != nil else { return [] }
            state.staffCalledAt = nil
            return [.audit(AuditNote(action: "staff_answered", actor: actor(state)))]
        case .elderlyMode(let on):
            state.elderlyMode = on
            state.elderlyOffered = false
            // Before a card it is the attract screen's choice; during a visit, a switch of the screen the resident is on.
            return [say(on ? (state.visit == nil ? .elderlyOn : .elderlyOnDuringVisit) : .elderlyOff)]
        case .language(let code):
            guard code == "zh" || code == "en" else { return [] }
            state.language = code
            return []
        case .endSession:
            if state.screen == .submitting { return [say(.saving)] }
            if state.agentCandidate != nil, state.agent == nil { return end(&state, .finished) }
            if state.agent != nil, state.visit == nil { return [] }
            return end(&state, .finished)
        default:
            if let effects = agentTouch(&state, touch) { return effects }
            guard state.visit != nil else { return [] }
            return visitTouch(&state, touch)
        }
    }

    // MARK: Helpers the journeys share

    func isStationCases(_ screen: Screen) -> Bool {
        if case .stationCases = screen { return true }
        return false
    }

    /// Starts waiting for the answer to a request; returns its id.
    func newRequest(_ state: inout SessionState, _ kind: PendingRequest.Kind) -> Int {
        let id = state.nextRequestID
        state.nextRequestID += 1
        state.pending = PendingRequest(id: id, kind: kind)
        return id
    }

    /// Who acted, masked, for the audit trail.
    func actor(_ state: SessionState) -> String {
        if let agent = state.agent { return "\(agent.masked) for \(state.visit?.maskedApplicant ?? "")" }
        return state.visit?.maskedApplicant ?? "kiosk"
    }

    /// Says `phrase` (the screen shows it as its prompt).
    func say(_ phrase: Phrase, _ values: [String: SessionText.Value] = [:]) -> SessionEffect {
        .speak(SessionText(phrase, values))
    }

    /// Shows `text` as the attract or agent screen's notice, and says it.
    func notify(_ state: inout SessionState, _ text: SessionText) -> [SessionEffect] {
        state.notice = text
        return [.speak(text)]
    }

    /// Shows `text` as the visit's message on the current screen (a refusal, a device problem), and says it.
    func tell(_ state: inout SessionState, _ text: SessionText) -> [SessionEffect] {
        state.visit?.message = text
        return [.speak(text)]
    }
}

extension SessionSettings {
    /// Seconds without a touch before the session ends: an agent's, or a resident's.
    public func idleTimeout(for state: SessionState) -> Double {
        state.agent != nil ? agentIdleTimeout : state.elderlyMode ? elderlyIdleTimeout : idleTimeout
    }
}

extension Touch {
    /// Touches that mean something with nobody identified yet.
    var allowedOnAttract: Bool {
        switch self {
        case .elderlyMode, .language, .stillHere, .callStaff: true
        default: false
        }
    }
}

extension SessionEvent {
    /// The request an event answers, if it is an answer.
    var request: Int? {
        switch self {
        case .scanFinished(let r, _), .scanFailed(let r, _), .eCertificatesFound(let r, _), .eCertificateLookupFailed(let r, _),
             .enqueueCommitted(let r, _), .enqueueFailed(let r, _), .platformCase(let r, _), .casesFound(let r, _), .caseLookupFailed(let r, _),
             .agentPINChecked(let r, _), .reservationMade(let r, _), .interactionSent(let r, _), .requestFailed(let r, _): r
        default: nil
        }
    }
}
