extension FormField {
    /// The longest value a field without `max_length` takes (the most a catalogue may set): what the
    /// resident types goes sealed to the platform, which takes a bounded envelope.
    public static let longestValue = 2_000

    /// What is wrong with `value` for this field, or nil when it is acceptable:
    /// a phrase, shown and spoken to the resident in the session's language.
    public func problem(with value: String) -> SessionText? {
        let text = value.trimmingSpaces
        if text.isEmpty { return required ? SessionText(.fieldRequired) : nil }
        let limit = maxLength ?? Self.longestValue
        if text.count > limit { return SessionText(.fieldTooLong, ["max": .number(limit)]) }
        switch kind {
        case .text, .personName:
            return nil
        case .address:
            return text.count < 5 ? SessionText(.fieldAddress) : nil
        case .number:
            guard let number = Int(text) else { return SessionText(.fieldInteger) }
            if let minimum, number < minimum { return SessionText(.fieldAtLeast, ["min": .number(minimum)]) }
            if let maximum, number > maximum { return SessionText(.fieldAtMost, ["max": .number(maximum)]) }
            return nil
        case .phone:
            let digits = text.filter { $0 != "-" }
            let mobile = digits.count == 11 && digits.first == "1" && digits.allSatisfy(\.isASCIIDigit)
            let landline = text.contains("-") && (10...13).contains(digits.count) && digits.allSatisfy(\.isASCIIDigit)
            return mobile || landline ? nil : SessionText(.fieldPhone)
        case .date:
            return CalendarDate(isoText: text) == nil ? SessionText(.fieldDate) : nil
        case .choice:
            return options.contains(text) ? nil : SessionText(.fieldChoice)
        case .idNumber:
            do { _ = try ResidentIDNumber(typed: text) } catch {
                switch error.code {
                case .wrongLength: return SessionText(.fieldIDLength)
                case .badDate: return SessionText(.fieldIDDate)
                case .badCheckCharacter: return SessionText(.fieldIDCheck)
                default: return SessionText(.fieldIDCharacters)
                }
            }
            return nil
        case .bankAccount:
            let digits = Array(text.filter { $0 != " " })
            guard (13...19).contains(digits.count), digits.allSatisfy(\.isASCIIDigit) else { return SessionText(.fieldBankDigits) }
            return luhnValid(digits.map { Int(String($0))! }) ? nil : SessionText(.fieldBankCheck)
        }
    }
}

/// The Luhn check bank card numbers carry.
func luhnValid(_ digits: [Int]) -> Bool {
    var sum = 0
    for (offset, digit) in digits.reversed().enumerated() {
        let value = offset % 2 == 1 ? digit * 2 : digit
        sum += value > 9 ? value - 9 : value
    }
    return sum % 10 == 0
}

extension String {
    var trimmingSpaces: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
