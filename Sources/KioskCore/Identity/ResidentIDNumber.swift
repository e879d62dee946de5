/// An 18-character citizen identity number (公民身份号码, GB 11643-1999):
/// 6-digit region code, 8-digit birth date, 3-digit sequence (odd for men,
/// even for women), and a check character by ISO 7064 MOD 11-2.
///
/// ```swift
/// let number = try ResidentIDNumber("11010519491231002X")
/// print(number.masked)   // 1101**********002X
/// ```
public struct ResidentIDNumber: Hashable, Sendable, CustomStringConvertible {
    /// The 18 characters, check character `X` in capitals.
    public let value: String

    static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    static let checkCharacters = Array("10X98765432")

    /// Validates the number exactly as printed on a card.
    public init(_ text: String) throws(IdentityError) {
        let characters = Array(text)
        guard characters.count == 18 else {
            throw IdentityError(.wrongLength, "an ID number has 18 characters; \"\(Self.maskedGuess(text))\" has \(characters.count)")
        }
        guard characters.prefix(17).allSatisfy(\.isASCIIDigit) else {
            throw IdentityError(.badCharacter, "the first 17 characters of an ID number are digits")
        }
        let last = characters[17]
        if last == "x" {
            throw IdentityError(.badCharacter, "the check character of an ID number is a capital X, not a lowercase x")
        }
        guard last.isASCIIDigit || last == "X" else {
            throw IdentityError(.badCharacter, "the last character of an ID number is a digit or X")
        }
        guard CalendarDate(yyyymmdd: String(characters[6..<14])) != nil else {
            throw IdentityError(.badDate, "the birth date in the ID number (characters 7–14) is not a real date")
        }
        let expected = Self.checkCharacter(for: characters.prefix(17).map { Int(String($0))! })
        guard last == expected else {
            throw IdentityError(.badCheckCharacter, "the check character of ID number \(Self.maskedGuess(text)) does not match the other 17 digits: a digit was misread or mistyped")
        }
        value = text
    }

    /// Validates a number a person typed: spaces are dropped and `x` is read as `X`.
    public init(typed text: String) throws(IdentityError) {
        try self.init(String(text.filter { !$0.isWhitespace }).uppercased())
    }

    /// The check character for 17 digits.
    public static func checkCharacter(for digits: [Int]) -> Character {
        let sum = zip(digits, weights).reduce(0) { $0 + $1.0 * $1.1 }
        return checkCharacters[sum % 11]
    }

    /// The birth date inside the number.
    public var birthDate: CalendarDate { CalendarDate(yyyymmdd: value.dropFirst(6).prefix(8))! }

    /// The 6-digit administrative region code of the first registration.
    public var regionCode: String { String(value.prefix(6)) }

    /// Odd sequence for men, even for women.
    public var impliedGender: Gender { Int(String(Array(value)[16]))! % 2 == 1 ? .male : .female }

    /// `3401**********123X`: what logs and screens may show.
    public var masked: String { Masking.idNumber(value) }

    public var description: String { masked }

    static func maskedGuess(_ text: String) -> String {
        text.count >= 8 ? Masking.idNumber(text) : String(repeating: "*", count: text.count)
    }
}

/// Gender (GB/T 2261.1).
public enum Gender: Int, Hashable, Sendable, Codable {
    /// 0 未知的性别
    case unknown = 0
    /// 1 男
    case male = 1
    /// 2 女
    case female = 2
    /// 9 未说明的性别
    case unspecified = 9

    /// 男 / 女 / 未知 / 未说明.
    public var chineseName: String {
        switch self {
        case .unknown: "未知"
        case .male: "男"
        case .female: "女"
        case .unspecified: "未说明"
        }
    }
}

/// A number or code that fails its standard's rules.
public struct IdentityError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of rule was broken.
    public struct Code: Hashable, Sendable {
        let rawValue: String
        /// Too many or too few characters.
        public static let wrongLength = Code(rawValue: "wrong_length")
        /// A character that cannot appear there.
        public static let badCharacter = Code(rawValue: "bad_character")
        /// A date that does not exist, or disagrees with another.
        public static let badDate = Code(rawValue: "bad_date")
        /// The check character does not match.
        public static let badCheckCharacter = Code(rawValue: "bad_check_character")
        /// The card's validity has ended.
        public static let expired = Code(rawValue: "expired")
        /// A card block that cannot be decoded.
        public static let unreadable = Code(rawValue: "unreadable")
    }

    /// The rule broken.
    public var code: Code
    /// What is wrong, without the full number.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
