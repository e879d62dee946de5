import KioskCore

/// What a receipt printer model can do, for laying out and encoding.
public struct ESCPOSProfile: Sendable, Hashable {
    /// Which Chinese characters the printer's built-in font has.
    public enum FontCoverage: String, Sendable, Hashable {
        /// GB 2312 (6,763 characters): most low-cost thermal printers.
        case gb2312
        /// GBK (21,886 characters).
        case gbk
        /// All of GB 18030.
        case gb18030
    }

    /// The model's name in the configuration.
    public var name: String
    /// Printable dots per line.
    public var dotsPerLine: Int
    /// Text columns per line (a Chinese character takes two).
    public var columns: Int
    /// The Chinese characters it can print from its font; others print as an image.
    public var fontCoverage: FontCoverage
    /// Whether it prints QR codes itself (GS ( k).
    public var supportsQR: Bool
    /// QR module size in dots.
    public var qrModuleSize: UInt8
    /// Whether it has an auto-cutter.
    public var hasCutter: Bool

    /// Creates a profile.
    public init(name: String, dotsPerLine: Int, columns: Int, fontCoverage: FontCoverage, supportsQR: Bool, qrModuleSize: UInt8, hasCutter: Bool) {
        self.name = name
        self.dotsPerLine = dotsPerLine
        self.columns = columns
        self.fontCoverage = fontCoverage
        self.supportsQR = supportsQR
        self.qrModuleSize = qrModuleSize
        self.hasCutter = hasCutter
    }

    /// A generic 58 mm printer: 384 dots, 32 columns, GB 2312 font, QR, no cutter.
    public static let generic58 = ESCPOSProfile(name: "generic-58", dotsPerLine: 384, columns: 32, fontCoverage: .gb2312, supportsQR: true, qrModuleSize: 5, hasCutter: false)
    /// A generic 80 mm printer: 576 dots, 48 columns, GB 2312 font, QR, cutter.
    public static let generic80 = ESCPOSProfile(name: "generic-80", dotsPerLine: 576, columns: 48, fontCoverage: .gb2312, supportsQR: true, qrModuleSize: 6, hasCutter: true)
    /// An 80 mm kiosk printer with a GB 18030 font.
    public static let kiosk80 = ESCPOSProfile(name: "kiosk-80-gb18030", dotsPerLine: 576, columns: 48, fontCoverage: .gb18030, supportsQR: true, qrModuleSize: 6, hasCutter: true)

    /// The profiles a configuration can name.
    public static let known: [ESCPOSProfile] = [generic58, generic80, kiosk80]

    /// A profile by its configuration name.
    public static func named(_ name: String) -> ESCPOSProfile? { known.first { $0.name == name } }
}
