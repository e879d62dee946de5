/// An 18-character unified social credit code (统一社会信用代码, GB 32100-2015)
/// that identifies an enterprise or organisation: registration authority,
/// organisation type, 6-digit region code, 9-character organisation code,
/// and a check character, over an alphabet of 31 characters without I, O,
/// Z, S and V.
///
/// ```swift
/// let code = try UnifiedSocialCreditCode("91340100MA2RXXXX1X")
/// ```
public struct UnifiedSocialCreditCode: Hashable, Sendable, CustomStringConvertible {
    /// The 18 characters, in capitals.
    public let value: String

    static let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
    static let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

    /// Validates a code; spaces are dropped and letters read as capitals, since an agent types it.
    public init(_ text: String) throws(IdentityError) {
        let characters = Array(text.filter { !$0.isWhitespace }.uppercased())
        guard characters.count == 18 else {
            throw IdentityError(.wrongLength, "a unified social credit code has 18 characters; this one has \(characters.count)")
        }
        var values: [Int] = []
        for (index, character) in characters.enumerated() {
            guard let value = Self.alphabet.firstIndex(of: character) else {
                throw IdentityError(.badCharacter, "character \(index + 1) of the credit code, \"\(character)\", is not used in credit codes (they never contain I, O, Z, S or V)")
            }
            values.append(value)
        }
        guard characters[2..<8].allSatisfy(\.isASCIIDigit) else {
            throw IdentityError(.badCharacter, "characters 3–8 of a credit code are the region code: digits only")
        }
        guard characters[17] == Self.checkCharacter(for: Array(values.prefix(17))) else {
            throw IdentityError(.badCheckCharacter, "the check character of the credit code does not match the other 17: a character was mistyped")
        }
        value = String(characters)
    }

    /// The check character for 17 alphabet values.
    static func checkCharacter(for values: [Int]) -> Character {
        let sum = zip(values, weights).reduce(0) { $0 + $1.0 * $1.1 }
        return alphabet[(31 - sum % 31) % 31]
    }

    /// The 6-digit region code inside the code.
    public var regionCode: String { String(Array(value)[2..<8]) }

    /// `9134**********123X`.
    public var masked: String { Masking.idNumber(value) }

    public var description: String { masked }
}

/// An enterprise or organisation applying, identified by its credit code (typed by an agent).
public struct EnterpriseIdentity: Hashable, Sendable {
    /// The credit code.
    public var creditCode: UnifiedSocialCreditCode
    /// The registered name.
    public var name: String

    /// Creates an identity.
    public init(creditCode: UnifiedSocialCreditCode, name: String) {
        self.creditCode = creditCode
        self.name = name
    }
}
