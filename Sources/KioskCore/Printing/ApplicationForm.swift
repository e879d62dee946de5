/// A form an agent prints on A4 for the resident to sign (申请表): the
/// application's fields, a declaration, and signature lines.
public struct ApplicationForm: Sendable, Hashable {
    /// The form's title, e.g. 城乡居民基本养老保险参保登记表.
    public var title: String
    /// The station's tracking number.
    public var trackingNumber: String
    /// The station.
    public var stationName: String
    /// Label and value of each field, in order.
    public var fields: [Field]
    /// The declaration the resident signs under (承诺).
    public var declaration: String
    /// Who signs: 申请人（签字）, 代办人（签字）.
    public var signatures: [String]

    /// A labelled value.
    public struct Field: Sendable, Hashable {
        /// The label.
        public var label: String
        /// The value.
        public var value: String

        /// Creates a field.
        public init(_ label: String, _ value: String) {
            self.label = label
            self.value = value
        }
    }

    /// Creates a form.
    public init(title: String, trackingNumber: String, stationName: String, fields: [Field], declaration: String, signatures: [String]) {
        self.title = title
        self.trackingNumber = trackingNumber
        self.stationName = stationName
        self.fields = fields
        self.declaration = declaration
        self.signatures = signatures
    }

    /// The form laid out in `columns` columns (80 suit A4 portrait).
    public func document(columns: Int = 80) -> PrintDocument {
        var lines: [PrintLine] = []
        func add(_ text: String, _ style: TextStyle = .plain) {
            lines += LineBreaker.wrap(text, width: style.large ? columns / 2 : columns).map { .text($0, style) }
        }
        add(title, TextStyle(.center, bold: true, large: true))
        add(stationName, TextStyle(.center))
        add("办件编号：\(trackingNumber)", TextStyle(.right))
        lines.append(.rule)
        let labelWidth = min(columns / 3, (fields.map { DisplayWidth.of($0.label) }.max() ?? 0) + 2)
        for field in fields {
            let label = field.label + String(repeating: "　", count: max(0, (labelWidth - 2 - DisplayWidth.of(field.label)) / 2)) + "："
            let padded = label + String(repeating: " ", count: max(0, labelWidth - DisplayWidth.of(label)))
            let wrapped = LineBreaker.wrap(field.value, width: columns - labelWidth)
            lines.append(.text(padded + (wrapped.first ?? ""), .plain))
            lines += wrapped.dropFirst().map { .text(String(repeating: " ", count: labelWidth) + $0, .plain) }
        }
        lines.append(.rule)
        add(declaration)
        lines.append(.feed(1))
        for signer in signatures {
            add("\(signer)：____________________    日期：______年____月____日")
            lines.append(.feed(1))
        }
        return PrintDocument(columns: columns, lines: lines)
    }
}
