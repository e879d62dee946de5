/// Colour of a scan.
public enum ScanMode: String, Sendable, Hashable, CaseIterable {
    /// 1 bit per pixel, black and white: compressed as PNG.
    case lineart
    /// 8-bit grey: compressed as JPEG.
    case gray
    /// 24-bit colour: compressed as JPEG.
    case color
}

/// Where the paper is.
public enum ScanSource: String, Sendable, Hashable, CaseIterable {
    /// On the glass, one page.
    case flatbed
    /// In the automatic document feeder, every page in it.
    case adf
    /// In the feeder, both sides.
    case duplex
}

/// A page as it came off the scanner, before compression: 8-bit grey, 24-bit
/// RGB, or 1-bit lineart packed 8 pixels a byte with 1 = black (SANE's order).
public struct RawPage: Sendable {
    /// Pixels per line.
    public var width: Int
    /// Lines.
    public var height: Int
    /// The colour.
    public var mode: ScanMode
    /// Dots per inch.
    public var resolution: Int
    /// The pixels, row by row.
    public var pixels: [UInt8]

    /// Creates a page.
    public init(width: Int, height: Int, mode: ScanMode, resolution: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.mode = mode
        self.resolution = resolution
        self.pixels = pixels
    }

    /// Bytes per row.
    public var bytesPerRow: Int {
        switch mode {
        case .lineart: (width + 7) / 8
        case .gray: width
        case .color: width * 3
        }
    }

    /// The brightness (0 black … 255 white) of a pixel.
    public func luminance(x: Int, y: Int) -> Int {
        switch mode {
        case .lineart: pixels[y * bytesPerRow + x / 8] & (0x80 >> UInt8(x % 8)) != 0 ? 0 : 255
        case .gray: Int(pixels[y * width + x])
        case .color:
            Int(pixels[(y * width + x) * 3]) * 299 / 1000 + Int(pixels[(y * width + x) * 3 + 1]) * 587 / 1000 + Int(pixels[(y * width + x) * 3 + 2]) * 114 / 1000
        }
    }
}

/// A scanned material page, compressed, ready to be sealed as an attachment.
/// It lives in memory only until the outbox seals it: never as a plaintext file.
public struct ScannedPage: Sendable {
    /// 1 for the first page of the batch.
    public var number: Int
    /// Pixels.
    public var width: Int
    public var height: Int
    /// Dots per inch.
    public var resolution: Int
    /// The colour.
    public var mode: ScanMode
    /// `image/jpeg` or `image/png`.
    public var mediaType: String
    /// The compressed image.
    public var data: [UInt8]
    /// Whether the page looks empty (only paper colour): the resident is asked before it is kept.
    public var looksBlank: Bool
    /// How long scanning it took (excluding compression).
    public var scanDuration: Duration

    /// Creates a page.
    public init(number: Int, width: Int, height: Int, resolution: Int, mode: ScanMode, mediaType: String, data: [UInt8], looksBlank: Bool, scanDuration: Duration) {
        self.number = number
        self.width = width
        self.height = height
        self.resolution = resolution
        self.mode = mode
        self.mediaType = mediaType
        self.data = data
        self.looksBlank = looksBlank
        self.scanDuration = scanDuration
    }
}

/// Finds pages with nothing on them but paper colour.
public enum BlankPageDetector {
    /// The share of ink pixels below which a page counts as blank (0.05%: a
    /// few specks of dust, not a signature).
    public static let inkThreshold = 0.0005

    /// The share of the page (inside a 4% border, where edges and shadows are)
    /// darker than the paper by more than 64 levels. Sampled every other pixel.
    public static func inkFraction(_ page: RawPage) -> Double {
        let marginX = page.width * 4 / 100, marginY = page.height * 4 / 100
        guard page.width > 2 * marginX + 1, page.height > 2 * marginY + 1 else { return 0 }
        // Paper colour: the brightest common level (95th percentile of a sample).
        var histogram = [Int](repeating: 0, count: 256)
        var samples = 0
        for y in stride(from: marginY, to: page.height - marginY, by: 2) {
            for x in stride(from: marginX, to: page.width - marginX, by: 2) {
                histogram[page.luminance(x: x, y: y)] += 1
                samples += 1
            }
        }
        var seen = 0
        var paper = 255
        for level in 0..<256 {
            seen += histogram[level]
            if seen >= samples * 95 / 100 {
                paper = level
                break
            }
        }
        // A page dark everywhere is not paper colour at all (a black sheet, a lid left open).
        if paper < 96 { return 1 }
        let inkBelow = paper - 64
        let ink = histogram[0..<inkBelow].reduce(0, +)
        return samples == 0 ? 0 : Double(ink) / Double(samples)
    }

    /// Whether the page is blank.
    public static func isBlank(_ page: RawPage) -> Bool { inkFraction(page) < inkThreshold }
}
