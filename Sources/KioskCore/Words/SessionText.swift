/// A sentence the session shows and speaks: which one (``Phrase``) and the
/// values its template names. The reducer decides what to say; the
/// phrasebook of the screen's language (ui/strings/zh.json, en.json) says
/// it in words, so no sentence a resident reads is written in code.
///
///     SessionText(.greeting, ["name": .verbatim("张*三")])
///     // zh: 张*三，您好。请选择要办理的事项…   en: Hello, 张*三. Choose a service…
public struct SessionText: Sendable, Hashable {
    public var phrase: Phrase
    public var values: [String: Value]

    public init(_ phrase: Phrase, _ values: [String: Value] = [:]) {
        self.phrase = phrase
        self.values = values
    }

    /// A value a template puts in place of `{name}`.
    public indirect enum Value: Sendable, Hashable {
        /// Shown as it is: a name from the catalogue, a tracking number, a masked name, what was typed.
        case verbatim(String)
        case number(Int)
        /// Written the language's way (2026年12月8日, 8 December 2026).
        case date(CalendarDate)
        /// Names joined the language's way (、 or ", ").
        case list([String])
        /// Clauses joined the language's way (； or "; "): a service's conditions.
        case clauses([String])
        /// Another sentence, in the same language.
        case text(SessionText)
        /// Several sentences, joined as clauses.
        case texts([SessionText])
        /// Whole sentences one after another, each ending as its template does.
        case sentences([SessionText])
    }
}

extension SessionText {
    /// Words from elsewhere, shown as they came.
    public static func asGiven(_ text: String) -> SessionText { SessionText(.asGiven, ["text": .verbatim(text)]) }

    /// A case status as the platform's events set it (受理, 办理中, 办结, 退回, 不予受理, 待领取, 已寄出;
    /// docs/platform-api.yaml); one it does not define is shown as it came.
    public static func platformStatus(_ status: String) -> SessionText {
        switch status {
        case "受理": SessionText(.caseAccepted)
        case "办理中": SessionText(.caseInProgress)
        case "办结": SessionText(.caseDone)
        case "退回": SessionText(.caseReturned)
        case "待领取": SessionText(.caseReadyForPickup)
        case "不予受理": SessionText(.caseNotAccepted)
        case "已寄出": SessionText(.casePosted)
        default: .asGiven(status)
        }
    }
}
