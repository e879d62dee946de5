/// The station's tracking number for an application (the receipt's 办件编号
/// until the platform assigns its own case number): minted offline, unique
/// across every station of the province without coordination.
///
///     340104001-20261126-0007-5
///     station   date     seq  check
///
/// The station code is unique in the province (configured), the date and a
/// per-station sequence are minted in the enqueue transaction, and the check
/// character (ISO 7064 MOD 11-2 over the digits, as in ID numbers: 0–9 or X)
/// catches a mistyped digit when a resident reads it out on the phone.
public struct TrackingNumber: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The number as printed.
    public let value: String

    /// Mints a number. The station code is 6 to 12 digits; the sequence 1 to 99999.
    public init(station: String, date: CalendarDate, sequence: Int) {
        precondition((6...12).contains(station.count) && station.allSatisfy(\.isASCIIDigit), "station code must be 6–12 digits")
        precondition((1...99_999).contains(sequence), "at most 99,999 applications a day at one station")
        let seq = sequence < 10_000 ? String(String(sequence + 10_000).dropFirst()) : String(sequence)
        let body = "\(station)-\(date.yyyymmdd)-\(seq)"
        value = body + "-" + String(Self.check(body))
    }

    /// Parses and checks a number someone typed or read out.
    public init(_ text: String) throws(IdentityError) {
        let parts = text.uppercased().split(separator: "-")
        guard parts.count == 4, (6...12).contains(parts[0].count), parts[1].count == 8, (4...5).contains(parts[2].count), parts[3].count == 1,
              parts[0...2].allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }), CalendarDate(yyyymmdd: parts[1]) != nil else {
            throw IdentityError(.badCharacter, "a tracking number looks like 340104001-20261126-0007-5")
        }
        let body = parts[0...2].joined(separator: "-")
        guard Character(String(parts[3])) == Self.check(body) else {
            throw IdentityError(.badCheckCharacter, "the tracking number's check character does not match: a digit was misread")
        }
        value = body + "-" + parts[3]
    }

    static func check(_ body: String) -> Character {
        var sum = 0
        for character in body where character.isASCIIDigit {
            sum = (sum + Int(String(character))!) * 2 % 11
        }
        let value = (12 - sum) % 11
        return value == 10 ? "X" : Character(String(value))
    }

    /// The station part.
    public var station: String { String(value.split(separator: "-")[0]) }

    /// The day part, `YYYYMMDD`.
    public var day: String { String(value.split(separator: "-")[1]) }

    /// The sequence within its station and day, 1 to 99,999.
    public var sequence: Int { Int(value.split(separator: "-")[2]) ?? 0 }

    public var description: String { value }

    public static func < (lhs: TrackingNumber, rhs: TrackingNumber) -> Bool { lhs.value < rhs.value }
}
