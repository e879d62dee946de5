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
}
