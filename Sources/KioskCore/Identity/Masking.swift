/// Masked forms of personal identifiers, for logs and screens (no personal
/// data leaves the session unmasked).
public enum Masking {
    /// Keeps the first 4 and last 4 characters: `3401**********123X`.
    public static func idNumber(_ text: String) -> String {
        let characters = Array(text)
        guard characters.count > 8 else { return String(repeating: "*", count: characters.count) }
        return String(characters.prefix(4)) + String(repeating: "*", count: characters.count - 8) + String(characters.suffix(4))
    }

    /// Keeps the first 9 characters (province, city, district) and hides the rest: `安徽省合肥市蜀山区*********`.
    public static func address(_ text: String) -> String {
        let characters = Array(text.trimmingEdges())
        return String(characters.prefix(9)) + String(repeating: "*", count: max(0, characters.count - 9))
    }

    /// Keeps the year: `1958-**-**` (the whole date is half of what an ID number says).
    public static func birthDate(_ text: String) -> String {
        let characters = Array(text.trimmingEdges())
        return String(characters.prefix(4)) + String(characters.dropFirst(4).map { $0.isNumber ? "*" : $0 })
    }

    /// A card's value as a screen shows it: the name, number and birth date masked; the rest as it is.
    public static func shown(_ value: String, from source: IdentityField) -> String {
        switch source {
        case .name: name(value)
        case .idNumber: idNumber(value)
        case .birthDate: birthDate(value)
        case .gender, .nation, .address: value
        }
    }

    /// Keeps the first and last character: `张*三`, `欧**红`; a two-character name keeps the first: `李*`.
    /// Latin names keep the first letter of each word: `J*** S****`.
    public static func name(_ text: String) -> String {
        let trimmed = text.trimmingEdges()
        if trimmed.unicodeScalars.allSatisfy({ $0.isASCII }) {
            return trimmed.split(separator: " ").map { (word: Substring) -> String in
                let initial = String(word.prefix(1))
                return initial + String(repeating: "*", count: max(0, word.count - 1))
            }.joined(separator: " ")
        }
        let characters = Array(trimmed)
        switch characters.count {
        case 0: return ""
        case 1: return "*"
        case 2: return String(characters[0]) + "*"
        default: return String(characters[0]) + String(repeating: "*", count: characters.count - 2) + String(characters.last!)
        }
    }
}

extension String {
    func trimmingEdges() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars = scalars.dropFirst() }
        while let last = scalars.last, last.isWhitespace { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
