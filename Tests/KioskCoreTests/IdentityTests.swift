import KioskCore
import Testing

@Suite("Identity numbers and masking")
struct IdentityTests {
    // Check characters computed independently (ISO 7064 MOD 11-2 by hand in Python).
    static let validNumbers = [
        "11010519491231002X",  // the example in GB 11643-1999
        "340104195803120519",
        "341122198511070027",
        "341623200106011537",
        "810000199001010019",  // a Hong Kong resident's residence permit number
    ]

    @Test("valid ID numbers pass, with their birth date, region and gender", arguments: validNumbers)
    func valid(_ text: String) throws {
        let number = try ResidentIDNumber(text)
        #expect(number.value == text)
        #expect(number.birthDate.yyyymmdd == String(text.dropFirst(6).prefix(8)))
        #expect(number.regionCode == String(text.prefix(6)))
    }

    @Test("gender follows the parity of the 17th digit")
    func gender() throws {
        #expect(try ResidentIDNumber("340104195803120519").impliedGender == .male)
        #expect(try ResidentIDNumber("341122198511070027").impliedGender == .female)
    }

    @Test("a wrong check digit, a wrong date, a wrong length, a lowercase x and a letter are refused with the reason")
    func invalid() {
        let cases: [(String, IdentityError.Code)] = [
            ("340104195803120518", .badCheckCharacter),  // last digit off by one
            ("340104195802300513", .badDate),  // 30 February
            ("34010419580312051", .wrongLength),
            ("3401041958031205199", .wrongLength),
            ("11010519491231002x", .badCharacter),  // lowercase x on a card
            ("3401A4195803120519", .badCharacter),
        ]
        for (text, code) in cases {
            do {
                _ = try ResidentIDNumber(text)
                Issue.record("\(text) was accepted")
            } catch {
                #expect(error.code == code, "\(text): \(error.message)")
                #expect(!error.message.contains(text), "the message must not repeat the full number")
            }
        }
    }

    @Test("a typed number may have spaces and a lowercase x")
    func typed() throws {
        #expect(try ResidentIDNumber(typed: " 110105 19491231 002x ").value == "11010519491231002X")
    }

    @Test("unified social credit codes: valid ones pass; a wrong check, a forbidden letter, a wrong length fail")
    func creditCodes() throws {
        for text in ["91340100MA2N0K2B1Q", "52341122MJ0001234C", "12340000485001234C", "91340100ma2n0k2b1q"] {
            let code = try UnifiedSocialCreditCode(text)
            #expect(code.value == text.uppercased())
            #expect(code.regionCode == "340100" || code.regionCode == "341122" || code.regionCode == "340000")
        }
        let cases: [(String, IdentityError.Code)] = [
            ("91340100MA2N0K2B1R", .badCheckCharacter),
            ("91340100MA2N0K2BIQ", .badCharacter),  // I is not in the alphabet
            ("91340100MA2N0K2B1", .wrongLength),
            ("9134A100MA2N0K2B1Q", .badCharacter),  // region code must be digits
        ]
        for (text, code) in cases {
            do {
                _ = try UnifiedSocialCreditCode(text)
                Issue.record("\(text) was accepted")
            } catch {
                #expect(error.code == code, "\(text): \(error.message)")
            }
        }
    }

    @Test("masked forms for logs and screens")
    func masking() throws {
        #expect(try ResidentIDNumber("11010519491231002X").masked == "1101**********002X")
        #expect(Masking.name("张三丰") == "张*丰")
        #expect(Masking.name("李四") == "李*")
        #expect(Masking.name("欧阳娜娜") == "欧**娜")
        #expect(Masking.name("王") == "*")
        #expect(Masking.name("John Smith") == "J*** S****")
        #expect(try UnifiedSocialCreditCode("91340100MA2N0K2B1Q").masked == "9134**********2B1Q")
    }

    @Test("the nation table has all 56 groups plus 97 and 98")
    func nations() {
        #expect(Nation.table.count == 58)
        #expect(Nation(code: "01")?.name == "汉")
        #expect(Nation(code: "05")?.name == "维吾尔")
        #expect(Nation(code: "56")?.name == "基诺")
        #expect(Nation(code: "97")?.name == "其他")
        #expect(Nation(code: "98")?.name == "外国血统中国籍人士")
        #expect(Nation(code: "57") == nil)
    }

    func identity(number: String, birth: String, until: CardValidity) -> ResidentIdentity {
        ResidentIdentity(
            cardType: .residentID, name: "李秀英", gender: .female, nation: Nation(code: "01"),
            birthDate: CalendarDate(yyyymmdd: birth)!, address: "安徽省合肥市蜀山区示例路1号", number: number,
            issuingAuthority: "合肥市公安局蜀山分局", validFrom: CalendarDate(yyyymmdd: "20150601")!, validUntil: until, photo: [])
    }

    @Test("a card whose birth date disagrees with its number, or that has expired, is refused with what to do")
    func cardChecks() throws {
        let today = CalendarDate(yyyymmdd: "20261126")!
        try identity(number: "341122198511070027", birth: "19851107", until: .until(CalendarDate(yyyymmdd: "20350601")!)).validate(on: today)
        try identity(number: "340104195803120519", birth: "19580312", until: .longTerm).validate(on: today)

        #expect(throws: IdentityError.self) {
            try identity(number: "341122198511070027", birth: "19851108", until: .longTerm).validate(on: today)
        }
        do {
            try identity(number: "341122198511070027", birth: "19851107", until: .until(CalendarDate(yyyymmdd: "20251125")!)).validate(on: today)
            Issue.record("an expired card was accepted")
        } catch {
            #expect(error.code == .expired)
            #expect(error.message == "this card expired on 2025年11月25日: please use a valid card or ask the station agent")
        }
        let person = identity(number: "341122198511070027", birth: "19851107", until: .longTerm)
        #expect("\(person)" == "李*英 3411**********0027")
    }

    @Test("calendar dates reject days that do not exist")
    func dates() {
        #expect(CalendarDate(yyyymmdd: "20240229") != nil)
        #expect(CalendarDate(yyyymmdd: "20230229") == nil)
        #expect(CalendarDate(yyyymmdd: "19001301") == nil)
        #expect(CalendarDate(yyyymmdd: "2023022") == nil)
        #expect(CalendarDate(yyyymmdd: "20240229")?.description == "2024-02-29")
    }
}
