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
    }
}

extension SessionText {
    /// Words from elsewhere, shown as they came.
    public static func asGiven(_ text: String) -> SessionText { SessionText(.asGiven, ["text": .verbatim(text)]) }

    /// A case status as the platform sends it (受理, 办理中, 办结, 退回, 待领取;
    /// docs/platform-api.yaml); one it does not define is shown as it came.
    public static func platformStatus(_ status: String) -> SessionText {
        switch status {
        case "受理": SessionText(.caseAccepted)
        case "办理中": SessionText(.caseInProgress)
        case "办结": SessionText(.caseDone)
        case "退回": SessionText(.caseReturned)
        case "待领取": SessionText(.caseReadyForPickup)
        default: .asGiven(status)
        }
    }
}

/// The words of one language: every ``Phrase``'s template, from a strings
/// file whose keys are `say.` and the phrase's name.
public struct Phrasebook: Sendable {
    public let language: String
    private let templates: [Phrase: String]
    private let months: [String]

    /// Reads a strings file (a JSON object of strings; `file` names it in
    /// errors). Phrases it does not have are taken from `fallback` (the
    /// Chinese book) and named in ``missing`` so kioskd can warn; without a
    /// fallback a missing phrase is an error.
    public init(language: String, file: String, json bytes: [UInt8], fallback: Phrasebook? = nil) throws(DataFileError) {
        let node: JSONNode
        do { node = try JSONNode.parse(bytes) } catch { throw DataFileError(file: file, line: error.line, item: nil, field: "", message: error.message) }
        guard case .object(let members) = node.value else {
            throw DataFileError(file: file, line: node.line, item: nil, field: "", message: "must be an object of strings, not \(node.kind)")
        }
        let names = Set(Phrase.allCases.map { "say." + $0.rawValue })
        var templates: [Phrase: String] = [:]
        for member in members where member.key.hasPrefix("say.") {
            guard let phrase = Phrase(rawValue: String(member.key.dropFirst(4))) else {
                let hint = nearest(member.key, among: names).map { " (did you mean \"\($0)\"?)" } ?? ""
                throw DataFileError(file: file, line: member.value.line, item: nil, field: member.key, message: "is not a phrase kioskd says\(hint)")
            }
            guard case .string(let text) = member.value.value else {
                throw DataFileError(file: file, line: member.value.line, item: nil, field: member.key, message: "must be a string, not \(member.value.kind)")
            }
            templates[phrase] = text
        }
        var missing: [Phrase] = []
        for phrase in Phrase.allCases where templates[phrase] == nil {
            guard let fallback else {
                throw DataFileError(file: file, line: node.line, item: nil, field: "say." + phrase.rawValue, message: "is missing: every phrase needs its words")
            }
            templates[phrase] = fallback.templates[phrase]
            missing.append(phrase)
        }
        months = templates[.monthNames]!.split(separator: " ").map(String.init)
        guard months.count == 12 else {
            throw DataFileError(file: file, line: node.line, item: nil, field: "say.monthNames", message: "must name the 12 months, separated by spaces")
        }
        self.language = language
        self.templates = templates
        self.missing = missing
        // The date is written each language's own way; every other phrase names the same values in both.
        mismatched = fallback.map { fallback in
            Phrase.allCases.filter { $0 != .date && Self.valueNames(templates[$0]!) != Self.valueNames(fallback.templates[$0]!) }
        } ?? []
    }

    /// Phrases this language's file lacks, said in the fallback's words.
    public let missing: [Phrase]
    /// Phrases whose words name other values than the fallback's (a misspelt `{name}` shows as written).
    public let mismatched: [Phrase]

    /// The `{name}`s a template uses.
    static func valueNames(_ template: String) -> Set<String> {
        var names: Set<String> = []
        _ = fill(template) { names.insert($0); return nil }
        return names
    }

    /// The sentence in words.
    public func render(_ text: SessionText) -> String {
        Self.fill(templates[text.phrase] ?? text.phrase.rawValue) { name in text.values[name].map(render) }
    }

    /// One value in words.
    public func render(_ value: SessionText.Value) -> String {
        switch value {
        case .verbatim(let text): text
        case .number(let number): String(number)
        case .date(let date): render(date)
        case .list(let names): names.joined(separator: templates[.listSeparator]!)
        case .clauses(let clauses): clauses.joined(separator: templates[.clauseSeparator]!)
        case .text(let text): render(text)
        case .texts(let texts): texts.map(render).joined(separator: templates[.clauseSeparator]!)
        }
    }

    /// A date the language's way.
    public func render(_ date: CalendarDate) -> String {
        let month = months.indices.contains(date.month - 1) ? months[date.month - 1] : String(date.month)
        return Self.fill(templates[.date]!) { name in
            switch name {
            case "year": String(date.year)
            case "month": String(date.month)
            case "month_name": month
            case "day": String(date.day)
            default: nil
            }
        }
    }

    /// Replaces each `{name}`; a name without a value is left as written, so a slip shows rather than vanishes.
    private static func fill(_ template: String, _ value: (String) -> String?) -> String {
        var result = ""
        var rest = template[...]
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            result += rest[..<open]
            let name = String(rest[rest.index(after: open)..<close])
            result += value(name) ?? "{\(name)}"
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }
}

/// Every sentence the session says. A phrase's words live in the strings
/// files under `say.` and its name; the comment is the Chinese, for reading
/// the code. Values a template uses are in braces.
public enum Phrase: String, Sendable, CaseIterable, Hashable {
    // How the language writes dates and joins lists.
    /// {year}年{month}月{day}日 (also {month_name}).
    case date
    /// The month names, separated by spaces.
    case monthNames
    /// 、
    case listSeparator
    /// ；
    case clauseSeparator
    /// 无 (a list with nothing in it).
    case nothing
    /// {text}: words from elsewhere (the platform's reason for a 退回), shown as they came.
    case asGiven

