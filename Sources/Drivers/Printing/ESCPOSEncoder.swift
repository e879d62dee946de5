import KioskCore

/// Turns a ``PrintDocument`` into the ESC/POS byte stream for a printer
/// model. A line whose characters the model's font lacks (a rare character
/// in a name, 生僻字) is drawn with Unifont and sent as a raster image.
public struct ESCPOSEncoder: Sendable {
    /// The printer model.
    public let profile: ESCPOSProfile
    private let font: @Sendable () throws(DeviceError) -> BitmapFont

    /// Creates an encoder for `profile`.
    public init(profile: ESCPOSProfile, font: @escaping @Sendable () throws(DeviceError) -> BitmapFont = { () throws(DeviceError) in try BitmapFont.shared() }) {
        self.profile = profile
        self.font = font
    }

    /// The bytes that print `document`. Throws only when a line needs the
    /// fallback font and it is not installed.
    public func encode(_ document: PrintDocument) throws(DeviceError) -> [UInt8] {
        var bytes = ESCPOS.initialize + ESCPOS.chineseModeOn
        for line in document.lines {
            switch line {
            case .text(let text, let style):
                bytes += ESCPOS.align(alignment(style.alignment))
                if let encoded = GB18030.encode(text, coverage: profile.fontCoverage) {
                    bytes += ESCPOS.bold(style.bold)
                    if style.large { bytes += ESCPOS.size(width: 2, height: 2) }
                    bytes += encoded + ESCPOS.lineFeed
                    if style.large { bytes += ESCPOS.size(width: 1, height: 1) }
                    if style.bold { bytes += ESCPOS.bold(false) }
                } else {
                    bytes += try rasterLine(text, style)
                }
                bytes += ESCPOS.align(.left)
            case .rule:
                bytes += Array(String(repeating: "-", count: profile.columns).utf8) + ESCPOS.lineFeed
            case .qrCode(let payload):
                // A longer payload makes a code too dense to scan from a receipt (and a printer may refuse it).
                if profile.supportsQR, payload.utf8.count <= ESCPOS.qrMaximumBytes {
                    bytes += ESCPOS.align(.center) + ESCPOS.qrCode(Array(payload.utf8), moduleSize: profile.qrModuleSize) + ESCPOS.lineFeed + ESCPOS.align(.left)
                }
                // Without QR support the layout's URL line below still says where to look.
            case .feed(let count):
                bytes += ESCPOS.feed(lines: count)
            case .cut:
                bytes += profile.hasCutter ? ESCPOS.cut() : ESCPOS.feed(lines: 4)
            }
        }
        // A closing reset leaves the printer in its default modes for whoever
        // prints next, and ends the job for printers without a cutter.
        return bytes + ESCPOS.chineseModeOff + ESCPOS.initialize
    }

    /// A text line as an image the width of the paper, one printer line high.
    func rasterLine(_ text: String, _ style: TextStyle) throws(DeviceError) -> [UInt8] {
        let cell = style.large ? 48 : 24
        let image = Bitmap.line(text, font: try font(), width: profile.dotsPerLine, cellHeight: cell, alignment: style.alignment, bold: style.bold)
        let packed = image.packedRows
        return ESCPOS.rasterImage(widthBytes: packed.bytesPerRow, height: image.height, bits: packed.bits)
    }

    private func alignment(_ alignment: TextStyle.Alignment) -> ESCPOS.Alignment {
        switch alignment {
        case .left: .left
        case .center: .center
        case .right: .right
        }
    }
}
