import Foundation
import KioskCore
import Synchronization

/// A TrueType font (glyf outlines) the PDF writer embeds, subset to the
/// glyphs a document uses, so Chinese in an A4 PDF is text a reader can
/// search and copy (`pdftotext` reads it), not a picture of text. Debian's
/// `fonts-droid-fallback` provides one that covers the CJK characters of
/// GB 18030's common set; a character it lacks is drawn with Unifont.
///
/// The file is mapped, not read: only the pages of the glyphs a document
/// uses come into memory, and they are the page cache's, not kioskd's heap.
public final class TrueTypeFont: Sendable {
    /// Where Debian installs it.
    public static let defaultPath = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"

    /// The PostScript-safe name the PDF gives it.
    public let name = "DroidSansFallback"
    /// Font units per em (head.unitsPerEm).
    public let unitsPerEm: Int
    /// ascender and descender (hhea), and the bounding box (head), in font units.
    public let ascent: Int, descent: Int
    public let boundingBox: [Int]
    private let data: Data
    private let tables: [String: Range<Int>]
    private let glyphCount: Int
    private let metricsCount: Int
    private let longOffsets: Bool
    /// The character map subtable used: format 12 (any plane) or 4 (the BMP), and where it starts.
    private let characterMap: (format: Int, offset: Int)

