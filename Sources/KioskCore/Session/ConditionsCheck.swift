/// Eligibility before anything is typed or scanned: the conditions the
/// card answers are checked when an item is chosen, and the rest are asked
/// as yes/no confirmations after the guide. A resident who does not meet
/// one is told why and what to do instead, and nothing is submitted.
extension SessionReducer {
    /// Where each of the chosen item's conditions stands for this applicant.
    public func standings(_ state: SessionState) -> [(condition: Condition, standing: ConditionStanding)] {
        guard let visit = state.visit, let choice = visit.choice else { return [] }
        let today = ChinaTime.date(state.now)
        return choice.conditions.map { condition in
            // An enterprise has no birth date or 户籍: its agent confirms every condition.
            if let rule = condition.rule, let resident = visit.resident, visit.enterprise == nil {
                return (condition, rule.unmet(by: resident, on: today).map(ConditionStanding.unmet) ?? .checked)
            }
            return (condition, .confirmed(visit.conditionAnswers[condition.text]))
        }
    }

    /// The first condition the card says is not met, and why; nil when none.
    func cardRefusal(_ state: SessionState) -> (condition: Condition, reason: SessionText)? {
        for (condition, standing) in standings(state) {
            if case .unmet(let reason) = standing { return (condition, reason) }
        }
        return nil
    }

    /// Ends the choice on the ineligible screen: why, and what to do instead (another item, the agent, the phone); said.
    func refuse(_ state: inout SessionState, _ condition: Condition, reason: SessionText) -> [SessionEffect] {
        let instead = condition.instead.flatMap { code in catalogue.item(code)?.menuEntry }
        let text = SessionText(.ineligible, [
            "reason": .text(reason), "service": .verbatim(state.visit?.choice?.name ?? ""),
            "instead": instead.map { .text(SessionText(.ineligibleInstead, ["item": .verbatim($0.name)])) } ?? .verbatim(""),
            "phone": .verbatim(state.visit?.choice?.items.first?.consultationPhone ?? settings.stationPhone),
        ])
        state.screen = .ineligible(text, instead: instead)
        return [.speak(text)]
    }

    /// The conditions screen's touches; nil for a touch that is not one of them.
    func conditionsTouch(_ state: inout SessionState, _ touch: Touch) -> [SessionEffect]? {
        guard state.screen == .conditions else { return nil }
        switch touch {
        case .confirmCondition(let index, let met):
            let all = standings(state)
            guard all.indices.contains(index), case .confirmed = all[index].standing else { return [] }
            state.visit?.conditionAnswers[all[index].condition.text] = met
            if met { return [say(.conditionConfirmed, ["condition": .verbatim(all[index].condition.text)])] }
            return refuse(&state, all[index].condition, reason: SessionText(.conditionDenied, ["condition": .verbatim(all[index].condition.text)]))
        case .next:
            let open = standings(state).filter { $0.standing == .confirmed(nil) }.count
            guard open == 0 else { return tell(&state, SessionText(.conditionsOpen, ["count": .number(open)])) }
            state.screen = .form
            return [say(.formPrompt)]
        default:
            return nil
        }
    }

    /// Whether any condition is left for the resident to confirm (the guide leads to the conditions screen, else to the form).
    func hasConditionsToConfirm(_ state: SessionState) -> Bool {
        standings(state).contains { if case .confirmed = $0.standing { true } else { false } }
    }

    /// The conditions as the application records them: each, and how it was established.
    func conditionsRecord(_ state: SessionState) -> String {
        standings(state).map { condition, standing in
            switch standing {
            case .checked: "\(condition.text)：读卡核验符合"
            case .confirmed(true): "\(condition.text)：申请人确认符合"
            case .confirmed: "\(condition.text)：未确认"
            case .unmet: "\(condition.text)：不符合"
            }
        }.joined(separator: "\n")
    }
}
