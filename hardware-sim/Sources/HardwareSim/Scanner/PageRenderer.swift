import CImageCodecs
import Foundation

/// A page the simulated scanner holds: `hardware-sim/pages/*.json`, drawn
/// at whatever resolution and colour a job asks for, as a scanner would see
/// paper: off-white with faint grain, black text, ruled tables, a red seal.
public struct PageDescription: Codable, Sendable {
    /// What the page is and that it holds no personal data.
    public var note: String?
    /// The heading.
    public var title: String
    /// A ruled table, each row label/value pairs.
    public var rows: [[String]]?
    /// Body text.
    public var paragraphs: [String]?
    /// The signature line.
    public var signature: String?
    /// The text of the round seal (公章), drawn in red.
    public var stamp: String?

    /// Loads every page in a folder, in file-name order.
    public static func loadAll(from folder: String) throws -> [PageDescription] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".json") }.sorted()
        guard !names.isEmpty else { throw SimulatorError("no page descriptions (*.json) in \(folder)") }
        return try names.map { name in
            let path = folder + "/" + name
            do {
                return try JSONDecoder().decode(PageDescription.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            } catch {
                throw SimulatorError("\(path) is not a page description: \(error)")
            }
        }
    }
}

/// Draws pages into pixels (grey or RGB) and compresses them to JPEG.
struct PageRenderer {
    let font: PrinterFont

    /// An A4 page at `resolution` dpi, cropped to `region` (in 1/300 inch), as JPEG.
    func jpeg(_ page: PageDescription, resolution: Int, color: Bool, region: (x: Int, y: Int, width: Int, height: Int)?, seed: Int) throws -> [UInt8] {
        let fullWidth = 2480 * resolution / 300, fullHeight = 3508 * resolution / 300
        var canvas = Canvas(width: fullWidth, height: fullHeight, seed: seed)
        draw(page, on: &canvas, dpi: resolution)
        let crop = region.map { (x: $0.x * resolution / 300, y: $0.y * resolution / 300, width: $0.width * resolution / 300, height: $0.height * resolution / 300) }
            ?? (x: 0, y: 0, width: fullWidth, height: fullHeight)
        let width = max(1, min(crop.width, fullWidth - crop.x)), height = max(1, min(crop.height, fullHeight - crop.y))
        let components = color ? 3 : 1
        var pixels = [UInt8](repeating: 0, count: width * height * components)
        for y in 0..<height {
            for x in 0..<width {
                let (r, g, b) = canvas.pixel(crop.x + x, crop.y + y)
                if color {
                    pixels[(y * width + x) * 3] = r
                    pixels[(y * width + x) * 3 + 1] = g
                    pixels[(y * width + x) * 3 + 2] = b
                } else {
                    let weighted: Int = Int(r) * 299 + Int(g) * 587 + Int(b) * 114
                    pixels[y * width + x] = UInt8(weighted / 1000)
                }
            }
        }
        var output: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = pixels.withUnsafeBufferPointer {
            kiosk_jpeg_compress($0.baseAddress, Int32(width), Int32(height), Int32(components), 85, Int32(resolution), &output, &size, &message, message.count)
        }
        guard status == 0, let output else { throw SimulatorError("the page could not be compressed: \(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))") }
        defer { kiosk_jpeg_free(output) }
        return Array(UnsafeBufferPointer(start: output, count: size))
    }

    private func draw(_ page: PageDescription, on canvas: inout Canvas, dpi: Int) {
        let margin = dpi * 8 / 10
        var y = dpi  // one inch from the top
        let titleHeight = dpi * 28 / 100
        canvas.text(page.title, x: (canvas.width - textWidth(page.title, height: titleHeight)) / 2, y: y, height: titleHeight, font: font)
        y += titleHeight + dpi / 3
        let bodyHeight = dpi * 15 / 100
        if let rows = page.rows {
            let rowHeight = bodyHeight * 2
            let tableWidth = canvas.width - 2 * margin
            let columns = [0, tableWidth * 22 / 100, tableWidth * 50 / 100, tableWidth * 72 / 100, tableWidth]
            for (index, row) in rows.enumerated() {
                let top = y + index * rowHeight
                for (column, cell) in row.enumerated() where column < 4 {
                    canvas.text(cell, x: margin + columns[column] + bodyHeight / 3, y: top + bodyHeight / 2, height: bodyHeight, font: font)
                }
                canvas.rule(x: margin, y: top, width: tableWidth, height: max(1, dpi / 150))
            }
            let bottom = y + rows.count * rowHeight
            canvas.rule(x: margin, y: bottom, width: tableWidth, height: max(1, dpi / 150))
            for x in columns { canvas.rule(x: margin + min(x, tableWidth - 1), y: y, width: max(1, dpi / 150), height: bottom - y) }
            y = bottom + dpi / 3
        }
        for paragraph in page.paragraphs ?? [] {
            let perLine = max(1, (canvas.width - 2 * margin) / bodyHeight)
            let characters = Array(paragraph)
            var start = 0
            var indent = 2 * bodyHeight
            while start < characters.count {
                let count = min(characters.count - start, perLine - (indent > 0 ? 2 : 0))
                canvas.text(String(characters[start..<(start + count)]), x: margin + indent, y: y, height: bodyHeight, font: font)
                start += count
                indent = 0
                y += bodyHeight * 17 / 10
            }
            y += bodyHeight / 2
        }
        if let signature = page.signature {
            y += dpi / 2
            canvas.text(signature, x: canvas.width - margin - textWidth(signature, height: bodyHeight), y: y, height: bodyHeight, font: font)
        }
        if let stamp = page.stamp {
            canvas.seal(stamp, centerX: canvas.width - margin - dpi, centerY: min(y, canvas.height - dpi * 2) - dpi / 4, radius: dpi * 8 / 10, font: font)
        }
    }

