/// A station agent's part of the session (代办): the PIN after the agent
/// card, the console, serving a resident with their recorded consent or an
/// enterprise by its credit code, the station's cases and reprints.
extension SessionReducer {
    /// An agent card at the attract screen asks for the PIN; nil when `identity` is no agent's card or an agent is busy.
    func agentCardPresented(_ state: inout SessionState, _ identity: ResidentIdentity) -> [SessionEffect]? {
        guard state.visit == nil, state.agent == nil, let agent = settings.agents.first(where: { $0.cardNumber == identity.number }) else { return nil }
        state.agentCandidate = agent
        state.notice = nil
        state.screen = .agentPIN
        return [say(.agentPINPrompt, ["agent": .verbatim(Masking.name(agent.name))])]
    }

    /// Agent mode: the card tapped is the resident being served; their consent comes next.
    func residentCardForAgent(_ state: inout SessionState, _ identity: ResidentIdentity, agent: RegisteredAgent) -> [SessionEffect] {
        guard state.screen == .agentConsole || state.screen == .proxyConsent || state.screen == .enterprise else {
            return [say(.agentBusy)]
        }
        var visit = Visit()
        visit.resident = identity
        state.visit = visit
        state.screen = .proxyConsent
        return [say(.proxyConsentPrompt, ["resident": .verbatim(identity.maskedName), "agent": .verbatim(Masking.name(agent.name))])]
    }

    /// The agent's touches; nil for a touch that is not one.
    func agentTouch(_ state: inout SessionState, _ touch: Touch) -> [SessionEffect]? {
        switch touch {
        case .agentPIN(let pin):
            guard state.screen == .agentPIN, let agent = state.agentCandidate, state.pending == nil else { return [] }
            let request = newRequest(&state, .agentPIN)
            return [.verifyAgentPIN(request: request, agentID: agent.id, pin: pin)]
        case .agentLogout:
            guard state.agent != nil else { return [] }
            // The application is being saved: its receipt comes first (as for 退出, and the idle clock waits too).
            if state.screen == .submitting { return [say(.saving)] }
            return end(&state, .agentLogout, logOutAgent: true)
        case .agentEnterprise(let code, let name):
            guard let agent = state.agent, state.screen == .agentConsole || state.screen == .enterprise else { return [] }
            return enterprise(&state, code: code, name: name, agent: agent)
        case .confirmProxyConsent:
            guard let agent = state.agent, state.screen == .proxyConsent, let resident = state.visit?.resident else { return [] }
            let consent = ProxyConsent(agentID: agent.id, residentMasked: "\(resident.maskedName) \(resident.maskedNumber)", at: state.now)
            state.visit?.consent = consent
            state.screen = .home
            return [.audit(AuditNote(action: "consent_recorded", actor: agent.masked, detail: "resident \(consent.residentMasked) consented to 代办")),
                    say(.consentRecorded)]
        case .agentStationCases:
            guard state.agent != nil, state.screen == .agentConsole || isStationCases(state.screen) else { return [] }
            let request = newRequest(&state, .stationCases)
            return [.listStationCases(request: request)]
        case .back where state.agent != nil && isStationCases(state.screen):
            state.screen = .agentConsole
            return []
        case .agentReprint(let number):
            guard let agent = state.agent, isStationCases(state.screen) else { return [] }
            return [.reprintReceipt(trackingNumber: number), .audit(AuditNote(action: "reprint", trackingNumber: number, actor: agent.masked, detail: "receipt reprinted (重印)"))]
        default:
            return nil
        }
    }

    /// The enterprise screen: its opening, or a credit code and name typed.
    private func enterprise(_ state: inout SessionState, code: String, name: String, agent: RegisteredAgent) -> [SessionEffect] {
        state.screen = .enterprise
        // Opening the screen: nothing typed yet, nothing to refuse.
        if code.trimmingSpaces.isEmpty, name.trimmingSpaces.isEmpty, state.visit == nil {
            state.notice = nil
            return [say(.enterprisePrompt)]
        }
        let trimmed = name.trimmingSpaces
        do {
            let credit = try UnifiedSocialCreditCode(code)
            guard !trimmed.isEmpty else { return notify(&state, SessionText(.enterpriseNameMissing)) }
            var visit = Visit()
            visit.enterprise = EnterpriseIdentity(creditCode: credit, name: trimmed)
            visit.consent = ProxyConsent(agentID: agent.id, residentMasked: "enterprise \(credit.masked)", at: state.now)
            state.visit = visit
            state.notice = nil
            state.screen = .home
            return [.audit(AuditNote(action: "enterprise_identified", actor: agent.masked, detail: credit.masked))]
        } catch {
            let reason: Phrase = switch error.code {
            case .wrongLength: .creditCodeLength
            case .badCheckCharacter: .creditCodeCheck
            default: .creditCodeCharacter
            }
            return notify(&state, SessionText(.creditCodeWrong, ["reason": .text(SessionText(reason))]))
        }
    }

    /// The PIN checker's answer.
    func agentPINChecked(_ state: inout SessionState, _ result: AgentPINResult) -> [SessionEffect] {
        guard let agent = state.agentCandidate else { return [] }
        switch result {
        case .accepted:
            state.agent = agent
            state.agentCandidate = nil
            state.notice = nil
            state.staffCalledAt = nil  // the agent has come
            state.lastTouch = state.now
            state.screen = .agentConsole
            return [.audit(AuditNote(action: "agent_login", actor: agent.masked)), say(.agentLoggedIn)]
        case .wrong(let left):
            return [.audit(AuditNote(action: "agent_login_failed", actor: agent.masked, detail: "\(left) tries left"))]
                + notify(&state, SessionText(.pinWrong, ["tries": .number(left)]))
        case .locked(let until):
            return [.audit(AuditNote(action: "agent_locked", actor: agent.masked))]
                + notify(&state, SessionText(.pinLocked, ["minutes": .number(max(1, Int(((until - state.now) / 60).rounded(.up))))]))
        }
    }
}
