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
        case .sentences(let texts): texts.map(render).joined(separator: templates[.sentenceSeparator]!)
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