    // Every screen's prompt when nothing more particular was said on it.
    case promptAttract, promptHome, promptBrowse, promptGuide, promptForm, promptMaterials, promptScanning, promptIncomplete,
         promptReserved, promptReview, promptReceipt, promptRating, promptDone, promptMyCases, promptConsultation,
         promptConsultationSent, promptPaused, promptAgentPIN, promptAgentConsole, promptStationCases, promptProxyConsent, promptEnterprise

    // Cards and the start of a visit.
    /// {name}，您好。请选择要办理的事项…
    case greeting
    case welcomeBack, kioskInUse, cardTakenPaused
    case cardRefusedExpired, cardRefusedDamaged, cardUnreadable
    case elderlyOn, elderlyOff
    /// 您还在办理吗？{seconds}秒后…
    case idleWarning

    // Agents.
    /// 代办员{agent}，请输入密码。
    case agentPINPrompt
    case agentLoggedIn
    /// 密码错误，还可尝试{tries}次。
    case pinWrong
    /// 已锁定{minutes}分钟。
    case pinLocked
    case agentBusy, agentServePrompt, proxyEnded, consentRecorded
    /// {resident}，代办员{agent}将为您代办…
    case proxyConsentPrompt
    case enterprisePrompt, enterpriseNameMissing
    /// 统一社会信用代码有误：{reason}
    case creditCodeWrong
    case creditCodeLength, creditCodeCharacter, creditCodeCheck

    // Choosing a service.
    case chooseLifeEvent, chooseDepartment
    /// 没有找到与“{query}”有关的事项…
    case searchNothing
    /// “{service}”只能由个人申请。
    case onlyPerson
    case onlyOrganisation, noProxy
    /// {service}。办理条件：{conditions}。需要的材料：{materials}。{promise}。…
    case guide
    /// 当场办结
    case promiseSameDay
    /// 承诺{days}个工作日内办结
    case promiseWithin
    /// 承诺办结日期{date}
    case promiseBy
    /// 承诺{days}个工作日内办结（{year}年节假日安排尚未公布…）
    case promiseUnpublished

    // The form.
    case formPrompt
    /// {label}：{problem}
    case fieldProblem
    case fieldRequired, fieldAddress, fieldInteger, fieldPhone, fieldDate, fieldChoice
    /// 最多{max}个字
    case fieldTooLong
    /// 不能小于{min} / 不能大于{max}
    case fieldAtLeast, fieldAtMost
    case fieldIDLength, fieldIDDate, fieldIDCheck, fieldIDCharacters, fieldBankDigits, fieldBankCheck
    case phoneLabel

    // Materials.
    /// 请提供以下材料：{materials}。
    case materialsPrompt, materialsPromptECertificates, materialsPromptOffline
    /// 请将{material}正面朝下放入扫描区。(…共约{pages}页)
    case scanPrompt, scanPromptPages
    /// {material}已扫描{pages}页。(…其中{blank}页空白已略去)
    case scanned, scannedSkippingBlank
    case scanBlank
    case noScanner, scannerJammed, scannerEmpty, scannerCoverOpen, scannerBusy, scannerWarmingUp, scannerFault
    case eCertificatesOffline, eCertificatesNone, eCertificatesUnavailable, eCertificatesFailed
    /// 已调取电子证照：{materials}…
    case eCertificatesFound
    /// {material}将由平台通过数据共享调取…
    case leftToPlatform
    /// 缺少材料：{material}
    case missingMaterial
    case missingPostalAddress
    /// 还不能提交，否则申请会被退回。{missing}。…
    case incomplete
    /// {missing}。
    case missingSummary
    /// 已为您预约{date}。请带齐：{missing}。
    case reserved
    case reservationUnavailable, reservationFailed

    // Submitting and the receipt.
    /// 材料齐全。{promise}。请核对…
    case reviewPrompt
    case saving
    /// 申请没有保存成功（{reason}）…
    case notSaved
    case diskFull, kioskFault
    /// 申请已提交。事项：{service}。办件编号{number}。已收材料：{materials}。{promise}。结果{delivery}。咨询电话{phone}。…
    case receiptSpoken
    case deliveryStationPickup, deliveryPost, deliveryElectronic
    /// 回执没有打印出来（{reason}）。您的申请已保存，办件编号{number}…
    case receiptNotPrinted
    /// 补打没有成功：{reason}
    case reprintFailed
    case noReceiptPrinter, receiptPrinterPaperOut, receiptPrinterCoverOpen, receiptPrinterFault
    /// 没有找到{number}的回执
    case receiptNotFound

    // Rating, cases, 12345.
    case ratingPrompt, ratingReasonNeeded, ratingThanks
    /// A case's status: the station's own (待上报, 待工作人员处理 and why), then the platform's (受理 … 待领取).
    case caseQueued, caseQueuedDetail, caseDeadLetter, caseDeadLetterDetail
    case caseAccepted, caseInProgress, caseDone, caseReturned, caseReadyForPickup
    case casesNone
    /// 查到{count}件办件。
    case casesFound
    case lookupFailed
    /// 请说明您要{kind}的内容…
    case consultationPrompt
    case kindConsultation, kindComplaint, kindSuggestion, kindHelp
    case consultationEmpty, consultationTooLong, consultationUnavailable, consultationFailed
    /// 已提交，受理编号{reference}。…
    case consultationSent
}
