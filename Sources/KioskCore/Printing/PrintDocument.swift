/// A document laid out in lines for a given width, independent of the
/// printer: the ESC/POS encoder and the PDF writer both print it.
public struct PrintDocument: Sendable, Hashable {
    /// Text columns per line (a wide character takes two).
    public var columns: Int
    /// The lines, top to bottom.
    public var lines: [PrintLine]

    /// Creates a document.
    public init(columns: Int, lines: [PrintLine]) {
        self.columns = columns
        self.lines = lines
    }

    /// Every text line, for checks and for the simulator's text output.
    public var text: String {
        lines.compactMap { line -> String? in
            switch line {
            case .text(let text, _): text
            case .rule: String(repeating: "-", count: columns)
            case .qrCode(let payload): "[QR \(payload)]"
            default: nil
            }
        }.joined(separator: "\n")
    }
}

/// One line of a ``PrintDocument``.
public enum PrintLine: Sendable, Hashable {
    /// One physical line of text, already wrapped to fit.
    case text(String, TextStyle)
    /// A separator across the width.
    case rule
    /// A QR code of this content.
    case qrCode(String)
    /// Blank lines.
    case feed(Int)
    /// Cut the paper (where the printer has a cutter).
    case cut
}

/// How a text line is printed.
public struct TextStyle: Sendable, Hashable {
    /// Alignment on the line.
    public enum Alignment: Sendable, Hashable { case left, center, right }

    /// Alignment.
    public var alignment: Alignment
    /// Bold (emphasised).
    public var bold: Bool
    /// Double width and height: the line has half the columns.
    public var large: Bool

    /// Creates a style.
    public init(_ alignment: Alignment = .left, bold: Bool = false, large: Bool = false) {
        self.alignment = alignment
        self.bold = bold
        self.large = large
    }

    /// Left-aligned plain text.
    public static let plain = TextStyle()
}
