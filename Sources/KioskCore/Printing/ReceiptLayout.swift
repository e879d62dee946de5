/// Lays a ``Receipt`` out as a ``PrintDocument`` for a paper width in
/// columns: 32 on 58 mm paper, 48 on 80 mm, wider on A4.
public enum ReceiptLayout {
    /// Columns on 58 mm thermal paper (384 dots, 12-dot characters).
    public static let columns58mm = 32
    /// Columns on 80 mm thermal paper (576 dots).
    public static let columns80mm = 48

    /// The most of one field a receipt prints, in display columns (a long Chinese address is under 100):
    /// a field from outside that is longer is cut with …, so no receipt runs to hundreds of lines.
    public static let fieldColumns = 240

    /// `text` cut to ``fieldColumns`` display columns, ending with … when it was longer.
    static func bounded(_ text: String) -> String {
        guard DisplayWidth.of(text) > fieldColumns else { return text }
        var kept = "", width = 0
        for character in text {
            let next = DisplayWidth.of(String(character))
            guard width + next <= fieldColumns - 1 else { break }
            kept.append(character)
            width += next
        }
        return kept + "…"
    }

    /// The receipt as lines of at most `columns` columns.
    public static func document(_ receipt: Receipt, columns: Int) -> PrintDocument {
        var lines: [PrintLine] = []
        func add(_ text: String, _ style: TextStyle = .plain) {
            let width = style.large ? columns / 2 : columns
            lines += LineBreaker.wrap(text, width: width).map { .text($0, style) }
        }
        /// "label：value", continuation lines indented under the value where there is room.
        func field(_ label: String, _ whole: String) {
            let value = bounded(whole)
            let head = label + "："
            let indent = DisplayWidth.of(head)
            if indent <= columns / 3 {
                let wrapped = LineBreaker.wrap(value, width: columns - indent)
                lines.append(.text(head + (wrapped.first ?? ""), .plain))
                lines += wrapped.dropFirst().map { .text(String(repeating: " ", count: indent) + $0, .plain) }
            } else {
                add(head + value)
            }
        }

        if receipt.isReprint { add("【重印 REPRINT】", TextStyle(.center, bold: true)) }
        // 受理 only once the platform has the case: before that it is saved here and will be sent.
        add(receipt.caseNumber == nil ? "申请回执" : "受理回执", TextStyle(.center, bold: true, large: true))
        add(bounded(receipt.stationName), TextStyle(.center))
        lines.append(.rule)
        field("办件编号", receipt.trackingNumber)
        if let caseNumber = receipt.caseNumber {
            field("平台受理号", bounded(caseNumber))
        } else {
            add("状态：已保存在本站，联网后自动报送平台，无需再跑；平台受理后可扫码或在“我的办件”查询", TextStyle(bold: true))
        }
        field("办理事项", receipt.serviceName)
        field("申请人", receipt.applicant)
        if let agent = receipt.agent { field("代办人", agent) }
        field("申请时间", receipt.submittedAt)
        lines.append(.rule)
        add("已收材料：")
        if receipt.materials.isEmpty { add("  无需提交材料") }
        for (index, material) in receipt.materials.enumerated() {
            let number = "\(index + 1). "
            let wrapped = LineBreaker.wrap(bounded("\(material.name)（\(material.how)）"), width: columns - 2 - number.count)
            lines.append(.text("  " + number + (wrapped.first ?? ""), .plain))
            lines += wrapped.dropFirst().map { .text(String(repeating: " ", count: 2 + number.count) + $0, .plain) }
        }
        lines.append(.rule)
        switch receipt.promise {
        case .by(let date): add("承诺办结日期：\(date.chinese)", TextStyle(bold: true))
        case .immediately: add(receipt.caseNumber == nil ? "即办件：平台受理后即时办理" : "即办件：平台已受理，即时办理", TextStyle(bold: true))
        case .unknown(let reason): add("承诺办结日期：\(reason)", TextStyle(bold: true))
        }
        field("结果领取", receipt.delivery)
        if let address = receipt.postalAddress { field("邮寄地址", address) }
        lines.append(.rule)
        lines.append(.qrCode(receipt.trackingURL))
        add("扫码查询办理进度", TextStyle(.center))
        add(receipt.trackingURL, TextStyle(.center))
        add(receipt.enquiries, TextStyle(.center))
        add("最多跑一次 · 请妥善保管本回执", TextStyle(.center))
        lines.append(.feed(3))
        lines.append(.cut)
        return PrintDocument(columns: columns, lines: lines)
    }
}
