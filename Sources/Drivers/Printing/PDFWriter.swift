import Foundation
import KioskCore

/// Writes a ``PrintDocument`` as a PDF for A4 printing through CUPS: ASCII
/// text in Courier, Chinese text in an embedded subset of a TrueType font
/// (``TrueTypeFont``, so every character is text a reader can search, copy
/// and `pdftotext` extracts, and the print server needs no CJK font), a
/// character that font lacks drawn as a Unifont image mask, rules as lines,
/// QR codes as image masks. Pages break as needed.
public struct PDFWriter: Sendable {
    /// Page size and margin in points.
    public var pageWidth = 595.28
    public var pageHeight = 841.89
    public var margin = 56.7  // 20 mm

    /// A4 portrait.
    public init() {}

    /// The PDF of `document`; without `outlines`, Chinese is drawn with `font` alone (images, not text).
    public func render(_ document: PrintDocument, font: BitmapFont, outlines: TrueTypeFont? = nil) -> [UInt8] {
        let columnWidth = min(7.2, (pageWidth - 2 * margin) / Double(document.columns))
        let fontSize = columnWidth / 0.6  // Courier advances 0.6 em
        var pages: [String] = []
        var images: [[UInt8]] = []  // each a complete image XObject body
        var embedded = EmbeddedGlyphs()
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
            images.append(asciiStream("/Type /XObject /Subtype /Image /Width \(bitmap.width) /Height \(bitmap.height) /ImageMask true /BitsPerComponent 1 /Decode [1 0]", packed.bits))
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
                for run in Self.runs(text, outlines: outlines) {
                    let runWidth = Double(DisplayWidth.of(run.text)) * columnWidth * scale
                    if run.ascii {
                        let fontName = style.bold ? "F2" : "F1"
                        content += "BT /\(fontName) \(f(fontSize * scale)) Tf \(f(x)) \(f(y)) Td (\(Self.escape(run.text))) Tj ET\n"
                    } else if let outlines, run.outlined {
                        // One em is two columns; each character is moved onto its own cells, whatever its advance.
                        let size = 2 * columnWidth * scale
                        var shown = "", current: Int?
                        for scalar in run.text.unicodeScalars {
                            guard let glyph = outlines.glyph(for: scalar) else { continue }
                            let advance = outlines.advance(glyph) * 1000 / outlines.unitsPerEm
                            let (font, code) = embedded.slot(scalar, glyph: glyph, advance: advance)
                            if font != current {
                                if current != nil { shown += "] TJ " }
                                shown += "/F\(3 + font) \(f(size)) Tf ["
                                current = font
                            }
                            let cell = Double(DisplayWidth.of(String(scalar))) * columnWidth * scale / size * 1000
                            shown += "<\(hex(code, digits: 2))> \(f(Double(advance) - cell)) "
                        }
                        // No fake bold (stroked text): a PostScript print path turns stroked text into outlines, and it is no longer text.
                        content += "BT \(f(x)) \(f(y)) Td \(shown)] TJ ET\n"
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
        let fonts = outlines.flatMap { embedded.isEmpty ? nil : embedded.objects(for: $0) } ?? []
        return Self.assemble(pages: pages, fonts: fonts, fontCount: embedded.fontCount, images: images, width: pageWidth, height: pageHeight)
    }

    /// Splits text into runs of printable ASCII, of characters the outline font has, and of everything else.
    static func runs(_ text: String, outlines: TrueTypeFont? = nil) -> [(text: String, ascii: Bool, outlined: Bool)] {
        var runs: [(text: String, ascii: Bool, outlined: Bool)] = []
        for character in text {
            let ascii = character.isASCII && character.asciiValue.map { $0 >= 0x20 && $0 < 0x7F } == true
            let outlined = !ascii && character.unicodeScalars.count == 1 && character.unicodeScalars.first.flatMap { outlines?.glyph(for: $0) } != nil
            if let last = runs.last, last.ascii == ascii, last.outlined == outlined {
                runs[runs.count - 1].text.append(character)
            } else {
                runs.append((String(character), ascii, outlined))
            }
        }
        return runs
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "(", with: "\\(").replacingOccurrences(of: ")", with: "\\)")
    }

    private func f(_ value: Double) -> String { String(format: "%.2f", value) }

    /// Numbers the objects and writes the file with its cross-reference table.
    private static func assemble(pages: [String], fonts: [[UInt8]], fontCount: Int, images: [[UInt8]], width: Double, height: Double) -> [UInt8] {
        // 1 catalog, 2 pages, 3–4 Courier, the embedded font's objects (its fonts F3… first), then images, then a page and its content per page.
        let embeddedFonts = (0..<fontCount).map { " /F\(3 + $0) \(5 + $0) 0 R" }.joined()
        let firstImage = 5 + fonts.count
        let firstPage = firstImage + images.count
        let imageNames = (0..<images.count).map { "/Im\($0 + 1) \(firstImage + $0) 0 R" }.joined(separator: " ")
        var objects: [[UInt8]] = [
            Array("<< /Type /Catalog /Pages 2 0 R >>".utf8),
            Array("<< /Type /Pages /Kids [\((0..<pages.count).map { "\(firstPage + 2 * $0) 0 R" }.joined(separator: " "))] /Count \(pages.count) >>".utf8),
            Array("<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>".utf8),
            Array("<< /Type /Font /Subtype /Type1 /BaseFont /Courier-Bold /Encoding /WinAnsiEncoding >>".utf8),
        ]
        objects += fonts
        objects += images
        for (index, content) in pages.enumerated() {
            let contentObject = firstPage + 2 * index + 1
            objects.append(Array(String(format: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /Font << /F1 3 0 R /F2 4 0 R\(embeddedFonts) >> /XObject << %@ >> >> /Contents %d 0 R >>", width, height, imageNames, contentObject).utf8))
            let stream = Array(content.utf8)
            objects.append(Array("<< /Length \(stream.count) >>\nstream\n".utf8) + stream + Array("endstream".utf8))
        }
        // 7-bit clean throughout (binary streams are hex), so a print path that handles it as text
        // (cups-pdf copies its input line by line) passes it on whole; no binary-marker comment.
        var output = Array("%PDF-1.4\n".utf8)
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

/// The characters of the outline font a document used, and the PDF objects that embed them.
/// They are simple TrueType fonts of up to 255 characters each, sharing one embedded subset,
/// each code named `uniXXXX` in its encoding: names survive the PostScript a print path may
/// turn a PDF into (CUPS's pdftops before cups-pdf), where a CID font's ToUnicode map does
/// not, so the text is still text after it. Objects from 5: the fonts, the descriptor, the
/// font file, each font's ToUnicode map.
struct EmbeddedGlyphs {
    private var order: [(scalar: Unicode.Scalar, glyph: UInt16, advance: Int)] = []
    private var slots: [Unicode.Scalar: Int] = [:]

    var isEmpty: Bool { order.isEmpty }
    var fontCount: Int { (order.count + 254) / 255 }

    /// The font (from 0) and the one-byte code that show `scalar`.
    mutating func slot(_ scalar: Unicode.Scalar, glyph: UInt16, advance: Int) -> (font: Int, code: Int) {
        let index: Int
        if let known = slots[scalar] {
            index = known
        } else {
            index = order.count
            slots[scalar] = index
            order.append((scalar, glyph, advance))
        }
        return (index / 255, index % 255 + 1)
    }

    func objects(for font: TrueTypeFont) -> [[UInt8]] {
        // A subset's name starts with six capitals of its own (PDF 32000 9.6.4): from the glyphs it holds.
        var hash: UInt32 = 2_166_136_261
        for entry in order { hash = (hash ^ UInt32(entry.glyph)) &* 16_777_619 }
        let tag = String((0..<6).map { Character(Unicode.Scalar(UInt8(65 + Int(hash >> (5 * UInt32($0))) % 26))) })
        let name = "\(tag)+\(font.name)"
        let subset = font.subset(Dictionary(order.map { ($0.scalar, $0.glyph) }, uniquingKeysWith: { first, _ in first }))
        let compressed = PageEncoder.zlibDeflate(subset)
        let scale = { (value: Int) in value * 1000 / font.unitsPerEm }
        let box = font.boundingBox.map { String(scale($0)) }.joined(separator: " ")
        let count = fontCount, descriptor = 5 + count, file = 6 + count
        var fonts: [[UInt8]] = [], maps: [[UInt8]] = []
        for index in 0..<count {
            let entries = Array(order[(index * 255)..<min(order.count, (index + 1) * 255)])
            let names = entries.map { "/\(TrueTypeFont.glyphName($0.scalar))" }.joined(separator: " ")
            let widths = entries.map { String($0.advance) }.joined(separator: " ")
            fonts.append(Array("<< /Type /Font /Subtype /TrueType /BaseFont /\(name) /FirstChar 1 /LastChar \(entries.count) /Widths [\(widths)] /Encoding << /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [1 \(names)] >> /FontDescriptor \(descriptor) 0 R /ToUnicode \(7 + count + index) 0 R >>".utf8))
            var map = ""
            for start in stride(from: 0, to: entries.count, by: 100) {
                let block = entries[start..<min(start + 100, entries.count)]
                map += "\(block.count) beginbfchar\n"
                for (offset, entry) in block.enumerated() {
                    map += "<\(hex(start + offset + 1, digits: 2))> <\(String(entry.scalar).utf16.map { hex(Int($0), digits: 4) }.joined())>\n"
                }
                map += "endbfchar\n"
            }
            let cmap = """
                /CIDInit /ProcSet findresource begin 12 dict begin begincmap
                /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
                /CMapName /Adobe-Identity-UCS def /CMapType 2 def
                1 begincodespacerange <00> <FF> endcodespacerange
                \(map)endcmap CMapName currentdict /CMap defineresource pop end end
                """
            maps.append(Array("<< /Length \(cmap.utf8.count) >>\nstream\n\(cmap)\nendstream".utf8))
        }
        // Flags 32: nonsymbolic, so codes go by their names to the font's Unicode cmap.
        return fonts + [
            Array("<< /Type /FontDescriptor /FontName /\(name) /Flags 32 /FontBBox [\(box)] /ItalicAngle 0 /Ascent \(scale(font.ascent)) /Descent \(scale(font.descent)) /CapHeight \(scale(font.ascent)) /StemV 80 /FontFile2 \(file) 0 R >>".utf8),
            asciiStream("/Length1 \(subset.count)", compressed, filters: ["/FlateDecode"]),
        ] + maps
    }
}

/// A stream object whose binary `data` is written as hexadecimal (ASCIIHexDecode, then `filters`).
func asciiStream(_ entries: String, _ data: [UInt8], filters: [String] = []) -> [UInt8] {
    let digits = Array("0123456789ABCDEF".utf8)
    var hex: [UInt8] = []
    hex.reserveCapacity(data.count * 2 + data.count / 32 + 2)
    for (index, byte) in data.enumerated() {
        hex.append(digits[Int(byte >> 4)])
        hex.append(digits[Int(byte & 0x0F)])
        if index % 64 == 63 { hex.append(0x0A) }
    }
    hex.append(UInt8(ascii: ">"))
    let filter = (["/ASCIIHexDecode"] + filters).joined(separator: " ")
    return Array("<< \(entries) /Filter [\(filter)] /Length \(hex.count) >>\nstream\n".utf8) + hex + Array("\nendstream".utf8)
}
