/// How many columns a character takes on a receipt printer or a monospaced
/// screen: East Asian wide and fullwidth characters take two, combining
/// marks none, everything else one.
public enum DisplayWidth {
    /// Columns of one character.
    public static func of(_ character: Character) -> Int {
        guard let scalar = character.unicodeScalars.first else { return 0 }
        return of(scalar)
    }

    /// Columns of one scalar.
    public static func of(_ scalar: Unicode.Scalar) -> Int {
        let value = scalar.value
        if value == 0 || (0x0300...0x036F).contains(value) || (0x200B...0x200F).contains(value) { return 0 }
        for range in wideRanges where range.contains(value) { return 2 }
        return 1
    }

    /// Columns of a string.
    public static func of(_ text: some StringProtocol) -> Int {
        text.reduce(0) { $0 + of($1) }
    }

    static let wideRanges: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
        0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
        0xFFE0...0xFFE6, 0x20000...0x3FFFD,
    ]
}

/// Breaks text into lines of at most a given number of columns: between
/// any two Chinese characters, at spaces between Latin words, and inside a
/// Latin word only when it is longer than a whole line (a URL). Closing
/// punctuation never starts a line (避头点): it pulls the character before it
/// down with it.
public enum LineBreaker {
    static let noLineStart: Set<Character> = ["，", "。", "、", "；", "：", "！", "？", "）", "》", "」", "』", "】", "”", ",", ".", ";", ":", "!", "?", ")"]

    /// The lines of `text` in `width` columns. An empty text is one empty line.
    public static func wrap(_ text: String, width: Int) -> [String] {
        precondition(width >= 2, "a line needs room for one wide character")
        var lines: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lines += wrapParagraph(Array(paragraph), width: width)
        }
        return lines
    }

    private static func wrapParagraph(_ characters: [Character], width: Int) -> [String] {
        var lines: [String] = []
        var line: [Character] = []
        var lineWidth = 0
        var index = 0
        while index < characters.count {
            let character = characters[index]
            // A Latin word is placed whole when it fits on a line of its own.
            let startsWord = index == 0 || !characters[index - 1].isLatinWordCharacter
            if startsWord, character.isLatinWordCharacter {
                var end = index
                while end < characters.count, characters[end].isLatinWordCharacter { end += 1 }
                let word = Array(characters[index..<end])
                let wordWidth = DisplayWidth.of(String(word))
                if wordWidth <= width {
                    if lineWidth + wordWidth > width {
                        lines.append(trimmed(line))
                        line = []
                        lineWidth = 0
                    }
                    line += word
                    lineWidth += wordWidth
                    index = end
                    continue
                }
            }
            let columns = DisplayWidth.of(character)
            if lineWidth + columns > width {
                var carried: [Character] = []
                if noLineStart.contains(character), let last = line.last, line.count > 1 {
                    carried = [last]
                    line.removeLast()
                }
                lines.append(trimmed(line))
                line = carried
                lineWidth = DisplayWidth.of(String(carried))
                if character == " " {
                    index += 1
                    continue
                }
            }
            line.append(character)
            lineWidth += columns
            index += 1
        }
        lines.append(trimmed(line))
        return lines
    }

    private static func trimmed(_ line: [Character]) -> String {
        var end = line.count
        while end > 0, line[end - 1] == " " { end -= 1 }
        return String(line[0..<end])
    }
}

extension Character {
    /// Letters, digits and the punctuation inside URLs and numbers, which a line should not split.
    var isLatinWordCharacter: Bool {
        guard isASCII else { return false }
        return isLetter || isNumber || "-_./:?=&%#+@~".contains(self)
    }
}
