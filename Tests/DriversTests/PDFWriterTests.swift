import Drivers
import Foundation
import KioskCore
import Testing

@Suite("PDF writer")
struct PDFWriterTests {
    @Test("a receipt and a form as PDF: ASCII is text pdftotext reads, the QR code decodes")
    func pdf() throws {
        let folder = temporaryDirectory()
        let font = try BitmapFont.shared()
        let receipt = sampleReceipt()
        let receiptPDF = PDFWriter().render(ReceiptLayout.document(receipt, columns: 48), font: font)
        let formPDF = PDFWriter().render(sampleForm().document(), font: font)
        for (name, pdf) in [("receipt", receiptPDF), ("form", formPDF)] {
            let path = "\(folder)/\(name).pdf"
            _ = FileManager.default.createFile(atPath: path, contents: Data(pdf))
            let text = try runTool("/usr/bin/pdftotext", ["-layout", path, "-"])
            #expect(text.status == 0)
            #expect(text.output.contains("340104-20261126-0007-K"), "\(name): \(text.output)")
            let png = try runTool("/usr/bin/pdftoppm", ["-r", "100", "-png", "-singlefile", path, "\(folder)/\(name)"])
            #expect(png.status == 0)
        }
        #expect(try decodeQR("\(folder)/receipt.png") == receipt.trackingURL)
        print("PDF pages rendered in \(folder)")
    }

    @Test("with the outline font, Chinese is text: pdftotext reads the form's title, labels, values and declaration; a character the font lacks is still drawn")
    func chineseAsText() throws {
        let folder = temporaryDirectory()
        let outlines = try TrueTypeFont.shared()
        var form = sampleForm()
        form.fields.append(.init("罕见字", "刘䶮"))
        let path = "\(folder)/form.pdf"
        let pdf = PDFWriter().render(form.document(), font: try BitmapFont.shared(), outlines: outlines)
        _ = FileManager.default.createFile(atPath: path, contents: Data(pdf))
        let text = try runTool("/usr/bin/pdftotext", [path, "-"])
        #expect(text.status == 0)
        let flat = text.output.filter { !$0.isWhitespace }
        for words in [form.title, form.stationName, form.declaration] + form.fields.prefix(3).flatMap({ [$0.label, $0.value] }) {
            #expect(flat.contains(words.filter { !$0.isWhitespace }), "\(words) in \(text.output)")
        }
        let fonts = try runTool("/usr/bin/pdffonts", [path])
        #expect(fonts.output.contains("+DroidSansFallback") && fonts.output.contains("TrueType"), "an embedded subset: \(fonts.output)")
        #expect(pdf.count < 400_000, "a subset, not the whole 4 MB font: \(pdf.count) bytes")
        let png = try runTool("/usr/bin/pdftoppm", ["-r", "100", "-png", "-singlefile", path, "\(folder)/form"])
        #expect(png.status == 0)
    }
}