    /// Loads and checks the font. The error says which package provides it.
    public init(path: String = TrueTypeFont.defaultPath) throws(DeviceError) {
        let problem = { (why: String) in DeviceError(.unsupported, "the CJK font \(path) \(why): install the Debian package fonts-droid-fallback (Chinese on A4 prints as text with it)") }
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped), data.count > 12 else { throw problem("is missing") }
        let reader = BigEndian(data)
        guard reader.u32(0) == 0x0001_0000, let count = reader.u16(4) else { throw problem("is not a TrueType font") }
        var tables: [String: Range<Int>] = [:]
        for index in 0..<count {
            let entry = 12 + 16 * index
            guard let offset = reader.u32(entry + 8), let length = reader.u32(entry + 12), offset + length <= data.count else { throw problem("has a damaged table directory") }
            tables[String(decoding: data[(data.startIndex + entry)..<(data.startIndex + entry + 4)], as: UTF8.self)] = offset..<(offset + length)
        }
        for required in ["head", "hhea", "maxp", "hmtx", "loca", "glyf", "cmap"] where tables[required] == nil {
            throw problem("has no \(required) table (a font with glyf outlines is needed)")
        }
        let head = tables["head"]!.lowerBound, hhea = tables["hhea"]!.lowerBound, maxp = tables["maxp"]!.lowerBound
        let box = [36, 38, 40, 42].compactMap { reader.i16(head + $0) }
        guard let units = reader.u16(head + 18), units > 0, let format = reader.i16(head + 50), let glyphs = reader.u16(maxp + 4),
              let metrics = reader.u16(hhea + 34), metrics > 0, let ascent = reader.i16(hhea + 4), let descent = reader.i16(hhea + 6),
              box.count == 4 else { throw problem("has damaged headers") }
        self.data = data
        self.tables = tables
        unitsPerEm = units
        longOffsets = format == 1
        glyphCount = glyphs
        metricsCount = min(metrics, glyphs)
        self.ascent = ascent
        self.descent = descent
        boundingBox = box
        guard let map = Self.characterMap(reader, tables["cmap"]!) else { throw problem("has no Unicode character map") }
        characterMap = map
    }

    private static let cache = Mutex<TrueTypeFont?>(nil)

    /// The font at the default path, loaded once.
    public static func shared() throws(DeviceError) -> TrueTypeFont {
        if let font = cache.withLock({ $0 }) { return font }
        let font = try TrueTypeFont()
        cache.withLock { $0 = font }
        return font
    }

    /// The glyph of a character, nil when the font lacks it. Looked up in the font's own map (a binary
    /// search), so no table of tens of thousands of characters is built in memory.
    public func glyph(for character: Unicode.Scalar) -> UInt16? {
        let reader = BigEndian(data), code = Int(character.value), base = characterMap.offset
        var glyph: Int?
        if characterMap.format == 12 {
            guard let groups = reader.u32(base + 12) else { return nil }
            var low = 0, high = groups
            while low < high {
                let middle = (low + high) / 2, entry = base + 16 + 12 * middle
                guard let first = reader.u32(entry), let last = reader.u32(entry + 4) else { return nil }
                if code < first { high = middle } else if code > last { low = middle + 1 } else {
                    glyph = reader.u32(entry + 8).map { $0 + code - first }
                    break
                }
            }
        } else {
            guard code <= 0xFFFF, let doubled = reader.u16(base + 6) else { return nil }
            let ends = base + 14, starts = ends + doubled + 2, deltas = starts + doubled, offsets = deltas + doubled
            var low = 0, high = doubled / 2
            while low < high {
                let middle = (low + high) / 2
                guard let end = reader.u16(ends + 2 * middle) else { return nil }
                if end < code { low = middle + 1 } else { high = middle }
            }
            guard let start = reader.u16(starts + 2 * low), start <= code, let delta = reader.u16(deltas + 2 * low),
                  let rangeOffset = reader.u16(offsets + 2 * low) else { return nil }
            if rangeOffset == 0 {
                glyph = (code + delta) & 0xFFFF
            } else if let value = reader.u16(offsets + 2 * low + rangeOffset + 2 * (code - start)), value != 0 {
                glyph = (value + delta) & 0xFFFF
            }
        }
        guard let glyph, glyph > 0, glyph < glyphCount else { return nil }
        return UInt16(glyph)
    }

    /// A glyph's advance width in font units.
    public func advance(_ glyph: UInt16) -> Int {
        let hmtx = tables["hmtx"]!.lowerBound
        return BigEndian(data).u16(hmtx + 4 * min(Int(glyph), metricsCount - 1)) ?? unitsPerEm
    }

    /// The font with only the glyphs of `characters` (and the components of
    /// composite ones) in it, numbered anew from 1, with a character map and
    /// glyph names (`uni4E2D`) of just those characters: what a PDF embeds as
    /// FontFile2 for simple TrueType fonts that name their codes. The names
    /// and the map let a print path that turns the PDF into PostScript (and
    /// drops its ToUnicode maps) still tell which character each glyph is.
    public func subset(_ characters: [Unicode.Scalar: UInt16]) -> [UInt8] {
        let reader = BigEndian(data)
        var kept = Set(characters.values).union([0])
        var pending = Array(kept)
        while let glyph = pending.popLast() {
            for (_, component) in components(of: glyph, reader) where kept.insert(component).inserted { pending.append(component) }
        }
        // .notdef first, then the others in their old order: a dense font of a few hundred glyphs.
        let old = [0] + kept.subtracting([0]).sorted()
        let renumbered = Dictionary(uniqueKeysWithValues: old.enumerated().map { ($0.element, UInt16($0.offset)) })
        var glyf: [UInt8] = [], loca: [UInt8] = [], hmtx: [UInt8] = []
        let hmtxStart = tables["hmtx"]!.lowerBound
        for glyph in old {
            loca += Self.u32(glyf.count)
            if let range = outline(of: glyph, reader) {
                var outline = Array(data[range])
                // A composite glyph names its parts by number: by their new numbers now.
                for (offset, component) in components(of: glyph, reader) {
                    outline.replaceSubrange((offset + 2)..<(offset + 4), with: Self.u16(Int(renumbered[component] ?? 0)))
                }
                glyf += outline
                while glyf.count % 4 != 0 { glyf.append(0) }
            }
            let index = Int(glyph)
            let bearing = index < metricsCount ? reader.u16(hmtxStart + 4 * index + 2) ?? 0
                : reader.u16(hmtxStart + 4 * metricsCount + 2 * (index - metricsCount)) ?? 0
            hmtx += Self.u16(advance(glyph)) + Self.u16(bearing)
        }
        loca += Self.u32(glyf.count)
        var head = Array(data[tables["head"]!])
        head.replaceSubrange(8..<12, with: [0, 0, 0, 0])  // checkSumAdjustment, set below
        head.replaceSubrange(50..<52, with: Self.u16(1))  // long loca offsets
        var hhea = Array(data[tables["hhea"]!])
        hhea.replaceSubrange(34..<36, with: Self.u16(old.count))
        var maxp = Array(data[tables["maxp"]!])
        maxp.replaceSubrange(4..<6, with: Self.u16(old.count))
        let mapped = characters.compactMapValues { renumbered[$0] }
        var out: [(String, [UInt8])] = [("cmap", Self.characterMap(mapped)), ("glyf", glyf), ("head", head), ("hhea", hhea), ("hmtx", hmtx), ("loca", loca),
                                         ("maxp", maxp), ("post", Self.glyphNames(mapped, count: old.count))]
        // The hinting programs glyphs may call go along; the rest (names, layout) a PDF does not need.
        for tag in ["cvt ", "fpgm", "prep"] { if let range = tables[tag] { out.append((tag, Array(data[range]))) } }
        out.sort { $0.0 < $1.0 }
        return Self.assemble(out)
    }

    // MARK: Reading the font

    private func outline(of glyph: UInt16, _ reader: BigEndian) -> Range<Int>? {
        guard Int(glyph) < glyphCount else { return nil }
        let loca = tables["loca"]!.lowerBound, glyf = tables["glyf"]!
        let (start, end): (Int?, Int?) = longOffsets
            ? (reader.u32(loca + 4 * Int(glyph)), reader.u32(loca + 4 * Int(glyph) + 4))
            : (reader.u16(loca + 2 * Int(glyph)).map { $0 * 2 }, reader.u16(loca + 2 * Int(glyph) + 2).map { $0 * 2 })
        guard let start, let end, start < end, glyf.lowerBound + end <= glyf.upperBound else { return nil }
        return (data.startIndex + glyf.lowerBound + start)..<(data.startIndex + glyf.lowerBound + end)
    }

    /// The glyphs a composite glyph is made of, each with where its record starts in the outline.
    private func components(of glyph: UInt16, _ reader: BigEndian) -> [(offset: Int, glyph: UInt16)] {
        guard let range = outline(of: glyph, reader) else { return [] }
        let start = range.lowerBound - data.startIndex
        guard let contours = reader.i16(start), contours < 0 else { return [] }
        var found: [(offset: Int, glyph: UInt16)] = [], offset = start + 10
        while offset + 4 <= range.upperBound - data.startIndex, let flags = reader.u16(offset), let component = reader.u16(offset + 2) {
            found.append((offset - start, UInt16(component)))
            offset += 4 + (flags & 0x0001 != 0 ? 4 : 2)
            if flags & 0x0008 != 0 { offset += 2 } else if flags & 0x0040 != 0 { offset += 4 } else if flags & 0x0080 != 0 { offset += 8 }
            guard flags & 0x0020 != 0 else { break }
        }
        return found
    }

    /// The Unicode subtable to look characters up in: format 12 (full range) if there is one, else format 4 (BMP).
    private static func characterMap(_ reader: BigEndian, _ cmap: Range<Int>) -> (format: Int, offset: Int)? {
        guard let count = reader.u16(cmap.lowerBound + 2) else { return nil }
        var best: (format: Int, offset: Int)?
        for index in 0..<count {
            let entry = cmap.lowerBound + 4 + 8 * index
            guard let platform = reader.u16(entry), let encoding = reader.u16(entry + 2), let offset = reader.u32(entry + 4),
                  platform == 3 || platform == 0, let format = reader.u16(cmap.lowerBound + offset) else { continue }
            if format == 12, platform == 0 || encoding == 10 { best = (12, cmap.lowerBound + offset) }
            if format == 4, best == nil { best = (4, cmap.lowerBound + offset) }
        }
        return best
    }

    // MARK: Writing a font file

    /// A glyph's name as the Adobe Glyph List spells a character: `uni4E2D`, `u20B9F`.
    static func glyphName(_ scalar: Unicode.Scalar) -> String {
        scalar.value <= 0xFFFF ? "uni" + hex(Int(scalar.value), digits: 4) : "u" + hex(Int(scalar.value), digits: 5)
    }

    /// A post table (format 2) naming each kept glyph after its character, the rest .notdef.
    private static func glyphNames(_ characters: [Unicode.Scalar: UInt16], count: Int) -> [UInt8] {
        var table = u32(0x0002_0000) + [UInt8](repeating: 0, count: 28) + u16(count)
        var names: [String] = []
        let named = Dictionary(characters.map { ($0.value, $0.key) }, uniquingKeysWith: { first, _ in first })
        for glyph in 0..<count {
            if let scalar = named[UInt16(glyph)] {
                table += u16(258 + names.count)
                names.append(glyphName(scalar))
            } else {
                table += u16(0)
            }
        }
        for name in names { table += [UInt8(name.utf8.count)] + Array(name.utf8) }
        return table
    }

    /// A cmap with one format 4 subtable (Windows, Unicode BMP): a segment per character.
    private static func characterMap(_ characters: [Unicode.Scalar: UInt16]) -> [UInt8] {
        let pairs = characters.compactMap { scalar, glyph in scalar.value < 0xFFFF ? (code: Int(scalar.value), glyph: Int(glyph)) : nil }
            .sorted { $0.code < $1.code }
        var unique: [(code: Int, glyph: Int)] = []
        for pair in pairs where unique.last?.code != pair.code { unique.append(pair) }
        let segments = unique.count + 1
        var power = 1, exponent = 0
        while power * 2 <= segments { power *= 2; exponent += 1 }
        var ends: [UInt8] = [], starts: [UInt8] = [], deltas: [UInt8] = [], offsets: [UInt8] = []
        for pair in unique {
            ends += u16(pair.code)
            starts += u16(pair.code)
            deltas += u16((pair.glyph - pair.code) & 0xFFFF)
            offsets += u16(0)
        }
        ends += u16(0xFFFF); starts += u16(0xFFFF); deltas += u16(1); offsets += u16(0)
        let body = ends + u16(0) + starts + deltas + offsets
        let subtable = u16(4) + u16(14 + body.count) + u16(0) + u16(segments * 2) + u16(power * 2) + u16(exponent) + u16(segments * 2 - power * 2) + body
        return u16(0) + u16(1) + u16(3) + u16(1) + u32(12) + subtable
    }

    private static func assemble(_ tables: [(String, [UInt8])]) -> [UInt8] {
        let count = tables.count
        var power = 1, exponent = 0
        while power * 2 <= count { power *= 2; exponent += 1 }
        var header = u32(0x0001_0000) + u16(count) + u16(power * 16) + u16(exponent) + u16(count * 16 - power * 16)
        var body: [UInt8] = []
        let start = 12 + 16 * count
        for (tag, bytes) in tables {
            header += Array(tag.utf8) + u32(Int(checksum(bytes))) + u32(start + body.count) + u32(bytes.count)
            body += bytes
            while body.count % 4 != 0 { body.append(0) }
        }
        var file = header + body
        // head.checkSumAdjustment makes the whole file sum to 0xB1B0AFBA.
        if let index = tables.firstIndex(where: { $0.0 == "head" }) {
            let offset = start + tables[..<index].reduce(0) { $0 + ($1.1.count + 3) / 4 * 4 }
            file.replaceSubrange((offset + 8)..<(offset + 12), with: u32(Int(0xB1B0_AFBA &- checksum(file))))
        }
        return file
    }

    private static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var sum: UInt32 = 0
        var index = 0
        while index < bytes.count {
            var word: UInt32 = 0
            for offset in 0..<4 { word = word << 8 | UInt32(index + offset < bytes.count ? bytes[index + offset] : 0) }
            sum = sum &+ word
            index += 4
        }
        return sum
    }

    private static func u16(_ value: Int) -> [UInt8] { [UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
    private static func u32(_ value: Int) -> [UInt8] { [UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
}

/// Big-endian reads that answer nil past the end: a damaged font is refused, never a crash.
private struct BigEndian {
    let data: Data
    init(_ data: Data) { self.data = data }

    func u16(_ offset: Int) -> Int? {
        guard offset >= 0, offset + 2 <= data.count else { return nil }
        let base = data.startIndex + offset
        return Int(data[base]) << 8 | Int(data[base + 1])
    }

    func i16(_ offset: Int) -> Int? { u16(offset).map { $0 >= 0x8000 ? $0 - 0x10000 : $0 } }

    func u32(_ offset: Int) -> Int? {
        guard let high = u16(offset), let low = u16(offset + 2) else { return nil }
        return high << 16 | low
    }
}
