import CSimImaging

/// A QR code as the printer's firmware draws it (libqrencode), from the data a
/// GS ( k command stored.
struct QRSymbol {
    /// Modules per side.
    let size: Int
    private let modules: [UInt8]

    /// Nil when the data does not fit a QR code at `level` (0 L … 3 H).
    init?(_ data: [UInt8], level: Int) {
        var pointer: UnsafeMutablePointer<UInt8>?
        let side = data.withUnsafeBufferPointer { sim_qr_encode($0.baseAddress, Int32($0.count), Int32(level), &pointer) }
        guard side > 0, let pointer else { return nil }
        defer { sim_free(pointer) }
        size = Int(side)
        modules = Array(UnsafeBufferPointer(start: pointer, count: size * size))
    }

    func isDark(_ x: Int, _ y: Int) -> Bool { modules[y * size + x] != 0 }
}

/// The printed paper as a 1-bit PNG (libpng): `rows` top to bottom, true = ink. Nil if libpng fails.
func paperPNG(width: Int, rows: [[Bool]]) -> [UInt8]? {
    let height = max(1, rows.count)
    var pixels = [UInt8](repeating: 0, count: width * height)
    for (y, row) in rows.enumerated() {
        for (x, ink) in row.prefix(width).enumerated() where ink { pixels[y * width + x] = 1 }
    }
    var out: UnsafeMutablePointer<UInt8>?
    var size = 0
    guard sim_png_encode(pixels, Int32(width), Int32(height), &out, &size) == 0, let out else { return nil }
    defer { sim_free(out) }
    return Array(UnsafeBufferPointer(start: out, count: size))
}
