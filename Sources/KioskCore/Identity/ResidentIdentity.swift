/// Which card a resident presented. The reader's text block says which
/// (its card-type character at offset 248).
public enum IdentityCardType: String, Hashable, Sendable, Codable {
    /// 居民身份证, the second-generation resident ID card.
    case residentID = "resident_id"
    /// 外国人永久居留身份证 ('I').
    case foreignPermanentResident = "foreign_permanent_resident"
    /// 港澳台居民居住证 ('J').
    case hongKongMacaoTaiwanResidence = "hmt_residence_permit"
}

/// How long a card is valid: to a date, or 长期 (long-term, for people 46 and over).
public enum CardValidity: Hashable, Sendable {
    /// Valid through this date.
    case until(CalendarDate)
    /// 长期: no end date.
    case longTerm
}

/// A resident as identified by their card: what the kiosk knows about them
/// for one session, and never writes anywhere in the clear.
///
/// Its `description` is masked, so interpolating it into a log line never
/// leaks the name or the number.
public struct ResidentIdentity: Hashable, Sendable, CustomStringConvertible {
    /// Which card it came from.
    public var cardType: IdentityCardType
    /// Name as printed (Chinese name on an 'I' card).
    public var name: String
    /// English name ('I' cards only).
    public var englishName: String?
    /// Gender.
    public var gender: Gender
    /// Ethnic group (resident ID cards only).
    public var nation: Nation?
    /// Nationality, ISO 3166-1 alpha-3 ('I' cards only).
    public var nationality: String?
    /// Birth date.
    public var birthDate: CalendarDate
    /// Registered address (not on 'I' cards), with the extra address appended when the card has one.
    public var address: String?
    /// The card number: an 18-character ID number, or a permanent residence card number.
    public var number: String
    /// Issuing authority (a code on 'I' cards).
    public var issuingAuthority: String
    /// First day of validity.
    public var validFrom: CalendarDate
    /// Last day of validity.
    public var validUntil: CardValidity
    /// 通行证号码 ('J' cards only).
    public var passNumber: String?
    /// The 1024-byte WLT-compressed photo, kept opaque: decoding it needs the card authority's licensed library, which kioskd does not have.
    public var photo: [UInt8]

    /// Creates an identity; the driver builds it from the card.
    public init(
        cardType: IdentityCardType, name: String, englishName: String? = nil, gender: Gender, nation: Nation?,
        nationality: String? = nil, birthDate: CalendarDate, address: String?, number: String,
        issuingAuthority: String, validFrom: CalendarDate, validUntil: CardValidity, passNumber: String? = nil, photo: [UInt8]
    ) {
        self.cardType = cardType
        self.name = name
        self.englishName = englishName
        self.gender = gender
        self.nation = nation
        self.nationality = nationality
        self.birthDate = birthDate
        self.address = address
        self.number = number
        self.issuingAuthority = issuingAuthority
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.passNumber = passNumber
        self.photo = photo
    }

    /// `张*三 3401**********123X`.
    public var description: String { "\(maskedName) \(maskedNumber)" }

    /// The name, masked for screens and logs.
    public var maskedName: String { Masking.name(name) }

    /// The number, masked for screens and logs.
    public var maskedNumber: String { Masking.idNumber(number) }

    /// The certificate the card is: a residence permit's number says Taiwan (83) or Hong Kong and Macao.
    public var certificate: CertificateKind {
        switch cardType {
        case .residentID: .residentID
        case .foreignPermanentResident: .foreignPermanentResident
        case .hongKongMacaoTaiwanResidence: number.hasPrefix("83") ? .taiwanResidencePermit : .hongKongMacaoResidencePermit
        }
    }

    /// Full years of age on `today` (周岁).
    public func age(on today: CalendarDate) -> Int {
        let birthdayPassed = (today.month, today.day) >= (birthDate.month, birthDate.day)
        return today.year - birthDate.year - (birthdayPassed ? 0 : 1)
    }

    /// Whether the card has expired by `today`. Long-term cards never do.
    public func isExpired(on today: CalendarDate) -> Bool {
        if case .until(let last) = validUntil { return last < today }
        return false
    }

    /// Checks what the card says against the standards: the ID number's check
    /// character, its birth date against the card's, and the validity dates.
    /// An expired card is reported (the resident is told), not silently accepted.
    public func validate(on today: CalendarDate) throws(IdentityError) {
        switch cardType {
        case .residentID, .hongKongMacaoTaiwanResidence:
            let parsed = try ResidentIDNumber(number)
            guard parsed.birthDate == birthDate else {
                throw IdentityError(.badDate, "the birth date on the card (\(birthDate.year)) does not agree with the ID number \(parsed.masked): the card may be damaged")
            }
        case .foreignPermanentResident:
            // The 2017 card has a 15-character number; the 2023 card an 18-digit GB 11643 one.
            if number.count == 18 {
                _ = try ResidentIDNumber(number)
            } else if number.count != 15 || !number.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
                throw IdentityError(.badCharacter, "a permanent residence card number has 15 letters and digits, or 18 characters")
            }
        }
        if case .until(let last) = validUntil {
            guard validFrom <= last else { throw IdentityError(.badDate, "the card's validity ends before it begins: the card may be damaged") }
            guard last >= today else {
                throw IdentityError(.expired, "this card expired on \(last.year)年\(last.month)月\(last.day)日: please use a valid card or ask the station agent")
            }
        }
    }
}

/// A field of an identity card that a form may be filled from.
public enum IdentityField: String, Sendable, CaseIterable, Hashable {
    case name, idNumber = "id_number", gender, birthDate = "birth_date", address, nation
}

extension ResidentIdentity {
    /// What the card says for `field`, as a form holds it.
    public func value(for field: IdentityField) -> String? {
        switch field {
        case .name: name
        case .idNumber: number
        case .gender: gender == .male ? "男" : gender == .female ? "女" : nil
        case .birthDate: birthDate.description
        case .address: address
        case .nation: nation.map { "\($0)" }
        }
    }
}
