/// 我的办件 and the 12345 channel (咨询, 投诉, 建议, 求助), offered from the
/// menu screens and after a matter is done.
extension SessionReducer {
    /// These touches; nil for a touch that is not one of them.
    func casesAndConsultationTouch(_ state: inout SessionState, _ touch: Touch) -> [SessionEffect]? {
        let offered = isMenuScreen(state.screen) || state.screen == .done
        switch (touch, state.screen) {
        case (.myCases, _) where offered:
            guard let resident = state.visit?.resident else { return [] }
            let request = newRequest(&state, .myCases)
            return [.lookupCases(request: request, idNumber: resident.number)]
        case (.startConsultation(let kind), _) where offered, (.startConsultation(let kind), .consultation):
            state.screen = .consultation(kind)
            return [say(.consultationPrompt, ["kind": .text(SessionText(kind.phrase))])]
        case (.sendConsultation(let text, let phone), .consultation(let kind)):
            let body = text.trimmingSpaces
            guard !body.isEmpty, body.count <= 500 else { return tell(&state, SessionText(body.isEmpty ? .consultationEmpty : .consultationTooLong)) }
            if let phone, let problem = FormField(id: "phone", label: "联系电话", kind: .phone, required: false).problem(with: phone) {
                return tell(&state, SessionText(.fieldProblem, ["label": .text(SessionText(.phoneLabel)), "problem": .text(problem)]))
            }
            let request = newRequest(&state, .interaction)
            let interaction = Interaction(kind: kind, text: body, serviceCode: state.visit?.choice?.code, personName: state.visit?.resident?.name,
                                          personIDNumber: state.visit?.resident?.number, phone: phone, at: state.now)
            return [.submitInteraction(request: request, interaction)]
        default:
            return nil
        }
    }

    /// The resident's or the station's cases were found.
    func casesFound(_ state: inout SessionState, _ cases: [CaseSummary], for kind: PendingRequest.Kind) -> [SessionEffect] {
        if kind == .stationCases {
            guard state.agent != nil else { return [] }
            state.screen = .stationCases(cases)
        } else {
            state.screen = .myCases(cases)
        }
        guard !cases.isEmpty else { return [say(.casesNone)] }
        // Each case read out as the screen shows it: its service, where it stands, and what the platform said (退回's reason,
        // what to supply, where to collect, the EMS number, a fee), the newest first, at most five (the rest are on the screen).
        let spoken = cases.prefix(5).map { found in
            var values: [String: SessionText.Value] = ["service": .verbatim(found.serviceName), "status": .text(found.status)]
            values["detail"] = found.detail.map(SessionText.Value.text)
            return SessionText(found.detail == nil ? .caseSpoken : .caseSpokenWithDetail, values)
        }
        return [say(.casesFound, ["count": .number(cases.count), "cases": .sentences(spoken)])]
    }
}

extension Interaction.Kind {
    /// How the kind is said: 咨询, 投诉, 建议, 求助.
    public var phrase: Phrase {
        switch self {
        case .consultation: .kindConsultation
        case .complaint: .kindComplaint
        case .suggestion: .kindSuggestion
        case .help: .kindHelp
        }
    }
}
