import Foundation
import KioskCore

/// Writes a ``PrintDocument`` as a PDF for A4 printing through CUPS: ASCII
/// text in Courier (so tracking numbers, dates and addresses of web pages
/// stay searchable text), Chinese text drawn as Unifont image masks (no CJK
/// font needs to be installed on the station or the print server), rules as
/// lines, QR codes as image masks. Pages break as needed.
public struct PDFWriter: Sendable {
    /// Page size and margin in points.
    public var pageWidth = 595.28
    public var pageHeight = 841.89
    public var margin = 56.7  // 20 mm

    /// A4 portrait.
    public init() {}

    /// The PDF of `document`.
    public func render(_ document: PrintDocument, font: BitmapFont) -> [UInt8] {
        let columnWidth = min(7.2, (pageWidth - 2 * margin) / Double(document.columns))
        let fontSize = columnWidth / 0.6  // Courier advances 0.6 em
        var pages: [String] = []
        var images: [[UInt8]] = []  // each a complete image XObject body
        var content = ""
        var y = pageHeight - margin

        func newPageIfNeeded(_ height: Double) {
            if y - height < margin {
                pages.append(content)
                content = ""
                y = pageHeight - margin
            }
        }
        func image(_ bitmap: Bitmap, x: Double, y: Double, width: Double, height: Double) {
            let packed = bitmap.packedRows
            images.append(Array("<< /Type /XObject /Subtype /Image /Width \(bitmap.width) /Height \(bitmap.height) /ImageMask true /BitsPerComponent 1 /Decode [1 0] /Length \(packed.bits.count) >>\nstream\n".utf8) + packed.bits + Array("\nendstream".utf8))
            content += "q \(f(width)) 0 0 \(f(height)) \(f(x)) \(f(y)) cm /Im\(images.count) Do Q\n"
        }

        for line in document.lines {
            switch line {
            case .text(let text, let style):
                let scale = style.large ? 2.0 : 1.0
                let lineHeight = fontSize * 1.5 * scale
                newPageIfNeeded(lineHeight)
                y -= lineHeight
                let width = Double(DisplayWidth.of(text)) * columnWidth * scale
                var x = switch style.alignment {
                case .left: margin
                case .center: (pageWidth - width) / 2
                case .right: pageWidth - margin - width
                }
                for run in Self.runs(text) {
                    let runWidth = Double(DisplayWidth.of(run.text)) * columnWidth * scale
                    if run.ascii {
                        let fontName = style.bold ? "F2" : "F1"
                        content += "BT /\(fontName) \(f(fontSize * scale)) Tf \(f(x)) \(f(y)) Td (\(Self.escape(run.text))) Tj ET\n"
                    } else {
                        let cells = DisplayWidth.of(run.text)
                        let bitmap = Bitmap.line(run.text, font: font, width: cells * 8, cellHeight: 16, alignment: .left, bold: style.bold)
                        let height = 2 * columnWidth * scale
                        image(bitmap, x: x, y: y - height * 0.15, width: runWidth, height: height)
                    }
                    x += runWidth
                }
            case .rule:
                newPageIfNeeded(fontSize)
                y -= fontSize * 0.75
                content += "0.5 w \(f(margin)) \(f(y)) m \(f(pageWidth - margin)) \(f(y)) l S\n"
                y -= fontSize * 0.25
            case .qrCode(let payload):
                guard let code = QRCode(data: Array(payload.utf8), level: .medium) else { continue }
                let side = 100.0
                newPageIfNeeded(side + fontSize)
                y -= side + fontSize * 0.5
                var bitmap = Bitmap(width: code.size, height: code.size)
                for (row, modules) in code.modules.enumerated() {
                    for (column, dark) in modules.enumerated() where dark { bitmap[column, row] = true }
                }
                image(bitmap, x: (pageWidth - side) / 2, y: y, width: side, height: side)
            case .feed(let count):
                y -= Double(count) * fontSize * 1.5
            case .cut:
                break
            }
        }
        pages.append(content)
        return Self.assemble(pages: pages, images: images, width: pageWidth, height: pageHeight)
    }

    /// Splits text into runs of printable ASCII and of everything else.
    static func runs(_ text: String) -> [(text: String, ascii: Bool)] {
        var runs: [(text: String, ascii: Bool)] = []
        for character in text {
            let ascii = character.isASCII && character.asciiValue.map { $0 >= 0x20 && $0 < 0x7F } == true
            if let last = runs.last, last.ascii == ascii {
                runs[runs.count - 1].text.append(character)
            } else {
                runs.append((String(character), ascii))
            }
        }
        return runs
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "(", with: "\\(").replacingOccurrences(of: ")", with: "\\)")
    }

    private func f(_ value: Double) -> String { String(format: "%.2f", value) }

    /// Numbers the objects and writes the file with its cross-reference table.
    private static func assemble(pages: [String], images: [[UInt8]], width: Double, height: Double) -> [UInt8] {
        // 1 catalog, 2 pages, 3–4 fonts, then images, then a page and its content per page.
        let firstImage = 5
        let firstPage = firstImage + images.count
        let imageNames = (0..<images.count).map { "/Im\($0 + 1) \(firstImage + $0) 0 R" }.joined(separator: " ")
        var objects: [[UInt8]] = [
            Array("<< /Type /Catalog /Pages 2 0 R >>".utf8),
            Array("<< /Type /Pages /Kids [\((0..<pages.count).map { "\(firstPage + 2 * $0) 0 R" }.joined(separator: " "))] /Count \(pages.count) >>".utf8),
            Array("<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>".utf8),
            Array("<< /Type /Font /Subtype /Type1 /BaseFont /Courier-Bold /Encoding /WinAnsiEncoding >>".utf8),
        ]
        objects += images
        for (index, content) in pages.enumerated() {
            let contentObject = firstPage + 2 * index + 1
            objects.append(Array(String(format: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> /XObject << %@ >> >> /Contents %d 0 R >>", width, height, imageNames, contentObject).utf8))
            let stream = Array(content.utf8)
            objects.append(Array("<< /Length \(stream.count) >>\nstream\n".utf8) + stream + Array("endstream".utf8))
        }
        var output = Array("%PDF-1.4\n%\u{E2}\u{E3}\u{CF}\u{D3}\n".utf8)
        var offsets: [Int] = []
        for (index, object) in objects.enumerated() {
            offsets.append(output.count)
            output += Array("\(index + 1) 0 obj\n".utf8) + object + Array("\nendobj\n".utf8)
        }
        let xref = output.count
        output += Array("xref\n0 \(objects.count + 1)\n0000000000 65535 f \n".utf8)
        for offset in offsets { output += Array(String(format: "%010d 00000 n \n", offset).utf8) }
        output += Array("trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n".utf8)
        return output
    }
}
