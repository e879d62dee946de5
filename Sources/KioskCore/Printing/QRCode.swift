/// A QR code (ISO/IEC 18004, model 2, byte mode), versions 1–10 (up to
/// 213 bytes at level M), with the mask chosen by the standard's penalty
/// rules. The PDF writer draws receipts' codes with it, the screen will too,
/// and the printer simulator draws what GS ( k asks for; tests read the
/// results back with zbarimg.
///
/// ```swift
/// let code = QRCode(data: Array(url.utf8), level: .medium)!
/// for row in code.modules { … }   // true = dark
/// ```
public struct QRCode: Sendable {
    /// Error correction level.
    public enum Level: Int, Sendable { case low = 0, medium = 1, quartile = 2, high = 3 }

    /// Modules per side: 17 + 4 × version.
    public let size: Int
    /// Row-major modules, true = dark, without the quiet zone.
    public private(set) var modules: [[Bool]]
    private var isFunction: [[Bool]]

    // Codewords per block and blocks per level (L, M, Q, H), versions 1–10.
    private static let eccPerBlock: [[Int]] = [
        [7, 10, 15, 20, 26, 18, 20, 24, 30, 18], [10, 16, 26, 18, 24, 16, 18, 22, 22, 26],
        [13, 22, 18, 26, 18, 24, 18, 22, 20, 24], [17, 28, 22, 16, 22, 28, 26, 26, 24, 28],
    ]
    private static let blocks: [[Int]] = [
        [1, 1, 1, 1, 1, 2, 2, 2, 2, 4], [1, 1, 1, 2, 2, 4, 4, 4, 5, 5],
        [1, 1, 2, 2, 4, 4, 6, 6, 8, 8], [1, 1, 2, 4, 4, 4, 5, 6, 8, 8],
    ]
    /// The largest version this encoder makes.
    public static let maxVersion = 10

    /// Encodes `data`, or nil when it does not fit version 10 at `level`.
    public init?(data: [UInt8], level: Level) {
        guard let version = (1...Self.maxVersion).first(where: { Self.dataCodewords($0, level) * 8 >= 4 + (($0 < 10) ? 8 : 16) + data.count * 8 }) else { return nil }
        size = version * 4 + 17
        modules = Array(repeating: Array(repeating: false, count: size), count: size)
        isFunction = modules
        drawFunctionPatterns(version: version, level: level)
        let codewords = Self.interleave(Self.dataBytes(data, version: version, level: level), version: version, level: level)
        drawCodewords(codewords)
        var best = (penalty: Int.max, mask: 0)
        for mask in 0..<8 {
            applyMask(mask)
            drawFormatBits(level: level, mask: mask)
            let penalty = self.penalty()
            if penalty < best.penalty { best = (penalty, mask) }
            applyMask(mask)  // undo (XOR)
        }
        applyMask(best.mask)
        drawFormatBits(level: level, mask: best.mask)
    }

    // MARK: Capacity and data

    private static func rawDataModules(_ version: Int) -> Int {
        var result = (16 * version + 128) * version + 64
        if version >= 2 {
            let alignments = version / 7 + 2
            result -= (25 * alignments - 10) * alignments - 55
            if version >= 7 { result -= 36 }
        }
        return result
    }

    private static func dataCodewords(_ version: Int, _ level: Level) -> Int {
        rawDataModules(version) / 8 - eccPerBlock[level.rawValue][version - 1] * blocks[level.rawValue][version - 1]
    }

    private static func dataBytes(_ data: [UInt8], version: Int, level: Level) -> [UInt8] {
        var bits: [Bool] = []
        func append(_ value: Int, _ count: Int) {
            for shift in stride(from: count - 1, through: 0, by: -1) { bits.append((value >> shift) & 1 == 1) }
        }
        append(0b0100, 4)  // byte mode
        append(data.count, version < 10 ? 8 : 16)
        for byte in data { append(Int(byte), 8) }
        let capacity = dataCodewords(version, level) * 8
        append(0, min(4, capacity - bits.count))  // terminator
        append(0, (8 - bits.count % 8) % 8)
        var bytes = stride(from: 0, to: bits.count, by: 8).map { start in
            bits[start..<(start + 8)].reduce(UInt8(0)) { $0 << 1 | ($1 ? 1 : 0) }
        }
        var pad: UInt8 = 0xEC
        while bytes.count < capacity / 8 {
            bytes.append(pad)
            pad = pad == 0xEC ? 0x11 : 0xEC
        }
        return bytes
    }

