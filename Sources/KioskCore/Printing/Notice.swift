/// A printed notice other than a receipt: the 一次性告知单 a resident takes
/// home when a case is not complete yet, or an item's 办事指南. Titled
/// sections of lines, a QR code and a footer; it prints on a receipt printer
/// and on A4 like a ``Receipt``.
public struct Notice: Sendable, Hashable {
    /// A heading and its lines.
    public struct Section: Sendable, Hashable {
        public var heading: String
        public var lines: [String]

        public init(_ heading: String, _ lines: [String]) {
            self.heading = heading
            self.lines = lines
        }
    }

    /// 一次性告知单, 办事指南.
    public var title: String
    public var stationName: String
    /// The item or bundle it is about.
    public var serviceName: String
    public var sections: [Section]
    /// What the QR code holds (the item's guide on the platform), if any.
    public var qrCode: String?
    /// The line under the QR code.
    public var qrCaption: String?
    /// The last lines: where to ask, the date printed.
    public var footer: [String]

    public init(title: String, stationName: String, serviceName: String, sections: [Section], qrCode: String? = nil, qrCaption: String? = nil, footer: [String] = []) {
        self.title = title
        self.stationName = stationName
        self.serviceName = serviceName
        self.sections = sections
        self.qrCode = qrCode
        self.qrCaption = qrCaption
        self.footer = footer
    }

    /// The notice laid out in `columns` columns (``ReceiptLayout/columns80mm`` on a receipt, 80 on A4).
    public func document(columns: Int) -> PrintDocument {
        var lines: [PrintLine] = []
        func add(_ text: String, _ style: TextStyle = .plain, indent: Int = 0) {
            let width = (style.large ? columns / 2 : columns) - indent
            lines += LineBreaker.wrap(text, width: width).map { .text(String(repeating: " ", count: indent) + $0, style) }
        }
        add(title, TextStyle(.center, bold: true, large: true))
        add(stationName, TextStyle(.center))
        lines.append(.rule)
        add(serviceName, TextStyle(bold: true))
        for section in sections {
            lines.append(.feed(1))
            add(section.heading + "：", TextStyle(bold: true))
            for line in section.lines { add(line, indent: 2) }
        }
        lines.append(.rule)
        if let qrCode {
            lines.append(.qrCode(qrCode))
            if let qrCaption { add(qrCaption, TextStyle(.center)) }
            add(qrCode, TextStyle(.center))
        }
        for line in footer { add(line, TextStyle(.center)) }
        lines.append(.feed(3))
        lines.append(.cut)
        return PrintDocument(columns: columns, lines: lines)
    }
}
