/// A greyscale PNG writer. The zlib stream is the caller's choice: stored
/// blocks (pure Swift, the default) for the simulators, real deflate (zlib,
/// passed in by the scanner driver) where size matters.
public enum PNG {
    /// Turns the filtered scanlines into a zlib stream.
    public typealias Deflate = @Sendable ([UInt8]) -> [UInt8]

    /// The PNG of a black-and-white image; `black(x, y)` says which pixels are black.
    public static func encode(width: Int, height: Int, deflate: Deflate = zlibStored, black: (Int, Int) -> Bool) -> [UInt8] {
        let bytesPerRow = (width + 7) / 8
        var rows = [UInt8](repeating: 0xFF, count: bytesPerRow * height)  // 1 = white in greyscale
        for y in 0..<height {
            for x in 0..<width where black(x, y) { rows[y * bytesPerRow + x / 8] &= ~(0x80 >> UInt8(x % 8)) }
        }
        return encode(width: width, height: height, bitDepth: 1, rows: rows, deflate: deflate)
    }

    /// The PNG of greyscale rows already packed at `bitDepth` (1 or 8), top to bottom.
    public static func encode(width: Int, height: Int, bitDepth: Int, rows: [UInt8], deflate: Deflate = zlibStored) -> [UInt8] {
        let bytesPerRow = (width * bitDepth + 7) / 8
        precondition(rows.count == bytesPerRow * height)
        var raw: [UInt8] = []
        raw.reserveCapacity((bytesPerRow + 1) * height)
        for y in 0..<height {
            raw.append(0)  // filter: none
            raw += rows[(y * bytesPerRow)..<((y + 1) * bytesPerRow)]
        }
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png += chunk("IHDR", be32(width) + be32(height) + [UInt8(bitDepth), 0, 0, 0, 0])
        png += chunk("IDAT", deflate(raw))
        png += chunk("IEND", [])
        return png
    }

    private static func be32(_ value: Int) -> [UInt8] {
        [UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return be32(data.count) + body + be32(Int(crc32(body)))
    }

    /// A zlib stream of stored (uncompressed) blocks.
    @Sendable public static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let length = min(65535, data.count - offset)
            let last: UInt8 = offset + length == data.count ? 1 : 0
            out += [last, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
            out += data[offset..<(offset + length)]
            offset += length
        } while offset < data.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return out + be32(Int(b << 16 | a))
    }

    private static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    private static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
