import Foundation
import KioskCore
import Synchronization

/// GNU Unifont, read from its `.hex` file (Debian package `unifont`): a
/// 16-pixel-high bitmap for every character of the Basic Multilingual Plane.
/// kioskd draws the characters a printer's font lacks with it, offline.
public final class BitmapFont: Sendable {
    /// Where Debian installs it.
    public static let defaultPath = "/usr/share/unifont/unifont.hex"

    /// Glyph height in pixels.
    public static let height = 16

    /// The file, sorted by code point: glyphs are found by binary search,
    /// so loading costs one read and no parsing.
    private let data: [UInt8]

    /// Loads the font. The error says which package provides it.
    public init(path: String = BitmapFont.defaultPath) throws(DeviceError) {
        guard let contents = FileManager.default.contents(atPath: path), !contents.isEmpty else {
            throw DeviceError(.unsupported, "the fallback font \(path) is missing: install the Debian package unifont (rare characters in names print as images drawn with it)")
        }
        data = [UInt8](contents)
    }

    /// The 16 rows (1 or 2 bytes each) of a code point's glyph.
    private func rows(of code: UInt32) -> [UInt8]? {
        var low = 0, high = data.count
        while low < high {
            let middle = (low + high) / 2
            var start = middle
            while start > 0, data[start - 1] != 0x0A { start -= 1 }
            var colon = start
            var value: UInt32 = 0
            while colon < data.count, data[colon] != 0x3A {
                value = value << 4 | UInt32(Self.nibble(data[colon]))
                colon += 1
            }
            var end = colon
            while end < data.count, data[end] != 0x0A { end += 1 }
            if value == code {
                let hex = data[(colon + 1)..<end]
                guard hex.count == 32 || hex.count == 64 else { return nil }
                return stride(from: hex.startIndex, to: hex.endIndex, by: 2).map { Self.nibble(hex[$0]) << 4 | Self.nibble(hex[$0 + 1]) }
            }
            if value < code { low = end + 1 } else { high = start }
        }
        return nil
    }

    private static func nibble(_ byte: UInt8) -> UInt8 {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: 0
        }
    }

    /// The shared font, loaded on first use.
    public static func shared() throws(DeviceError) -> BitmapFont {
        let result = cache.withLock { cache -> Result<BitmapFont, DeviceError> in
            if let cache { return cache }
            let loaded = Result { () throws(DeviceError) -> BitmapFont in try BitmapFont() }
            cache = loaded
            return loaded
        }
        return try result.get()
    }

    private static let cache = Mutex<Result<BitmapFont, DeviceError>?>(nil)

    /// Whether the font has a glyph for the character.
    public func has(_ character: Character) -> Bool {
        character.unicodeScalars.first.map { rows(of: $0.value) != nil } ?? false
    }

    /// The glyph as rows of pixels (true = ink): 8 or 16 wide, 16 high. A
    /// missing glyph is a hollow box, so a gap is visible rather than silent.
    public func glyph(_ character: Character) -> [[Bool]] {
        let code = character.unicodeScalars.first?.value ?? 0
        guard let rows = rows(of: code) else {
            let width = DisplayWidth.of(character) == 2 ? 16 : 8
            return (0..<16).map { row in (0..<width).map { column in row == 1 || row == 14 || column == 1 || column == width - 2 } }
        }
        let bytesPerRow = rows.count / 16
        return (0..<16).map { row in
            (0..<(bytesPerRow * 8)).map { column in rows[row * bytesPerRow + column / 8] & (0x80 >> UInt8(column % 8)) != 0 }
        }
    }
}

/// A black-and-white image: what a line becomes when the printer cannot print it as text.
public struct Bitmap: Sendable, Hashable {
    /// Width in dots.
    public var width: Int
    /// Height in dots.
    public var height: Int
    /// Row-major, true = black.
    public var pixels: [Bool]

    /// A white image.
    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
        pixels = Array(repeating: false, count: width * height)
    }

    /// Reads a pixel.
    public subscript(x: Int, y: Int) -> Bool {
        get { pixels[y * width + x] }
        set { pixels[y * width + x] = newValue }
    }

    /// Rows packed 8 dots a byte, most significant bit leftmost (ESC/POS raster, PBM).
    public var packedRows: (bytesPerRow: Int, bits: [UInt8]) {
        let bytesPerRow = (width + 7) / 8
        var bits = [UInt8](repeating: 0, count: bytesPerRow * height)
        for y in 0..<height {
            for x in 0..<width where self[x, y] {
                bits[y * bytesPerRow + x / 8] |= 0x80 >> UInt8(x % 8)
            }
        }
        return (bytesPerRow, bits)
    }

    /// Draws a line of text with `font`, each 16-pixel glyph scaled to `cellHeight`
    /// (24 for a printer's standard Chinese size), aligned across the width.
    public static func line(_ text: String, font: BitmapFont, width: Int, cellHeight: Int, alignment: TextStyle.Alignment, bold: Bool) -> Bitmap {
        let glyphs = text.map { font.glyph($0) }
        let scaled = glyphs.map { glyph -> [[Bool]] in
            let glyphWidth = glyph.first?.count ?? 8
            let cellWidth = glyphWidth * cellHeight / BitmapFont.height
            return (0..<cellHeight).map { y in
                (0..<cellWidth).map { x in glyph[y * BitmapFont.height / cellHeight][x * glyphWidth / cellWidth] }
            }
        }
        let textWidth = scaled.reduce(0) { $0 + ($1.first?.count ?? 0) }
        var x = switch alignment {
        case .left: 0
        case .center: max(0, (width - textWidth) / 2)
        case .right: max(0, width - textWidth)
        }
        var image = Bitmap(width: width, height: cellHeight)
        for glyph in scaled {
            for (y, row) in glyph.enumerated() {
                for (dx, ink) in row.enumerated() where ink && x + dx < width {
                    image[x + dx, y] = true
                    if bold, x + dx + 1 < width { image[x + dx + 1, y] = true }
                }
            }
            x += glyph.first?.count ?? 0
        }
        return image
    }
}