    private func textWidth(_ text: String, height: Int) -> Int {
        text.unicodeScalars.reduce(0) { $0 + (($1.value < 0x80) ? height / 2 : height) }
    }
}

/// Paper, drawn on.
struct Canvas {
    let width: Int
    let height: Int
    private var ink: [UInt8]   // 0 none, 1 black, 2 red
    private let seed: Int

    init(width: Int, height: Int, seed: Int) {
        self.width = width
        self.height = height
        self.seed = seed
        ink = [UInt8](repeating: 0, count: width * height)
    }

    /// The scanned colour of a point: paper with a faint deterministic grain, or ink.
    func pixel(_ x: Int, _ y: Int) -> (UInt8, UInt8, UInt8) {
        guard x >= 0, y >= 0, x < width, y < height else { return (255, 255, 255) }
        var hash = UInt32(truncatingIfNeeded: x &* 73_856_093 ^ y &* 19_349_663 ^ seed &* 83_492_791)
        hash ^= hash >> 13
        hash = hash &* 0x5BD1_E995
        let grain = Int(hash % 5)  // 0…4
        switch ink[y * width + x] {
        case 1: return (UInt8(30 + grain), UInt8(30 + grain), UInt8(32 + grain))
        case 2: return (UInt8(200 + grain), UInt8(40 + grain), UInt8(40 + grain))
        default: return (UInt8(236 + grain), UInt8(234 + grain), UInt8(228 + grain))
        }
    }

    mutating func rule(x: Int, y: Int, width w: Int, height h: Int) {
        for row in max(0, y)..<min(height, y + h) {
            for column in max(0, x)..<min(width, x + w) { ink[row * width + column] = 1 }
        }
    }

    mutating func text(_ text: String, x: Int, y: Int, height cellHeight: Int, font: PrinterFont, color: UInt8 = 1) {
        var position = x
        for scalar in text.unicodeScalars {
            let glyph = font.cell(scalar, cellHeight: cellHeight)
            for (dy, row) in glyph.enumerated() where y + dy >= 0 && y + dy < height {
                for (dx, set) in row.enumerated() where set && position + dx >= 0 && position + dx < width {
                    ink[(y + dy) * width + position + dx] = color
                }
            }
            position += glyph.first?.count ?? cellHeight
        }
    }

    /// A round seal: a red ring, a star, the text along the bottom half.
    mutating func seal(_ text: String, centerX: Int, centerY: Int, radius: Int, font: PrinterFont) {
        let thickness = max(2, radius / 14)
        for y in (centerY - radius)...(centerY + radius) where y >= 0 && y < height {
            for x in (centerX - radius)...(centerX + radius) where x >= 0 && x < width {
                let distance = Int(Double((x - centerX) * (x - centerX) + (y - centerY) * (y - centerY)).squareRoot())
                if distance <= radius && distance > radius - thickness { ink[y * width + x] = 2 }
            }
        }
        let star = radius / 3
        self.text("★", x: centerX - star / 2, y: centerY - star / 2, height: star, font: font, color: 2)
        let characterHeight = radius / 4
        let characters = Array(text.unicodeScalars)
        let inner = Double(radius - thickness - characterHeight * 9 / 10)
        for (index, scalar) in characters.enumerated() {
            // Along the upper arc, from about 200° to 340° (screen y points down).
            let angle = Double.pi * (1.1 + 0.8 * Double(index) / Double(max(1, characters.count - 1)))
            let cx = centerX + Int(cos(angle) * inner) - characterHeight / 2
            let cy = centerY + Int(sin(angle) * inner) - characterHeight / 2
            self.text(String(scalar), x: cx, y: cy, height: characterHeight, font: font, color: 2)
        }
    }
}
