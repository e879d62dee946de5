/// 申请者证件类型代码 (GA/T 2000.156, as GB/T 39046 applications carry it)
/// for the certificates a station's applicants hold.
public enum CertificateType {
    /// 统一社会信用代码: an enterprise or organisation, served by an agent.
    public static let unifiedSocialCreditCode = "001"
    /// 居民身份证.
    public static let residentID = "111"
    /// 其他: the permits, until the platform's code table names them (docs/identity.md).
    public static let other = "990"
}
