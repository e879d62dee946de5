extension FormField {
    /// What is wrong with `value` for this field, or nil when it is acceptable.
    /// Messages are in Chinese: they are shown and spoken to the resident.
    public func problem(with value: String) -> String? {
        let text = value.trimmingSpaces
        if text.isEmpty { return required ? "必填" : nil }
        if let maxLength, text.count > maxLength { return "最多\(maxLength)个字" }
        switch kind {
        case .text:
            return nil
        case .address:
            return text.count < 5 ? "请填写完整地址（省市县乡村及门牌）" : nil
        case .number:
            guard let number = Int(text) else { return "请输入整数" }
            if let minimum, number < minimum { return "不能小于\(minimum)" }
            if let maximum, number > maximum { return "不能大于\(maximum)" }
            return nil
        case .phone:
            let digits = text.filter { $0 != "-" }
            let mobile = digits.count == 11 && digits.first == "1" && digits.allSatisfy(\.isASCIIDigit)
            let landline = text.contains("-") && (10...13).contains(digits.count) && digits.allSatisfy(\.isASCIIDigit)
            return mobile || landline ? nil : "请输入11位手机号码或带区号的固定电话"
        case .date:
            return CalendarDate(isoText: text) == nil ? "请按 年-月-日 输入，如 2026-12-08" : nil
        case .choice:
            return options.contains(text) ? nil : "请从选项中选择"
        case .idNumber:
            do { _ = try ResidentIDNumber(typed: text) } catch {
                switch error.code {
                case .wrongLength: return "身份号码应为18位"
                case .badDate: return "身份号码中的出生日期不存在"
                case .badCheckCharacter: return "身份号码最后一位校验不符，请核对"
                default: return "身份号码只能包含数字和最后一位X"
                }
            }
            return nil
        case .bankAccount:
            let digits = Array(text.filter { $0 != " " })
            guard (13...19).contains(digits.count), digits.allSatisfy(\.isASCIIDigit) else { return "银行卡号为13到19位数字" }
            return luhnValid(digits.map { Int(String($0))! }) ? nil : "卡号校验不通过，请核对"
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
