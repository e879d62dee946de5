import KioskCore
import TestSupport
import Testing

@Suite("Receipt layout")
struct ReceiptLayoutTests {
    @Test("a 15,000-character postal address prints as a few lines ending in …, not hundreds; every other field likewise")
    func longFieldsBounded() {
        var receipt = sampleReceipt()
        receipt.postalAddress = String(repeating: "安徽省合肥市蜀山区某某路", count: 1_250)
        receipt.serviceName = String(repeating: "事项", count: 5_000)
        receipt.materials = [.init(name: String(repeating: "材料", count: 5_000), how: "扫描 1 页")]
        let document = ReceiptLayout.document(receipt, columns: ReceiptLayout.columns58mm)
        #expect(document.lines.count < 60, "\(document.lines.count) lines")
        let text = document.lines.compactMap { if case .text(let line, _) = $0 { line } else { nil } }.joined()
        #expect(text.contains("…") && text.contains("邮寄地址：安徽省"))
        #expect(ReceiptLayout.document(sampleReceipt(), columns: ReceiptLayout.columns58mm).lines.count < 45, "an ordinary receipt is not cut")
    }

    @Test("Chinese characters take two columns, Latin one")
    func widths() {
        #expect(DisplayWidth.of("受理回执") == 8)
        #expect(DisplayWidth.of("ab") == 2)
        #expect(DisplayWidth.of("a受1") == 4)
        #expect(DisplayWidth.of("䶮") == 2)
        #expect(DisplayWidth.of("（") == 2)
    }

    @Test("Chinese breaks between any characters, Latin at spaces, long URLs anywhere")
    func wrapping() {
        #expect(LineBreaker.wrap("一二三四五六七八九", width: 8) == ["一二三四", "五六七八", "九"])
        #expect(LineBreaker.wrap("hello world foo", width: 11) == ["hello world", "foo"])
        #expect(LineBreaker.wrap("申请 hello world", width: 12) == ["申请 hello", "world"])
        #expect(LineBreaker.wrap("https://example.org/track/12345", width: 16) == ["https://example.", "org/track/12345"])
        #expect(LineBreaker.wrap("", width: 10) == [""])
        #expect(LineBreaker.wrap("一\n二", width: 10) == ["一", "二"])
    }

    @Test("closing punctuation never starts a line")
    func kinsoku() {
        #expect(LineBreaker.wrap("一二三，四", width: 6) == ["一二", "三，四"])
        #expect(LineBreaker.wrap("你好。再见", width: 4) == ["你", "好。", "再见"])
        for width in 4...12 {
            for line in LineBreaker.wrap("请携带身份证，户口簿。到本站（示例村）领取！", width: width).dropFirst() {
                #expect(!["，", "。", "）", "！"].contains(line.first), "width \(width): \(line)")
            }
        }
    }

    @Test("every line fits the paper, at 58 mm and at 80 mm", arguments: [ReceiptLayout.columns58mm, ReceiptLayout.columns80mm])
    func fits(_ columns: Int) {
        let document = ReceiptLayout.document(sampleReceipt(reprint: true), columns: columns)
        for line in document.lines {
            guard case .text(let text, let style) = line else { continue }
            let limit = style.large ? columns / 2 : columns
            #expect(DisplayWidth.of(text) <= limit, "\(text) is \(DisplayWidth.of(text)) columns, more than \(limit)")
        }
    }

    @Test("the receipt carries every field, the QR code of the tracking URL, and a cut")
    func content() {
        let receipt = sampleReceipt()
        let document = ReceiptLayout.document(receipt, columns: 48)
        let text = document.text
        for fragment in ["申请回执", "已保存在本站，联网后自动报送平台", "示例镇幸福村为民服务全程代理站", "340104-20261126-0007-K", "城乡居民基本养老保险参保登记", "王*国", "李*",
                         "2026年11月26日 10:32", "户口簿首页及本人页（扫描 2 页）", "承诺办结日期：2026年12月8日", "到本站领取", "0551-12345"] {
            #expect(text.contains(fragment), "missing \(fragment)")
        }
        #expect(document.lines.contains(.qrCode(receipt.trackingURL)))
        #expect(document.lines.last == .cut)
        #expect(!text.contains("重印"))
        #expect(!text.contains("受理回执"), "not 受理 before the platform has the case")
        var accepted = receipt
        accepted.caseNumber = "AH3401042026112600007"
        let acceptedText = ReceiptLayout.document(accepted, columns: 48).text
        #expect(acceptedText.contains("受理回执") && acceptedText.contains("平台受理号：AH3401042026112600007") && !acceptedText.contains("报送平台"))
    }

    @Test("a reprint says so at the top")
    func reprint() {
        let document = ReceiptLayout.document(sampleReceipt().reprinted, columns: 32)
        #expect(document.lines.first == .text("【重印 REPRINT】", TextStyle(.center, bold: true)))
    }

    @Test("a promise that cannot be computed says why instead of a date")
    func unknownPromise() {
        var receipt = sampleReceipt()
        receipt.promise = .unknown("2027年节假日安排尚未公布，办结日期将短信告知")
        #expect(ReceiptLayout.document(receipt, columns: 48).text.contains("2027年节假日安排尚未公布"))
    }
}
