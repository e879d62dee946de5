import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The simulated printer's ROM font: GNU Unifont glyphs (16 px) drawn at
/// the printer's 12×24 (Latin) and 24×24 (Chinese) cells.
final class PrinterFont: Sendable {
    private let glyphs: [UInt32: [UInt8]]

    /// Loaded once per process: every simulated printer shares it.
    static func shared() throws -> PrinterFont {
        try cache.withLock { cache in
            if let cache { return try cache.get() }
            let loaded = Result { try PrinterFont() }
            cache = loaded
            return try loaded.get()
        }
    }

    private static let cache = Mutex<Result<PrinterFont, any Error>?>(nil)

    init(path: String = "/usr/share/unifont/unifont.hex") throws {
        guard let contents = FileManager.default.contents(atPath: path) else {
            throw SimulatorError("the printer simulator needs \(path): install the Debian package unifont")
        }
        // Index the lines once (the file is sorted by code point), decode glyphs when drawn.
        let bytes = [UInt8](contents)
        var glyphs: [UInt32: [UInt8]] = [:]
        var start = 0
        for index in bytes.indices where bytes[index] == 0x0A {
            let line = bytes[start..<index]
            start = index + 1
            guard let colon = line.firstIndex(of: 0x3A) else { continue }
            var code: UInt32 = 0
            for byte in line[line.startIndex..<colon] { code = code << 4 | UInt32(Self.hexValue(byte)) }
            let hex = line[(colon + 1)...]
            glyphs[code] = stride(from: hex.startIndex, to: hex.endIndex - 1, by: 2).map { Self.hexValue(hex[$0]) << 4 | Self.hexValue(hex[$0 + 1]) }
        }
        self.glyphs = glyphs
    }

    private static func hexValue(_ byte: UInt8) -> UInt8 {
        byte <= 0x39 ? byte &- 0x30 : (byte | 0x20) &- 0x61 &+ 10
    }

    /// The character drawn in a cell `cellHeight` high; its width follows the glyph (8 or 16 px wide → ½ or 1 × height).
    func cell(_ scalar: Unicode.Scalar, cellHeight: Int) -> [[Bool]] {
        let rows = glyphs[scalar.value] ?? glyphs[0xFFFD] ?? Array(repeating: 0, count: 16)
        let glyphWidth = rows.count / 2  // 32 bytes → 16 wide, 16 bytes → 8 wide
        let cellWidth = glyphWidth * cellHeight / 16
        let bytesPerRow = glyphWidth / 8
        return (0..<cellHeight).map { y in
            (0..<cellWidth).map { x in
                let gy = y * 16 / cellHeight, gx = x * glyphWidth / cellWidth
                return rows[gy * bytesPerRow + gx / 8] & (0x80 >> UInt8(gx % 8)) != 0
            }
        }
    }
}

/// Decodes printer text bytes: GB 18030 in Chinese mode, Latin-1 otherwise (the printer's view, via iconv).
func decodePrinterText(_ bytes: [UInt8], chinese: Bool) -> String {
    guard chinese else { return String(bytes.map { Character(Unicode.Scalar($0)) }) }
    let descriptor = iconv_open("UTF-8", "GB18030")
    guard descriptor != iconv_t(bitPattern: -1) else { return String(decoding: bytes, as: UTF8.self) }
    defer { iconv_close(descriptor) }
    var input = bytes.map { CChar(bitPattern: $0) }
    var output = [CChar](repeating: 0, count: bytes.count * 4 + 4)
    var inLeft = input.count, outLeft = output.count
    _ = input.withUnsafeMutableBufferPointer { inBuffer in
        output.withUnsafeMutableBufferPointer { outBuffer in
            var inPointer: UnsafeMutablePointer<CChar>? = inBuffer.baseAddress
            var outPointer: UnsafeMutablePointer<CChar>? = outBuffer.baseAddress
            return iconv(descriptor, &inPointer, &inLeft, &outPointer, &outLeft)
        }
    }
    return String(decoding: output[0..<(output.count - outLeft)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
