import Drivers
import KioskCore
import Testing

/// Bytes written by hand from the ESC/POS command descriptions.
@Suite("ESC/POS encoder")
struct ESCPOSEncoderTests {
    @Test("single commands match their descriptions")
    func golden() {
        #expect(ESCPOS.initialize == [0x1B, 0x40])
        #expect(ESCPOS.align(.center) == [0x1B, 0x61, 0x01])
        #expect(ESCPOS.bold(true) == [0x1B, 0x45, 0x01])
        #expect(ESCPOS.size(width: 2, height: 2) == [0x1D, 0x21, 0x11])
        #expect(ESCPOS.size(width: 1, height: 2) == [0x1D, 0x21, 0x01])
        #expect(ESCPOS.feed(lines: 3) == [0x1B, 0x64, 0x03])
        #expect(ESCPOS.cut() == [0x1D, 0x56, 0x42, 0x00])
        #expect(ESCPOS.chineseModeOn == [0x1C, 0x26])
        #expect(ESCPOS.chineseModeOff == [0x1C, 0x2E])
        #expect(ESCPOS.statusRequest(.paperSensor) == [0x10, 0x04, 0x04])
        #expect(ESCPOS.rasterImage(widthBytes: 1, height: 2, bits: [0xFF, 0x81]) == [0x1D, 0x76, 0x30, 0x00, 0x01, 0x00, 0x02, 0x00, 0xFF, 0x81])
    }

    @Test("a QR code selects model 2, module size and error correction, stores the data with its length, and prints")
    func qr() {
        #expect(ESCPOS.qrCode(Array("ABC".utf8), moduleSize: 6, errorCorrection: .medium) == [
            0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00,
            0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, 0x06,
            0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, 0x31,
            0x1D, 0x28, 0x6B, 0x06, 0x00, 0x31, 0x50, 0x30, 0x41, 0x42, 0x43,
            0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30,
        ])
    }

    @Test("a QR payload too long for a receipt is left out (the URL is printed as text under it), never a trap")
    func longQR() throws {
        let long = PrintDocument(columns: 48, lines: [.qrCode("https://x.example/" + String(repeating: "a", count: 7_100)), .text("https://x.example/…", .plain)])
        let bytes = try ESCPOSEncoder(profile: .generic80).encode(long)
        #expect(!bytes.windowsContain([0x1D, 0x28, 0x6B]), "no QR command")
        let fits = PrintDocument(columns: 48, lines: [.qrCode("https://x.example/" + String(repeating: "a", count: 500))])
        #expect(try ESCPOSEncoder(profile: .generic80).encode(fits).windowsContain([0x1D, 0x28, 0x6B]))
    }

    @Test("Chinese text is GB 18030; a GB 2312 font lacks 䶮 and a GBK font lacks it too, a GB 18030 font has it")
    func encoding() {
        #expect(GB18030.encode("中") == [0xD6, 0xD0])
        #expect(GB18030.encode("办件编号", coverage: .gb2312) == [0xB0, 0xEC, 0xBC, 0xFE, 0xB1, 0xE0, 0xBA, 0xC5])
        #expect(GB18030.encode("A1", coverage: .gb2312) == [0x41, 0x31])
        #expect(GB18030.encode("刘䶮", coverage: .gb2312) == nil)
        #expect(GB18030.encode("刘䶮", coverage: .gbk) == nil)
        #expect(GB18030.encode("刘䶮", coverage: .gb18030) != nil)
        #expect(GB18030.encode("𠀀", coverage: .gb18030)?.count == 4)  // Extension B: four bytes
    }

    @Test("a document encodes as init, Chinese mode, styled lines, QR, cut and a closing reset, in order")
    func document() throws {
        let document = PrintDocument(columns: 32, lines: [
            .text("受理回执", TextStyle(.center, bold: true, large: true)), .rule, .qrCode("https://x.example/1"), .feed(2), .cut,
        ])
        let bytes = try ESCPOSEncoder(profile: .generic80).encode(document)
        var expected = ESCPOS.initialize + ESCPOS.chineseModeOn
        expected += ESCPOS.align(.center) + ESCPOS.bold(true) + ESCPOS.size(width: 2, height: 2)
        expected += [0xCA, 0xDC, 0xC0, 0xED, 0xBB, 0xD8, 0xD6, 0xB4, 0x0A]  // 受理回执
        expected += ESCPOS.size(width: 1, height: 1) + ESCPOS.bold(false) + ESCPOS.align(.left)
        expected += Array(String(repeating: "-", count: 48).utf8) + [0x0A]
        expected += ESCPOS.align(.center) + ESCPOS.qrCode(Array("https://x.example/1".utf8), moduleSize: 6) + [0x0A] + ESCPOS.align(.left)
        expected += ESCPOS.feed(lines: 2) + ESCPOS.cut() + ESCPOS.chineseModeOff + ESCPOS.initialize
        #expect(bytes == expected)
    }

    @Test("a line with a character the font lacks is sent as a 24-dot raster image of the whole line")
    func rareCharacterFallback() throws {
        let encoder = ESCPOSEncoder(profile: .generic58)
        let bytes = try encoder.encode(PrintDocument(columns: 32, lines: [.text("申请人：刘䶮", .plain)]))
        let header: [UInt8] = [0x1D, 0x76, 0x30, 0x00, 48, 0x00, 24, 0x00]  // 384 dots = 48 bytes, 24 rows
        let prefix = ESCPOS.initialize + ESCPOS.chineseModeOn + ESCPOS.align(.left) + header
        let suffix = ESCPOS.align(.left) + ESCPOS.chineseModeOff + ESCPOS.initialize
        // Nothing but the image: no part of the line went out as text.
        #expect(bytes.count == prefix.count + 48 * 24 + suffix.count)
        #expect(Array(bytes.prefix(prefix.count)) == prefix)
        #expect(Array(bytes.suffix(suffix.count)) == suffix)
        let image = Array(bytes[prefix.count..<(prefix.count + 48 * 24)])
        #expect(image.contains { $0 != 0 }, "the image has ink")
        // Six wide characters at 24 dots each: the ink stays within the first 144 dots (18 bytes).
        for row in 0..<24 { #expect(image[(row * 48 + 18)..<(row * 48 + 48)].allSatisfy { $0 == 0 }) }
    }

    @Test("Unifont has the rare characters of the sample cards")
    func font() throws {
        let font = try BitmapFont.shared()
        #expect(font.has("䶮"))
        #expect(font.glyph("䶮").count == 16)
        #expect(font.glyph("䶮").first?.count == 16)
        #expect(font.glyph("A").first?.count == 8)
    }

    @Test("a missing fallback font is a clear error naming the package")
    func missingFont() {
        #expect(throws: DeviceError.self) { try BitmapFont(path: "/nonexistent/unifont.hex") }
        do {
            _ = try BitmapFont(path: "/nonexistent/unifont.hex")
        } catch {
            #expect(error.message.contains("install the Debian package unifont"))
        }
    }
}

extension [UInt8] {
    /// Whether `part` appears anywhere in these bytes.
    func windowsContain(_ part: [UInt8]) -> Bool {
        guard count >= part.count else { return false }
        return (0...(count - part.count)).contains { self[$0..<($0 + part.count)].elementsEqual(part) }
    }
}
