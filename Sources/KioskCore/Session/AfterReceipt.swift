/// After the receipt: another copy of it (重印), the application form an
/// agent prints for signature, the rating (好差评), and another matter.
extension SessionReducer {
    /// These touches; nil for a touch that is not one of them.
    func afterReceiptTouch(_ state: inout SessionState, _ touch: Touch) -> [SessionEffect]? {
        switch (touch, state.screen) {
        case (.printAgain, .receipt):
            // The copy kept with the application, marked 重印, whatever became of the first print.
            guard let number = state.visit?.lastTrackingNumber else { return [] }
            return [.reprintReceipt(trackingNumber: number), .audit(AuditNote(action: "reprint", trackingNumber: number, actor: actor(state), detail: "receipt reprinted (重印) on the receipt screen")),
                    say(.reprinting)]
        case (.printApplicationForm, .receipt):
            guard state.agent != nil, let visit = state.visit, let number = visit.lastTrackingNumber,
                  let form = ApplicationForm.forSignature(visit, form: formValues(state), number: number, agent: state.agent, settings: settings) else { return [] }
            return [.printForm(form), .audit(AuditNote(action: "form_printed", trackingNumber: number, actor: actor(state), detail: "A4 application form for signature")),
                    say(.printingForm)]
        case (.next, .receipt):
            guard let number = state.visit?.lastTrackingNumber, state.visit?.rated.contains(number) == false else {
                state.screen = .done
                return []
            }
            state.visit?.ratingDraft = nil
            state.screen = .rating
            return [say(.ratingPrompt)]
        case (.rate(let level, let reasons, let comment), .rating):
            guard let number = state.visit?.lastTrackingNumber, state.visit?.rated.contains(number) == false else { return [] }
            let chosen = level.reasons.filter(reasons.contains)
            let draft = state.visit?.ratingDraft
            // A level tapped opens its reasons and the comment; the two lowest must say why (the platform's rule). Asked, never assumed.
            if chosen.isEmpty, draft?.level != level || level.needsReason {
                state.visit?.ratingDraft = RatingDraft(level: level, reasons: draft?.level == level ? draft?.reasons ?? [] : [])
                return tell(&state, draft?.level == level ? SessionText(.ratingReasonNeeded)
                    : SessionText(level.needsReason ? .ratingReasonsPrompt : .ratingPraisePrompt, ["level": .text(SessionText(level.phrase))]))
            }
            let words = comment.map { String($0.trimmingSpaces.prefix(Rating.commentLimit)) }.flatMap { $0.isEmpty ? nil : $0 }
            state.visit?.rated.insert(number)
            state.visit?.ratingDraft = nil
            state.screen = .done
            return [.submitRating(Rating(trackingNumber: number, level: level, reasons: chosen, comment: words, at: state.now)),
                    .audit(AuditNote(action: "rated", trackingNumber: number, actor: actor(state), detail: "\(level.rawValue) \(level.chinese)")),
                    say(.ratingThanks)]
        case (.toggleRatingReason(let reason), .rating):
            guard var draft = state.visit?.ratingDraft, draft.level.reasons.contains(reason) else { return [] }
            if let index = draft.reasons.firstIndex(of: reason) { draft.reasons.remove(at: index) } else { draft.reasons.append(reason) }
            state.visit?.ratingDraft = draft
            return []
        case (.skipRating, .rating):
            state.visit?.ratingDraft = nil
            state.screen = .done
            return []
        case (.next, .done):
            // Another matter in the same visit: what was typed is offered again (一表申请).
            state.visit?.choice = nil
            state.visit?.materials = [:]
            state.visit?.receipt = nil
            state.screen = .home
            return []
        default:
            return nil
        }
    }
}

extension Satisfaction {
    /// How the level is said: 非常满意 … 非常不满意.
    public var phrase: Phrase {
        switch self {
        case .verySatisfied: .levelVerySatisfied
        case .satisfied: .levelSatisfied
        case .basicallySatisfied: .levelBasicallySatisfied
        case .dissatisfied: .levelDissatisfied
        case .veryDissatisfied: .levelVeryDissatisfied
        }
    }
}
