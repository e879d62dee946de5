/// 申请者证件类型代码 (GA/T 2000.156, as GB/T 39046 applications carry it)
/// for the certificates a station's applicants hold.
public enum CertificateType {
    /// 统一社会信用代码: an enterprise or organisation, served by an agent.
    public static let unifiedSocialCreditCode = "001"
    /// 居民身份证.
    public static let residentID = "111"
    /// 外国人永久居留身份证.
    public static let foreignPermanentResident = "553"
    /// 其他: the residence permits, which GA/T 2000.156 predates; the record names which by `applicant_certificate_name` (docs/identity.md).
    public static let other = "990"
}

/// Which certificate a resident's card is, as an application names it and
/// the form labels its number. A residence permit's number says whose it
/// is: 81 Hong Kong, 82 Macao, 83 Taiwan.
public enum CertificateKind: String, Sendable, CaseIterable, Hashable {
    /// 居民身份证.
    case residentID = "resident_id"
    /// 外国人永久居留身份证 (the 2017 card's 15 characters, or the 2023 card's 18 digits).
    case foreignPermanentResident = "foreign_permanent_resident"
    /// 港澳居民居住证.
    case hongKongMacaoResidencePermit = "hk_macao_residence_permit"
    /// 台湾居民居住证.
    case taiwanResidencePermit = "taiwan_residence_permit"

    /// 证件类型代码 in the application (``CertificateType``).
    public var code: String {
        switch self {
        case .residentID: CertificateType.residentID
        case .foreignPermanentResident: CertificateType.foreignPermanentResident
        case .hongKongMacaoResidencePermit, .taiwanResidencePermit: CertificateType.other
        }
    }

    /// The certificate's name: 居民身份证, 外国人永久居留身份证, 港澳居民居住证, 台湾居民居住证.
    public var chinese: String {
        switch self {
        case .residentID: "居民身份证"
        case .foreignPermanentResident: "外国人永久居留身份证"
        case .hongKongMacaoResidencePermit: "港澳居民居住证"
        case .taiwanResidencePermit: "台湾居民居住证"
        }
    }

    /// How the form labels the card's number: 公民身份号码 only on a resident ID card.
    public var numberLabel: String {
        switch self {
        case .residentID: "公民身份号码"
        case .foreignPermanentResident: "永久居留身份证号码"
        case .hongKongMacaoResidencePermit, .taiwanResidencePermit: "居住证号码"
        }
    }

    /// Whether the holder has a 户籍 (household registration) in the mainland at all.
    public var hasHouseholdRegistration: Bool { self == .residentID }
}