    // MARK: Reed–Solomon over GF(256), polynomial 0x11D

    private static func multiply(_ x: UInt8, _ y: UInt8) -> UInt8 {
        var result = 0
        for bit in stride(from: 7, through: 0, by: -1) {
            result = (result << 1) ^ ((result >> 7) * 0x11D)
            result ^= ((Int(y) >> bit) & 1) * Int(x)
        }
        return UInt8(result & 0xFF)
    }

    private static func divisor(_ degree: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: degree)
        result[degree - 1] = 1
        var root: UInt8 = 1
        for _ in 0..<degree {
            for index in 0..<degree {
                result[index] = multiply(result[index], root)
                if index + 1 < degree { result[index] ^= result[index + 1] }
            }
            root = multiply(root, 0x02)
        }
        return result
    }

    private static func remainder(_ data: [UInt8], _ divisor: [UInt8]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: divisor.count)
        for byte in data {
            let factor = byte ^ result.removeFirst()
            result.append(0)
            for index in 0..<result.count { result[index] ^= multiply(divisor[index], factor) }
        }
        return result
    }

    private static func interleave(_ data: [UInt8], version: Int, level: Level) -> [UInt8] {
        let blockCount = blocks[level.rawValue][version - 1]
        let ecc = eccPerBlock[level.rawValue][version - 1]
        let raw = rawDataModules(version) / 8
        let shortBlocks = blockCount - raw % blockCount
        let shortLength = raw / blockCount
        let generator = divisor(ecc)
        var blockList: [[UInt8]] = []
        var offset = 0
        for index in 0..<blockCount {
            let length = shortLength - ecc + (index < shortBlocks ? 0 : 1)
            var block = Array(data[offset..<(offset + length)])
            offset += length
            let check = remainder(block, generator)
            if index < shortBlocks { block.append(0) }  // a placeholder, never sent
            blockList.append(block + check)
        }
        var result: [UInt8] = []
        for column in 0..<blockList[0].count {
            for (index, block) in blockList.enumerated() where column != shortLength - ecc || index >= shortBlocks {
                result.append(block[column])
            }
        }
        return result
    }

    // MARK: Drawing

    private mutating func set(_ x: Int, _ y: Int, _ dark: Bool, function: Bool = true) {
        modules[y][x] = dark
        if function { isFunction[y][x] = true }
    }

    private mutating func drawFunctionPatterns(version: Int, level: Level) {
        for index in 0..<size {
            set(6, index, index % 2 == 0)
            set(index, 6, index % 2 == 0)
        }
        for (cx, cy) in [(3, 3), (size - 4, 3), (3, size - 4)] {
            for dy in -4...4 {
                for dx in -4...4 {
                    let (x, y) = (cx + dx, cy + dy)
                    guard (0..<size).contains(x), (0..<size).contains(y) else { continue }
                    let distance = max(abs(dx), abs(dy))
                    set(x, y, distance != 2 && distance != 4)
                }
            }
        }
        let positions = Self.alignmentPositions(version)
        for (i, cx) in positions.enumerated() {
            for (j, cy) in positions.enumerated() {
                if (i == 0 && j == 0) || (i == 0 && j == positions.count - 1) || (i == positions.count - 1 && j == 0) { continue }
                for dy in -2...2 { for dx in -2...2 { set(cx + dx, cy + dy, max(abs(dx), abs(dy)) != 1) } }
            }
        }
        drawFormatBits(level: level, mask: 0)  // reserves the area
        if version >= 7 {
            var remainder = version
            for _ in 0..<12 { remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25) }
            let bits = version << 12 | remainder
            for index in 0..<18 {
                let dark = (bits >> index) & 1 == 1
                let (a, b) = (size - 11 + index % 3, index / 3)
                set(a, b, dark)
                set(b, a, dark)
            }
        }
    }

    private static func alignmentPositions(_ version: Int) -> [Int] {
        guard version > 1 else { return [] }
        let count = version / 7 + 2
        let step = (version * 4 + count * 2 + 1) / (count * 2 - 2) * 2
        var result = [6]
        var position = version * 4 + 10
        for _ in 0..<(count - 1) {
            result.insert(position, at: 1)
            position -= step
        }
        return result
    }

    private mutating func drawFormatBits(level: Level, mask: Int) {
        let levelBits = [1, 0, 3, 2][level.rawValue]
        let data = levelBits << 3 | mask
        var remainder = data
        for _ in 0..<10 { remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537) }
        let bits = (data << 10 | remainder) ^ 0x5412
        func bit(_ index: Int) -> Bool { (bits >> index) & 1 == 1 }
        for index in 0...5 { set(8, index, bit(index)) }
        set(8, 7, bit(6))
        set(8, 8, bit(7))
        set(7, 8, bit(8))
        for index in 9..<15 { set(14 - index, 8, bit(index)) }
        for index in 0..<8 { set(size - 1 - index, 8, bit(index)) }
        for index in 8..<15 { set(8, size - 15 + index, bit(index)) }
        set(8, size - 8, true)  // the dark module
    }

    private mutating func drawCodewords(_ codewords: [UInt8]) {
        var bitIndex = 0
        var right = size - 1
        while right >= 1 {
            if right == 6 { right = 5 }
            for vertical in 0..<size {
                for column in 0..<2 {
                    let x = right - column
                    let upward = (right + 1) & 2 == 0
                    let y = upward ? size - 1 - vertical : vertical
                    if !isFunction[y][x], bitIndex < codewords.count * 8 {
                        modules[y][x] = (codewords[bitIndex >> 3] >> (7 - UInt8(bitIndex & 7))) & 1 == 1
                        bitIndex += 1
                    }
                }
            }
            right -= 2
        }
    }

    private mutating func applyMask(_ mask: Int) {
        for y in 0..<size {
            for x in 0..<size where !isFunction[y][x] {
                let invert = switch mask {
                case 0: (x + y) % 2 == 0
                case 1: y % 2 == 0
                case 2: x % 3 == 0
                case 3: (x + y) % 3 == 0
                case 4: (x / 3 + y / 2) % 2 == 0
                case 5: x * y % 2 + x * y % 3 == 0
                case 6: (x * y % 2 + x * y % 3) % 2 == 0
                default: ((x + y) % 2 + x * y % 3) % 2 == 0
                }
                if invert { modules[y][x].toggle() }
            }
        }
    }

    /// The standard's penalty: runs, 2×2 blocks, finder-like patterns, dark balance.
    private func penalty() -> Int {
        var total = 0
        for line in 0..<2 {
            for a in 0..<size {
                var run = 1
                var sequence: [Bool] = []
                for b in 0..<size {
                    let dark = line == 0 ? modules[a][b] : modules[b][a]
                    if b > 0, dark == (line == 0 ? modules[a][b - 1] : modules[b - 1][a]) {
                        run += 1
                        if run == 5 { total += 3 } else if run > 5 { total += 1 }
                    } else {
                        run = 1
                    }
                    sequence.append(dark)
                }
                let pattern = [true, false, true, true, true, false, true]
                for start in 0...(size - 7) where Array(sequence[start..<(start + 7)]) == pattern {
                    let before = start >= 4 && !sequence[(start - 4)..<start].contains(true)
                    let after = start + 11 <= size && !sequence[(start + 7)..<(start + 11)].contains(true)
                    if before || after { total += 40 }
                }
            }
        }
        for y in 0..<(size - 1) {
            for x in 0..<(size - 1) where modules[y][x] == modules[y][x + 1] && modules[y][x] == modules[y + 1][x] && modules[y][x] == modules[y + 1][x + 1] {
                total += 3
            }
        }
        let dark = modules.reduce(0) { $0 + $1.filter { $0 }.count }
        let cells = size * size
        total += (abs(dark * 20 - cells * 10) + cells - 1) / cells * 10
        return total
    }
}
