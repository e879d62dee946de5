/// ESC/POS commands, as the Epson ESC/POS reference and the Chinese thermal
/// printers that follow it define them. Each returns the command's bytes.
public enum ESCPOS {
    /// ESC @: reset the printer's modes (not its buffer of received data).
    public static let initialize: [UInt8] = [0x1B, 0x40]
    /// LF: print the buffer and feed one line.
    public static let lineFeed: [UInt8] = [0x0A]

    /// ESC a n: 0 left, 1 centre, 2 right.
    public static func align(_ alignment: Alignment) -> [UInt8] { [0x1B, 0x61, alignment.rawValue] }

    /// ESC E n: emphasised (bold) on or off.
    public static func bold(_ on: Bool) -> [UInt8] { [0x1B, 0x45, on ? 1 : 0] }

    /// GS ! n: character size, width and height multipliers 1–8.
    public static func size(width: Int, height: Int) -> [UInt8] {
        precondition((1...8).contains(width) && (1...8).contains(height))
        return [0x1D, 0x21, UInt8((width - 1) << 4 | (height - 1))]
    }

    /// ESC d n: print and feed n lines.
    public static func feed(lines: Int) -> [UInt8] { [0x1B, 0x64, UInt8(clamping: lines)] }

    /// GS V 66 n: feed to the cutting position plus n dots, then cut partially.
    public static func cut(feedDots: UInt8 = 0) -> [UInt8] { [0x1D, 0x56, 0x42, feedDots] }

    /// FS &: Chinese (double-byte) character mode on.
    public static let chineseModeOn: [UInt8] = [0x1C, 0x26]
    /// FS .: Chinese character mode off.
    public static let chineseModeOff: [UInt8] = [0x1C, 0x2E]

    /// DLE EOT n: real-time status request (answered even while printing).
    public static func statusRequest(_ kind: StatusKind) -> [UInt8] { [0x10, 0x04, kind.rawValue] }

    /// The longest payload a receipt's QR code carries: a tracking URL is under 100 bytes.
    public static let qrMaximumBytes = 600

    /// GS ( k: a QR code (model 2): select the model, module size, error
    /// correction, store the data, print it. At most ``qrMaximumBytes`` of data.
    public static func qrCode(_ data: [UInt8], moduleSize: UInt8, errorCorrection: QRErrorCorrection = .medium) -> [UInt8] {
        precondition(data.count <= qrMaximumBytes)
        let stored = data.count + 3
        return [0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00]  // model 2
            + [0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, moduleSize]
            + [0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, errorCorrection.rawValue]
            + [0x1D, 0x28, 0x6B, UInt8(stored & 0xFF), UInt8(stored >> 8), 0x31, 0x50, 0x30] + data
            + [0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30]  // print the stored symbol
    }

    /// GS v 0: a raster bit image, rows of `widthBytes` bytes, most significant bit leftmost, 1 = black.
    public static func rasterImage(widthBytes: Int, height: Int, bits: [UInt8]) -> [UInt8] {
        precondition(bits.count == widthBytes * height)
        return [0x1D, 0x76, 0x30, 0x00, UInt8(widthBytes & 0xFF), UInt8(widthBytes >> 8), UInt8(height & 0xFF), UInt8(height >> 8)] + bits
    }

    /// Alignment values of ESC a.
    public enum Alignment: UInt8, Sendable { case left = 0, center = 1, right = 2 }

    /// Error correction levels of the QR code (GS ( k function 169).
    public enum QRErrorCorrection: UInt8, Sendable { case low = 0x30, medium = 0x31, quartile = 0x32, high = 0x33 }

    /// The four real-time status requests of DLE EOT.
    public enum StatusKind: UInt8, Sendable, CaseIterable {
        /// Printer status: offline.
        case printer = 1
        /// Offline cause: cover open, paper end stopped printing, error.
        case offlineCause = 2
        /// Error cause: cutter error, unrecoverable, auto-recoverable.
        case errorCause = 3
        /// Paper roll sensor: near end, end.
        case paperSensor = 4
    }
}
