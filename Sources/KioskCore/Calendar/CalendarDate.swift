/// A date on the calendar, without time or zone: birth dates and card
/// validity dates are printed that way on the card.
public struct CalendarDate: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    /// Year, e.g. 1958.
    public var year: Int
    /// Month, 1–12.
    public var month: Int
    /// Day, 1–31.
    public var day: Int

    /// Creates a date; nil when it does not exist (2023-02-29).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), (1...Self.days(inMonth: month, year: year)).contains(day) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYYMMDD`, the form on the card and in the ID number.
    public init?(yyyymmdd text: some StringProtocol) {
        let digits = Array(text.utf8)
        guard digits.count == 8, digits.allSatisfy({ (48...57).contains($0) }) else { return nil }
        let value = digits.reduce(0) { $0 * 10 + Int($1 - 48) }
        self.init(year: value / 10000, month: value / 100 % 100, day: value % 100)
    }

    /// `YYYYMMDD`.
    public var yyyymmdd: String {
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return pad(year, 4) + pad(month, 2) + pad(day, 2)
    }

    /// `2026-11-26`.
    public var description: String {
        let text = yyyymmdd
        return "\(text.prefix(4))-\(text.dropFirst(4).prefix(2))-\(text.suffix(2))"
    }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    static func days(inMonth month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

extension CalendarDate {
    /// The first and last days a date can be (0001-01-01 and 9999-12-31), as day numbers.
    static let dayNumbers = -719_162...2_932_896

    /// The date `dayNumber` days after 1970-01-01, held to the years 1 to 9999.
    public init(dayNumber: Int) {
        let days = min(max(dayNumber, Self.dayNumbers.lowerBound), Self.dayNumbers.upperBound)
        // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        self.year = yearOfEra + era * 400 + (monthIndex < 10 ? 0 : 1)
        self.month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        self.day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
    }

    /// Days since 1970-01-01 (negative before).
    public var dayNumber: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// ISO weekday: 1 Monday … 7 Sunday.
    public var weekday: Int {
        // 1970-01-01 was a Thursday.
        ((dayNumber % 7 + 7 + 3) % 7) + 1
    }

    /// The next day.
    public var next: CalendarDate { CalendarDate(dayNumber: dayNumber + 1) }

    /// Parses `2026-12-08`.
    public init?(isoText text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2 else { return nil }
        self.init(yyyymmdd: parts.joined())
    }

    /// 2026年12月8日.
    public var chinese: String { "\(year)年\(month)月\(day)日" }
}

extension FieldReader {
    /// A date field, written `YYYY-MM-DD`.
    func date(_ key: String) throws(DataFileError) -> CalendarDate {
        let text = try string(key)
        guard let date = CalendarDate(isoText: text) else { throw fail("must be a date written YYYY-MM-DD, not \"\(text)\"", key: key, at: node[key]) }
        return date
    }
}
